"""Issue 19 F: the first run (no argument: the samples with the demo model). The worker
imports torch and transformers and loads the model while the window is being built, so the
first image's job finds the model loaded; the GUI thread never imports either."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json, sys, threading, time

imported = {}


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("torch", "transformers") and name not in imported:
            imported[name] = {"gui_thread": threading.current_thread() is threading.main_thread(),
                              "at": time.monotonic()}
        return None


sys.meta_path.insert(0, Watch())
from PySide6.QtCore import QEventLoop, QTimer
from panoptix.gui.app import application, create_window

app = application()
window = create_window()  # the samples, whose project uses the demo model
shown = time.monotonic()
stages = []
window.client.stage.connect(stages.append)
loop = QEventLoop()
def segmented(*_):
    if window.session.document is not None and window.session.document.segments:
        loop.quit()
window.session.document_replaced.connect(segmented)
window.session.image_opened.connect(segmented)
QTimer.singleShot(120_000, loop.quit)  # never hang: the asserts say what is missing
loop.exec()
segments = len(window.session.document.segments) if window.session.document else 0
window.session.auto_presegment = False
window.client.cancel_background()
window.close()
print(json.dumps({"imported": imported, "shown": shown, "stages": stages,
                  "segments": segments}))
"""


def test_the_worker_loads_the_model_while_the_window_is_built(tmp_path: Path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         env=env, timeout=240, check=True)
    run = json.loads(out.stdout.strip().splitlines()[-1])
    assert run["segments"] > 0
    for name in ("torch", "transformers"):
        assert not run["imported"][name]["gui_thread"]  # the window never waits for it
    assert run["imported"]["torch"]["at"] < run["shown"]  # begun as the window was built
    # the first image's job found the model loaded: it never said it was loading it
    assert not [stage for stage in run["stages"] if stage.startswith("loading")]


def test_the_early_model_read_never_waits_on_a_pipe(tmp_path: Path) -> None:
    """The model settings the worker loads ahead are read through the regular-file check:
    a named pipe called project.json makes the read give up (the first image's job then
    says what is wrong) instead of hanging the start before the window is built."""
    import threading

    from panoptix.gui.app import project_model

    project = tmp_path / "photos.panoptix"
    project.mkdir()
    os.mkfifo(project / "project.json")
    found: list = []
    reader = threading.Thread(target=lambda: found.append(project_model(project, None, None)),
                              daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the stuck open so the thread can end
        with open(project / "project.json", "w"):
            pass
    assert not reader.is_alive() and found == [None]
