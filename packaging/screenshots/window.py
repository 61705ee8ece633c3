"""Take the README screenshot: the real window on a bundled sample, annotated as a user would.

    QT_QPA_PLATFORM=offscreen python packaging/screenshots/window.py [OUT.png]

Writes (by default) packaging/screenshots/window.png.

The sample is copied to a temporary folder; its ground truth is painted in with the edit
the brush and polygon tools make (no model is needed), the largest car is selected and
the pointer hovers it, so the segment list, category picker and status bar all show
something.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from shot import (
    copy_samples,
    inside_point,
    open_window,
    sample_ground_truth,
    save,
    show_image,
    use_temporary_settings,
)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(".png")
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        from panoptix.core import edits

        images = copy_samples(Path(tmp), ("street_01.jpg", "street_02.jpg", "park_01.jpg",
                                          "harbour_01.jpg"))
        window = open_window(images, (1500, 860), model="local-model-not-needed")
        show_image(window, "street_01.jpg")
        doc = window.editor.document
        cars = []
        for name, mask in sample_ground_truth("street_01.jpg"):
            segment = edits.add_mask(doc, mask, doc.categories.find(name).id)
            if name == "car":
                cars.append((int(mask.sum()), segment, mask))
        _, car, mask = max(cars, key=lambda found: found[0])
        x, y = inside_point(mask)
        doc.select([car])
        window.editor.set_category(doc.categories.find("car").id)
        window.editor.set_tool("brush")
        window.status.hover.setText(window.editor.describe(x, y))
        window.images.set_status("street_02.jpg", _status("presegmented"))
        window.images.set_status("park_01.jpg", _status("done"))
        window.canvas.fit()
        save(window, out)


def _status(name: str):  # noqa: ANN202
    from panoptix.core.project import ImageStatus

    return ImageStatus(name)


if __name__ == "__main__":
    main()
