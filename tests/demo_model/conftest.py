"""The bundled demo model on freshly generated scenes: what the tests of real output share.

The scenes come from dataset seed :data:`FRESH_SEED` (scene seeds 7_000_000 + n), which
neither the training (seed 1), its validation share, nor the model's own evaluation
(seed 2) used. Generating them is deterministic, so each figure asserted here is the one
measured on these very scenes, less a margin for floating-point differences between
machines (other CPUs and thread counts sum in other orders). ``bench/learning_spread.py``
found every figure here the same under ATen's native, AVX2 and default kernels (with MKL
and oneDNN capped too) and with 1 and 2 threads: inference alone moves far less than the
margins, unlike training (see ``tests/training/test_training.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from panoptix.core.categories import CategorySet
from panoptix.synth import DatasetPaths, Scene, generate, synth_categories, write_dataset
from panoptix.synth.dataset import SEED_STRIDE

FRESH_SEED = 7
SEEN_KINDS = ("street", "park", "kitchen")
PER_KIND = 3


@pytest.fixture(scope="session")
def demo_predictor():  # noqa: ANN201
    from panoptix.inference.engine import Predictor

    predictor = Predictor()
    predictor.load("demo", device="cpu")
    return predictor


@pytest.fixture(scope="session")
def categories() -> CategorySet:
    return synth_categories()


@pytest.fixture(scope="session")
def fresh_scenes() -> dict[str, Scene]:
    """The scenes of :func:`fresh_dataset` by image stem, in memory (no JPEG round trip)."""
    return {f"{kind}_{n:05d}": generate(kind, FRESH_SEED * SEED_STRIDE + n)
            for n in range(PER_KIND) for kind in SEEN_KINDS}


@pytest.fixture(scope="session")
def fresh_dataset(tmp_path_factory: pytest.TempPathFactory) -> DatasetPaths:
    folder: Path = tmp_path_factory.mktemp("fresh") / "scenes"
    return write_dataset(folder, SEEN_KINDS, count=PER_KIND * len(SEEN_KINDS), seed=FRESH_SEED)
