"""The training loop: AdamW with a warm-up then poly decay, gradient accumulation and
clipping, autocast on CUDA, validation PQ, atomic checkpoints, and resuming.

One *step* is one optimizer update over ``batch x accumulate`` augmented crops. Running out
of memory retries the same step with half the batch and twice the accumulation (the same
images per step), then at a smaller input size, and says so.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch

from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategorySet
from panoptix.core.messages import one_line
from panoptix.inference.device import is_out_of_memory
from panoptix.inference.loading import LoadedModel
from panoptix.inference.settings import InferenceSettings
from panoptix.training.architectures import architecture_of, to_device
from panoptix.training.batches import Batch, BatchEncoder, BatchLoader, BatchPlan
from panoptix.training.errors import TrainingError
from panoptix.training.labels import LabelSpace
from panoptix.training.loss import IgnoringMask2FormerLoss
from panoptix.training.models import parameter_groups
from panoptix.training.progress import Reporter, StopFlag
from panoptix.training.project_data import AnnotatedImage
from panoptix.training.run_folder import RunFolder, RunFolderError
from panoptix.training.settings import TrainSettings
from panoptix.training.validation import evaluate, summary

POLY_POWER = 0.9
MIN_SIZE = 128
"""Out-of-memory retries do not shrink the input below this."""
MAX_LOG_ENTRIES = 1000
MAX_BAD_STEPS = 5
"""Consecutive steps with a non-finite loss before the run gives up."""


def resolve_precision(requested: str, device: str) -> str:
    if requested != "auto":
        return requested
    if not device.startswith("cuda"):
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up over ``warmup`` steps, then poly decay (power 0.9) to zero."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 1.0 - progress) ** POLY_POWER


@dataclass
class History:
    losses: list[dict[str, float]] = field(default_factory=list)
    validation: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, float] | None = None
    wall_seconds: float = 0.0
    """Of every part of the run so far (a resumed run adds to it)."""
    training_seconds: float = 0.0
    validation_seconds: float = 0.0
    notices: list[str] = field(default_factory=list)
    log_every: int = 1
    pending: list[dict[str, float]] = field(default_factory=list)

    def log(self, step: int, values: dict[str, float]) -> None:
        """Keep one entry per ``log_every`` steps: the mean of those steps."""
        self.pending.append(values)
        if step % self.log_every == 0:
            self.flush(step)

    def flush(self, step: int) -> None:
        if self.pending:
            mean = {k: sum(v[k] for v in self.pending) / len(self.pending)
                    for k in self.pending[0]}
            self.losses.append({"step": step, **mean})
            self.pending = []

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> History:
        return cls(**data)


@dataclass(frozen=True)
class Outcome:
    finished: bool
    step: int
    history: History
    settings: TrainSettings
    weights: str
    """``best`` or ``last``: what the model now holds."""


class Trainer:
    def __init__(self, run: RunFolder, loaded: LoadedModel, train: list[AnnotatedImage],
                 validation: list[AnnotatedImage], labels: LabelSpace,
                 categories: CategorySet, thresholds: InferenceSettings,
                 settings: TrainSettings, device: str, reporter: Reporter,
                 stop: StopFlag) -> None:
        self.run_folder, self.loaded = run, loaded
        self.train_images, self.validation_images = train, validation
        self.labels, self.categories, self.thresholds = labels, categories, thresholds
        self.settings, self.device = settings, device
        self.reporter, self.stop = reporter, stop
        self.model = loaded.model
        self.architecture = architecture_of(loaded.model_type)
        self.precision = resolve_precision(settings.precision, device)
        self.history = History(log_every=max(1, math.ceil(settings.steps / MAX_LOG_ENTRIES)))
        self.saved_step: int | None = None
        self._step_seconds: list[float] = []
        self._session_started = time.perf_counter()
        self._wall_before = 0.0
        self._eval_seconds = 0.0

    # -- the run --------------------------------------------------------------------------
    def run(self, checkpoint: dict | None = None) -> Outcome:
        settings = self.settings
        self.architecture.prepare(self.model)
        self.model.to(self.device)
        self.model.train()
        self.criterion = IgnoringMask2FormerLoss(
            self.model.config, self.architecture.loss_weights(self.model.config)
        ).to(self.device)
        self.optimizer = torch.optim.AdamW(
            parameter_groups(self.model, settings.lr, settings.backbone_lr_factor,
                             settings.weight_decay), lr=settings.lr)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, settings.warmup, settings.steps))
        self.scaler = torch.amp.GradScaler(self._device_type, enabled=self.precision == "fp16")
        step = self._restore(checkpoint) if checkpoint is not None else 0
        if checkpoint is None:
            torch.manual_seed(settings.seed)
        self.reporter.start(steps=settings.steps, first_step=step,
                            train=len(self.train_images),
                            validation=len(self.validation_images), device=self.device,
                            name=self.run_folder.name, folder=str(self.run_folder.partial),
                            labels=list(self.labels.names))
        if step == 0 and self.validation_images:
            self._evaluate(0)
        while step < settings.steps and not self.stop.requested:
            try:
                step = self._train(step)
            except Exception as error:
                if not is_out_of_memory(error):
                    raise
                self._shrink()
        self.history.flush(step)
        self._update_wall()
        if step < settings.steps:
            self._checkpoint(step)
            return Outcome(False, step, self.history, self.settings, "last")
        return Outcome(True, step, self.history, self.settings, self._final_weights())

    def _train(self, step: int) -> int:
        settings = self.settings
        make_inputs = self.architecture.input_maker(self.loaded.processor, self.labels,
                                                    self.model.config, settings.seed)
        encoder = BatchEncoder(self.train_images, self.labels, settings.augmentation,
                               make_inputs, settings.seed)
        plan = BatchPlan(len(self.train_images), settings.batch, settings.accumulate,
                         settings.seed)
        loader = BatchLoader(encoder, plan, step, settings.steps, threads=settings.workers)
        bad_steps = 0
        for group in loader.steps():
            started = time.perf_counter()
            values = self._step(group)
            self._step_seconds.append(time.perf_counter() - started)
            self.history.training_seconds += self._step_seconds[-1]
            finite = all(math.isfinite(value) for value in values.values())
            bad_steps = 0 if finite else bad_steps + 1
            if bad_steps >= MAX_BAD_STEPS:
                raise TrainingError(f"the loss is not finite ({values['loss']}) for "
                                    f"{bad_steps} steps in a row at step {step + 1}: try a "
                                    "lower --lr")
            step += 1
            if finite:
                self.history.log(step, values)
            self.reporter.step(step, values["loss"] if finite else None, values["lr"],
                               self._eta(step))
            if self.validation_images and (step % settings.eval_every == 0
                                           or step == settings.steps):
                self._evaluate(step)
            if step % settings.checkpoint_every == 0 and step < settings.steps:
                self._checkpoint(step)
            if self.stop.requested:
                break
        return step

    def _step(self, group: list[Batch]) -> dict[str, float]:
        model, settings = self.model, self.settings
        self.optimizer.zero_grad(set_to_none=True)
        totals = {"loss": 0.0}
        for batch in group:
            inputs = to_device(batch.inputs, self.device)
            with torch.autocast(self._device_type, dtype=self._autocast_dtype,
                                enabled=self.precision != "fp32"):
                prediction = self.architecture.predict(model, inputs)
            loss, parts = self.criterion.total(prediction, inputs["mask_labels"],
                                               inputs["class_labels"], batch.valid,
                                               prediction.extra_losses)
            self.scaler.scale(loss / len(group)).backward()
            totals["loss"] += float(loss.detach()) / len(group)
            for name, value in parts.items():
                totals[name] = totals.get(name, 0.0) + value / len(group)
        if math.isfinite(totals["loss"]) or self.scaler.is_enabled():  # the scaler skips inf
            self.scaler.unscale_(self.optimizer)
            if settings.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        totals["lr"] = self.optimizer.param_groups[-1]["lr"]
        with warnings.catch_warnings():  # fp16's scaler skips steps with inf gradients
            warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
            self.scheduler.step()
        return totals

    # -- evaluation, checkpoints ----------------------------------------------------------
    def _evaluate(self, step: int) -> None:
        started = time.perf_counter()
        result = evaluate(self.loaded, self.device, self.validation_images, self.categories,
                          self.thresholds)
        self._eval_seconds = time.perf_counter() - started
        self.history.validation_seconds += self._eval_seconds
        record = summary(step, result)
        self.history.validation.append(record)
        self.reporter.evaluation(record)
        best = self.history.best
        if step > 0 and (best is None or record["pq"] >= best["pq"]):
            self.run_folder.save_best(self.model)
            self.history.best = {"step": step, "pq": record["pq"]}

    def _update_wall(self) -> None:
        self.history.wall_seconds = self._wall_before + time.perf_counter() - self._session_started

    def _checkpoint(self, step: int) -> None:
        self._update_wall()
        state = {"step": step, "model": self.model.state_dict(),
                 "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                 "rng": torch.get_rng_state(),
                 "cuda_rng": (torch.cuda.get_rng_state_all()
                              if self._device_type == "cuda" else []),
                 "history": json.dumps(self.history.to_json()),
                 "settings": json.dumps(self.settings.to_json())}
        try:
            self.run_folder.save_checkpoint(state)
        except StoreError as error:
            kept = (f"the checkpoint of step {self.saved_step} is intact"
                    if self.saved_step is not None else "no earlier checkpoint exists")
            raise TrainingError(f"could not save the checkpoint of step {step} ({error}); "
                                f"{kept} in {self.run_folder.partial}") from error
        self.saved_step = step
        self.reporter.checkpoint(step)

    def _restore(self, state: dict) -> int:
        """Continue from ``state`` (checked by :func:`run_checks.check_checkpoint`); a part
        that still does not fit is a RunFolderError naming the checkpoint."""
        try:
            return self._restore_parts(state)
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise RunFolderError(f"{self.run_folder.checkpoint} cannot be restored "
                                 f"({one_line(exc)[:200]}); nothing was deleted: start again "
                                 "under another --name") from exc

    def _restore_parts(self, state: dict) -> int:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"])
        if state["cuda_rng"] and self._device_type == "cuda":
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.history = History.from_json(json.loads(state["history"]))
        self._wall_before = self.history.wall_seconds
        saved = TrainSettings.from_json(json.loads(state["settings"]))
        self.settings = replace(self.settings, batch=saved.batch, accumulate=saved.accumulate,
                                size=saved.size)
        self.saved_step = int(state["step"])
        return self.saved_step

    def _final_weights(self) -> str:
        best = self.run_folder.load_best() if self.history.best is not None else None
        if best is None:
            return "last"
        self.model.load_state_dict(best)
        return "best"

    # -- helpers --------------------------------------------------------------------------
    def _shrink(self) -> None:
        """After running out of memory: half the batch (twice the accumulation), else a
        smaller input; the same step is tried again."""
        self.optimizer.zero_grad(set_to_none=True)
        if self._device_type == "cuda":
            torch.cuda.empty_cache()
        s = self.settings
        if s.batch > 1:
            self.settings = replace(s, batch=s.batch // 2, accumulate=s.accumulate * 2)
            message = (f"out of memory on {self.device} at batch {s.batch}: retrying with "
                       f"batch {s.batch // 2} and accumulation {s.accumulate * 2} (the same "
                       "images per step)")
        elif s.size * 3 // 4 // 32 * 32 >= MIN_SIZE:
            size = s.size * 3 // 4 // 32 * 32
            self.settings = replace(s, size=size)
            message = f"out of memory on {self.device} at size {s.size}: retrying at {size}"
        else:
            raise TrainingError(f"out of memory on {self.device} even at batch 1 and size "
                                f"{s.size}: use a smaller model or another device")
        self.history.notices.append(message)
        self.reporter.notice(message)

    def _eta(self, step: int) -> float | None:
        recent = self._step_seconds[-50:]
        if not recent:
            return None
        remaining = self.settings.steps - step
        evaluations = remaining // self.settings.eval_every if self.validation_images else 0
        return remaining * sum(recent) / len(recent) + evaluations * self._eval_seconds

    @property
    def _device_type(self) -> str:
        return self.device.split(":")[0]

    @property
    def _autocast_dtype(self) -> torch.dtype:
        return torch.float16 if self.precision == "fp16" else torch.bfloat16
