"""Take the README screenshot of the Segment Anything tool: the real window on the park
sample, one positive point on the middle person, two negative points, and the preview.

    python packaging/screenshots/segment_anything.py [OUT.png]

Writes (by default) packaging/screenshots/segment_anything.png; runs offscreen unless
``QT_QPA_PLATFORM`` says otherwise (the README's picture was taken on an Xvfb display).

No weights can be downloaded here, so the model is a tiny random-weight SAM 2
(``tests/tiny_models.build_sam2``): the window, the prompts and the flow are real, the mask
is what random weights give (scattered blobs, not the person).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from shot import (
    REPO,
    copy_samples,
    open_window,
    save,
    settle,
    show_image,
    use_temporary_settings,
)

sys.path.insert(0, str(REPO / "tests"))

PROMPTS = ((122, 300, True), (259, 262, False), (472, 413, False))
"""(x, y, positive) in the 640x480 park sample: the man in green, the path, the lawn."""


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(".png")
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        from panoptix.inference.sam.prompts import Prompts
        from tiny_models import build_sam2

        model = build_sam2(Path(tmp) / "sam2")
        images = copy_samples(Path(tmp), ("park_01.jpg", "street_01.jpg", "street_02.jpg"))
        window = open_window(images, (1400, 900), model="local-model-not-needed")
        window.sam.override_model(str(model))
        show_image(window, "park_01.jpg")
        window.editor.set_tool("segment_anything")
        tool = window.editor.tools["segment_anything"]
        prompts = Prompts()
        for x, y, positive in PROMPTS:
            prompts = prompts.with_point(x, y, positive)
            tool.ask(prompts)
        loop = QEventLoop()
        window.editor.message.connect(lambda text: text.startswith("mask ") and loop.quit())
        QTimer.singleShot(300_000, loop.quit)
        loop.exec()
        window.canvas.fit()
        settle(200)
        save(window, out)


if __name__ == "__main__":
    main()
