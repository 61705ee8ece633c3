"""A model that cannot be loaded is one line in the status bar, naming the damaged file;
the image still opens for manual work."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import configure_project


def test_damaged_weights_are_a_status_message_naming_the_file(qtbot, make_window,
                                                              image_folder: Path,
                                                              tiny_model: Path,
                                                              tmp_path: Path) -> None:
    model = tmp_path / "damaged-model"
    shutil.copytree(tiny_model, model)
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    configure_project(image_folder, model)
    window = make_window()
    with qtbot.waitSignal(window.session.error, timeout=60_000) as blocker:
        window.open_path(image_folder)
    message = blocker.args[0]
    assert str(weights) in message and "damaged" in message and "\n" not in message
    assert str(weights) in window.status.currentMessage()
    assert window.editor.document is not None
