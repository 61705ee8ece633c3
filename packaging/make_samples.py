"""Render the bundled sample images and their ground truth with Panoptix's scene generator.

    PYTHONPATH=desktop python packaging/make_samples.py

Writes ``street_01.jpg`` ... ``kitchen_01.jpg`` into the package's bundled samples
(``desktop/panoptix/resources/samples/``), with
``panoptic_samples.json`` and ``panoptic_samples/`` (COCO panoptic, exact). Which scene
each sample is lives in :data:`panoptix.synth.samples.SAMPLES`; the scenes are seeded, so
rerunning reproduces the same files.
"""

from __future__ import annotations

from panoptix.core.bundled import SAMPLES, bundled_path
from panoptix.synth.samples import write_samples


def main() -> None:
    made = write_samples(bundled_path(SAMPLES))
    print(f"wrote {made.count} samples and {made.json.name} into {made.folder}")


if __name__ == "__main__":
    main()
