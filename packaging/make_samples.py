"""Render the bundled sample images and their ground truth with Panoptix's scene generator.

    python resources/samples/make_samples.py

Writes ``street_01.jpg`` ... ``kitchen_01.jpg`` beside this file, with
``panoptic_samples.json`` and ``panoptic_samples/`` (COCO panoptic, exact). Which scene
each sample is lives in :data:`panoptix.synth.samples.SAMPLES`; the scenes are seeded, so
rerunning reproduces the same files.
"""

from __future__ import annotations

from pathlib import Path

from panoptix.synth.samples import write_samples


def main() -> None:
    made = write_samples(Path(__file__).resolve().parent)
    print(f"wrote {made.count} samples and {made.json.name} into {made.folder}")


if __name__ == "__main__":
    main()
