"""The effort study on one scene kind: a generated dataset annotated by hand, with the model,
and with the model fine-tuned on what the annotator finished so far.

The annotator walks through the dataset in order. Every image is annotated by hand
(policy "manual") and from the model's pre-segmentation ("assisted"). When the walk has
finished K images (K in ``fine_tune_at``), ``panoptix train`` fine-tunes the model (from
the base model) on those K corrected annotations, the rest of the images are pre-segmented
again with it and annotated from that (policy "after K"). The images the walk finished are
the corrections made with the model it had at that point, saved as done, as a user's
project would hold them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from panoptix.core.document import Document
from panoptix.core.project import ImageStatus, Project
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate.models import STANDIN, assisted_start, fine_tune, presegment
from panoptix.simulate.policies import TARGETS, annotate_assisted, annotate_manually
from panoptix.synth import generate, synth_categories, write_dataset
from panoptix.synth.dataset import plan_scenes

Say = Callable[[str], None]


@dataclass(frozen=True)
class StudyConfig:
    kind: str
    count: int
    seed: int = 7
    """Dataset seed (scene n is ``generate(kind, seed * 1e6 + n)``): keep it apart from the
    seeds the model was trained on."""
    size: tuple[int, int] = (480, 640)
    model: str = STANDIN
    fine_tune_at: tuple[int, ...] = ()
    train_steps: int = 200
    train_batch: int = 2
    train_size: int | None = None
    train_lr: float | None = None
    """``panoptix train``'s default (1e-4 from a base) when None."""
    targets: tuple[float, ...] = TARGETS
    niceness: int = 10
    standin_level: str = "default"
    """The stand-in's mistakes (``standin.LEVELS``) when the model is the stand-in."""
    snap_edges: bool = False
    split_parts: bool = False
    """The post-processing switches (``InferenceSettings``), as the window's dock has them."""

    @property
    def settings(self) -> InferenceSettings:
        """What pre-segmentation and the threshold re-runs post-process with."""
        return InferenceSettings(model=self.model, device="cpu", snap_edges=self.snap_edges,
                                 split_parts=self.split_parts)


@dataclass
class StudyResult:
    config: StudyConfig
    images: list[dict] = field(default_factory=list)
    """Per image in walk order: key, segments, and each policy's outcome (``to_json``)."""
    trainings: list[dict] = field(default_factory=list)
    walk: list[str] = field(default_factory=list)
    """The policy the walk used at each image (the latest model it had)."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of the study's stages."""

    def to_json(self) -> dict:
        return {"config": asdict(self.config), "images": self.images,
                "trainings": self.trainings, "walk": self.walk, "seconds": self.seconds}


def run_study(config: StudyConfig, folder: Path, say: Say = lambda _m: None) -> StudyResult:
    """Run the study in ``folder`` (absent or empty; it holds the dataset and project)."""
    result = StudyResult(config)
    clock = time.perf_counter()
    paths = write_dataset(folder / "data", [config.kind], config.count, config.seed,
                          config.size, name=config.kind)
    specs = plan_scenes([config.kind], config.count, config.seed)
    truths = [generate(config.kind, spec.seed, config.size).document for spec in specs]
    project = Project.open_or_create_for_images(paths.images, project_folder=folder / "project",
                                                categories=synth_categories())
    try:
        by_stem = {Path(e.rel_path).stem: e.key for e in project.images}
        keys = [by_stem[spec.stem] for spec in specs]
        truth_of = dict(zip(keys, truths, strict=True))
        images = {key: project.load_image(key) for key in keys}
        result.images = [{"key": spec.stem, "segments": len(t.segments), "results": {}}
                         for spec, t in zip(specs, truths, strict=True)]
        result.seconds["data"] = time.perf_counter() - clock
        clock = time.perf_counter()
        for index, key in enumerate(keys):
            outcome = annotate_manually(truth_of[key], images[key], config.targets)
            result.images[index]["results"]["manual"] = outcome.to_json()
        say(f"{config.kind}: manual done on {len(keys)} images")
        result.seconds["manual"] = time.perf_counter() - clock
        _walk(config, folder, project, keys, truth_of, images, result, say)
    finally:
        project.close()
    return result


def _walk(config: StudyConfig, folder: Path, project: Project, keys: Sequence[str],
          truth_of: dict[str, Document], images: dict, result: StudyResult, say: Say) -> None:
    stops = sorted(k for k in set(config.fine_tune_at) if 0 < k < len(keys))
    model, policy, start = config.model, "assisted", 0
    for stop in [*stops, len(keys)]:
        clock = time.perf_counter()
        presegment(project, keys[start:], model, truth_of, config.seed,
                   config.standin_level, config.settings)
        result.seconds[f"presegment {policy}"] = time.perf_counter() - clock
        clock = time.perf_counter()
        for index in range(start, len(keys)):
            key = keys[index]
            document, context = assisted_start(project, key, config.snap_edges,
                                               config.split_parts)
            outcome = annotate_assisted(truth_of[key], document, context, images[key],
                                        config.targets, policy, config.settings)
            result.images[index]["results"][policy] = outcome.to_json()
            if index < stop:
                assert outcome.document is not None
                project.save_document(key, outcome.document, ImageStatus.DONE, model)
                result.walk.append(policy)
        result.seconds[f"annotate {policy}"] = time.perf_counter() - clock
        say(f"{config.kind}: {policy} done on images {start + 1}-{len(keys)}")
        if stop == len(keys):
            break
        clock = time.perf_counter()
        training = fine_tune(folder / "project", config.model, f"after-{stop}", stop,
                             config.train_steps, batch=config.train_batch,
                             size=config.train_size, lr=config.train_lr, seed=config.seed,
                             niceness=config.niceness, say=say)
        result.trainings.append({"after": stop, **training.to_json()})
        result.seconds[f"train after {stop}"] = time.perf_counter() - clock
        say(f"{config.kind}: trained on {stop} images in {training.seconds:.0f} s")
        model, policy, start = training.model, f"after {stop}", stop
