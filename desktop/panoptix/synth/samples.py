"""The bundled sample images (``panoptix/resources/samples``): generated scenes, so they
come with their ground truth (``panoptic_samples.json`` and ``panoptic_samples/`` beside
them; the window's image search leaves that PNG folder out)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from panoptix.synth.dataset import DatasetPaths, SceneSpec, write_scenes

SAMPLE_SIZE = (480, 640)
SAMPLES = (SceneSpec("street", 9, "street_01"), SceneSpec("street", 6, "street_02"),
           SceneSpec("park", 10, "park_01"), SceneSpec("harbour", 5, "harbour_01"),
           SceneSpec("kitchen", 3, "kitchen_01"))
"""Which scene each sample is: ``generate(kind, seed, SAMPLE_SIZE)``."""
NAME = "samples"


def write_samples(folder: Path) -> DatasetPaths:
    """(Re)write the samples and their ground truth into ``folder``; other files stay."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        made = write_scenes(Path(tmp) / "new", SAMPLES, SAMPLE_SIZE, name=NAME, images=".",
                            info={"samples": "resources/samples of Panoptix"})
        for entry in sorted(made.folder.iterdir()):
            target = folder / entry.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(entry, target)
    json_path = folder / f"panoptic_{NAME}.json"
    return DatasetPaths(folder, folder, json_path, json_path.with_suffix(""), len(SAMPLES))
