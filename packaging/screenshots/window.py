"""Take the README screenshot: the real window on a bundled sample, annotated as a user would.

    QT_QPA_PLATFORM=offscreen python packaging/screenshots/window.py [OUT.png]

Writes (by default) packaging/screenshots/window.png.

The sample is copied to a temporary folder; segments are drawn with the same edits the
polygon and brush tools make (no model is needed), one car is selected and the pointer
hovers it, so the segment list, category picker and status bar all show something.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from shot import copy_samples, open_window, save, show_image, use_temporary_settings

SCENE = [  # (category, polygon in (x, y)) traced over resources/samples/street_01.jpg
    ("sky-other-merged", [(0, 0), (640, 0), (640, 300), (0, 300)]),
    ("building-other-merged", [(0, 141), (120, 141), (120, 300), (0, 300)]),
    ("building-other-merged", [(139, 84), (260, 84), (260, 300), (139, 300)]),
    ("building-other-merged", [(266, 193), (386, 193), (386, 300), (266, 300)]),
    ("building-other-merged", [(386, 184), (507, 184), (507, 300), (386, 300)]),
    ("building-other-merged", [(515, 179), (636, 179), (636, 300), (515, 300)]),
    ("pavement-merged", [(0, 300), (640, 300), (640, 319), (0, 319)]),
    ("road", [(0, 319), (640, 319), (640, 480), (0, 480)]),
    ("tree-merged", [(292, 145), (259, 156), (239, 186), (239, 214), (262, 246), (281, 254),
                     (281, 310), (303, 310), (303, 254), (322, 246), (343, 220), (347, 200),
                     (336, 167), (306, 147)]),
    ("car", [(65, 372), (65, 413), (73, 425), (89, 433), (105, 425), (109, 413), (144, 413),
             (152, 429), (170, 432), (183, 414), (189, 413), (189, 372), (164, 371),
             (164, 345), (89, 345), (89, 371)]),
    ("car", [(284, 377), (284, 430), (295, 445), (316, 455), (339, 442), (342, 430),
             (386, 430), (397, 451), (419, 455), (438, 430), (445, 430), (445, 377),
             (412, 376), (412, 342), (316, 342), (316, 376)]),
    ("person", [(198, 234), (191, 246), (200, 259), (195, 316), (215, 316), (216, 260),
                (217, 253), (219, 246), (212, 234)]),
    ("person", [(221, 232), (214, 234), (220, 246), (214, 257), (216, 316), (231, 316),
                (232, 260), (235, 246), (228, 234)]),
    ("person", [(487, 232), (475, 239), (473, 246), (482, 259), (477, 316), (497, 316),
                (498, 260), (501, 246), (494, 234)]),
]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(".png")
    with tempfile.TemporaryDirectory() as tmp:
        use_temporary_settings(tmp)
        from panoptix.core import edits

        images = copy_samples(Path(tmp), ("street_01.jpg", "street_02.jpg", "park_01.jpg",
                                          "shapes_01.jpg"))
        window = open_window(images, (1500, 860), model="local-model-not-needed")
        show_image(window, "street_01.jpg")
        doc = window.editor.document
        for name, polygon in SCENE:
            edits.fill_polygon(doc, polygon, doc.categories.find(name).id)
        car = doc.segment_at(100, 400)
        doc.select([car])
        window.editor.set_category(doc.categories.find("car").id)
        window.editor.set_tool("brush")
        window.status.hover.setText(window.editor.describe(100, 400))
        window.images.set_status("street_02.jpg", _status("presegmented"))
        window.images.set_status("park_01.jpg", _status("done"))
        window.canvas.fit()
        save(window, out)


def _status(name: str):  # noqa: ANN202
    from panoptix.core.project import ImageStatus

    return ImageStatus(name)


if __name__ == "__main__":
    main()
