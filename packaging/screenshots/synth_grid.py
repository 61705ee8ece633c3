"""The README picture of generated scenes: per kind (a row each), three scenes and the
exact ground truth of the last one, in COCO's category colours with segment outlines.

    python packaging/screenshots/synth_grid.py [OUT.png] [--seed N]

Writes (by default) packaging/screenshots/synth_grid.jpg; no window, no model needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from panoptix.synth import SCENE_KINDS, Scene, generate

SIZE = (240, 320)
SCENES_PER_KIND = 3
GAP = 4


def labels_picture(scene: Scene) -> np.ndarray:
    """Each segment in its category's colour, instances of one category told apart by
    brightness, with a dark outline around every segment."""
    doc = scene.document
    colours = np.zeros((max(doc.segments) + 1, 3), np.float32)
    seen: dict[int, int] = {}
    for segment_id, segment in doc.segments.items():
        count = seen[segment.category_id] = seen.get(segment.category_id, -1) + 1
        colour = np.asarray(doc.categories[segment.category_id].color, np.float32)
        colours[segment_id] = colour * (1.0 - 0.18 * (count % 4))
    picture = colours[doc.id_map]
    ids = doc.id_map
    edge = np.zeros(ids.shape, bool)
    edge[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    edge[1:, :] |= ids[1:, :] != ids[:-1, :]
    picture[edge] *= 0.35
    return picture.astype(np.uint8)


def grid(seed: int) -> np.ndarray:
    rows = []
    for kind in SCENE_KINDS:
        scenes = [generate(kind, seed + i, SIZE) for i in range(SCENES_PER_KIND)]
        tiles = [scene.image for scene in scenes] + [labels_picture(scenes[-1])]
        rows.append(np.concatenate(
            [np.pad(tile, ((0, GAP), (0, GAP), (0, 0)), constant_values=255) for tile in tiles],
            axis=1))
    return np.concatenate(rows, axis=0)[:-GAP, :-GAP]


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20
    arguments = [a for a in arguments if a != str(seed)]
    out = Path(arguments[0]) if arguments else Path(__file__).with_name("synth_grid.jpg")
    cv2.imwrite(str(out), cv2.cvtColor(grid(seed), cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
