"""A preference of the wrong type or out of range never stops the window: it falls back to
its default and says so once (issue 20, item 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtCore import QSettings

from panoptix.gui.prefs import DEFAULTS, Prefs

START_THEN_QUIT = textwrap.dedent("""
    import os, sys
    from PySide6.QtCore import QTimer
    from panoptix.gui.app import application, create_window

    app = application()
    window = create_window(sys.argv[1])
    window.session.auto_presegment = False
    window.session.image_opened.connect(
        lambda *_: QTimer.singleShot(100, lambda: print("brush", window.editor.brush_size,
                                                         flush=True) or window.close()))
    QTimer.singleShot(60_000, lambda: os._exit(3))  # never hang the test
    sys.exit(app.exec())
    """)


def test_the_window_starts_with_a_preference_that_is_not_a_number(image_folder, tmp_path):
    settings = tmp_path / "config" / "Panoptix" / "Panoptix.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text("[edit]\nbrush_size=abc\n\n[view]\nopacity=55\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", START_THEN_QUIT, str(image_folder)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]  # before: ValueError, then SIGABRT
    assert f"brush {DEFAULTS['edit/brush_size']}" in done.stdout
    said = [line for line in done.stderr.splitlines() if "edit/brush_size" in line]
    assert len(said) == 1 and "abc" in said[0]


def test_wrong_types_and_ranges_fall_back_to_the_defaults_once(tmp_path: Path, capsys):
    settings = QSettings(str(tmp_path / "p.conf"), QSettings.Format.IniFormat)
    for key, value in {"view/opacity": "900", "edit/brush_size": "-3",
                       "edit/split_min_area": "[1, 2]", "view/overlay": "maybe",
                       "edit/protect_labeled": "true"}.items():
        settings.setValue(key, value)
    prefs = Prefs(settings)
    for _ in range(2):
        assert prefs.get_int("view/opacity") == DEFAULTS["view/opacity"]
        assert prefs.get_int("edit/brush_size") == DEFAULTS["edit/brush_size"]
        assert prefs.get_int("edit/split_min_area") == DEFAULTS["edit/split_min_area"]
        assert prefs.get_bool("view/overlay") is DEFAULTS["view/overlay"]
        assert prefs.get_bool("edit/protect_labeled") is True
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    assert all("using the default" in line for line in lines)
