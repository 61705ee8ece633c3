"""``panoptix train PROJECT``: fine-tune a model on the project's images marked done.

Exit status: 0 trained (the model folder is complete), 1 failed (one line saying why;
nothing half-written), 2 bad arguments, 130 stopped (Ctrl-C, SIGTERM or ``stop`` on
stdin: the last checkpoint is kept and ``--resume`` continues it).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from panoptix import __version__
from panoptix.core.atomic import StoreError
from panoptix.core.folder_lock import FolderLock
from panoptix.core.imageio import ImageLoadError
from panoptix.core.manifest import ImageStatus
from panoptix.core.messages import one_line
from panoptix.inference.device import DeviceError, choose_device
from panoptix.inference.loading import ModelLoadError, is_local_spec
from panoptix.inference.registry import DEFAULT_MODEL_ID
from panoptix.inference.settings import InferenceSettings, SettingsError
from panoptix.training.configs import SCRATCH_KINDS, default_size, processor_size
from panoptix.training.errors import TrainingError, TrainingSetupError
from panoptix.training.progress import Reporter, StopFlag, stop_on_signals
from panoptix.training.project_data import VALIDATION_SHARE, ProjectReader, TrainingDataError
from panoptix.training.run_folder import RunFolder, RunFolderError, check_name, latest_partial
from panoptix.training.settings import TrainSettings

if TYPE_CHECKING:
    from panoptix.inference.loading import LoadedModel

EXIT_OK, EXIT_FAILED, EXIT_STOPPED = 0, 1, 130
SETTINGS_KEY = "inference"
FAILURES = (TrainingDataError, TrainingSetupError, RunFolderError, TrainingError,
            ModelLoadError, DeviceError, SettingsError, StoreError, ImageLoadError)
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", type=Path, help="the project folder")
    parser.add_argument("--name", metavar="NAME",
                        help="the model folder PROJECT/models/NAME (default: the base's "
                             "name and the time; with --resume: the latest interrupted run)")
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", metavar="M",
                      help="hub id or local folder to start from (default: the project's "
                           f"model, else {DEFAULT_MODEL_ID})")
    base.add_argument("--from-scratch", choices=SCRATCH_KINDS, metavar="KIND",
                      help="a new model of a built-in size: tiny (tests), small "
                           "(demo-sized, trains on a CPU), oneformer-tiny (a OneFormer "
                           "for tests)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, metavar="N", help="optimizer steps")
    length.add_argument("--epochs", type=float, metavar="E",
                        help="passes over the training images (default 10)")
    parser.add_argument("--batch", type=int, default=2, metavar="B",
                        help="images per forward pass (default 2)")
    parser.add_argument("--accumulate", type=int, default=1, metavar="K",
                        help="forward passes per optimizer step (default 1)")
    parser.add_argument("--size", type=int, metavar="PX",
                        help="training crop and inference shortest edge, a multiple of 32 "
                             "(default: the base's input size; tiny 128, small 384)")
    parser.add_argument("--lr", type=float,
                        help="learning rate (default 1e-4; 1e-3 from scratch, which learns "
                             "nothing in a few hundred steps at 1e-4)")
    parser.add_argument("--backbone-lr-factor", type=float, metavar="F",
                        help="backbone learning rate = lr x F (default 0.1; 1 from scratch)")
    parser.add_argument("--weight-decay", type=float, default=0.05, metavar="W")
    parser.add_argument("--warmup", type=int, metavar="N",
                        help="linear warm-up steps before poly decay (default 5%% of the "
                             "steps, at most 200)")
    parser.add_argument("--clip", type=float, default=0.01, metavar="NORM",
                        help="clip the gradient norm (default 0.01, as Mask2Former; 0: off)")
    parser.add_argument("--val", type=float, default=VALIDATION_SHARE, metavar="FRACTION",
                        help=f"share of the images held out for validation (default "
                             f"{VALIDATION_SHARE:g}; "
                             "at least one of five or more)")
    parser.add_argument("--eval-every", type=int, metavar="N",
                        help="validate every N steps (default: every epoch, at most 20 times)")
    parser.add_argument("--checkpoint-every", type=int, metavar="N",
                        help="write a checkpoint every N steps (default: as --eval-every)")
    parser.add_argument("--include-edited", action="store_true",
                        help="train on images edited but not marked done, too")
    parser.add_argument("--device", metavar="D",
                        help="auto (CUDA, then MPS, then CPU), cpu, mps, cuda or cuda:N")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="autocast type (default auto: bf16 or fp16 on CUDA, else fp32)")
    parser.add_argument("--object-crops", type=float, default=0.0, metavar="P",
                        help="share of training crops placed around a random object (a "
                             "thing segment) of the image, so that small objects are seen "
                             "often (default 0: crops anywhere)")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="threads preparing batches (default 2; 0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--use", action="store_true",
                        help="make the trained model the project's model")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from its last checkpoint")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="accept a base with pickle weights (.bin), which can run code")
    parser.add_argument("--progress", choices=("bar", "json"), default="bar",
                        help="a progress bar on stderr, or JSON lines on stdout")


def run_train(args: argparse.Namespace) -> int:
    stop = StopFlag()  # also when the window that reads the progress dies
    reporter = Reporter(json_lines=args.progress == "json", on_reader_gone=stop.set)
    try:
        with stop_on_signals(stop, listen_stdin=args.progress == "json"):
            return _train(args, reporter, stop)
    except FAILURES as error:
        return _fail(reporter, one_line(error))
    except KeyboardInterrupt:
        return _fail(reporter, "interrupted; the last checkpoint, if any, is kept", EXIT_STOPPED)
    except Exception as error:
        from panoptix.inference.device import is_out_of_memory

        if is_out_of_memory(error):
            return _fail(reporter, f"out of memory: {one_line(error)[:200]}")
        raise


def _train(args: argparse.Namespace, reporter: Reporter, stop: StopFlag) -> int:
    """The run; torch and transformers are imported here, not for ``--help``."""
    from panoptix.training.setup import (
        TrainingData,
        build_record,
        collect,
        model_for_run,
        resume_model,
        use_model,
    )
    from panoptix.training.trainer import Trainer

    started = time.perf_counter()
    _check_numbers(args)
    reader = ProjectReader(args.project)
    thresholds = _thresholds(reader)
    device = choose_device(args.device)
    if args.resume:
        name = args.name or latest_partial(reader.folder)
        if name is None:
            raise RunFolderError(f"no interrupted run in {reader.folder / 'models'} to resume")
        run = RunFolder(reader.folder, check_name(name))
        run.check_folders()
        held = run.lock()  # one process per run folder, until this one ends
        run.clean()
        run_json, images = run.read_run()
        data = TrainingData.from_run(run_json, images)
        settings = TrainSettings.from_json(run_json["settings"])
        loaded, checkpoint = resume_model(run, run_json, data.labels, reader.categories,
                                           args.allow_pickle)
    else:
        statuses = [ImageStatus.DONE, *([ImageStatus.EDITED] if args.include_edited else [])]
        data = collect(reader, statuses, args.val, args.seed)
        base = args.base or _project_model(reader)
        name = check_name(args.name or _default_name(args.from_scratch, base))
        run = RunFolder(reader.folder, name)
        run.check_new()
        loaded, transfer = model_for_run(args.from_scratch, base, data.labels,
                                         reader.categories, args.allow_pickle, args.seed)
        settings = _settings(args, loaded, len(data.train))
        _fit_processor(loaded, settings.size)
        held = run.create(data.run_json(args.from_scratch, base, transfer, settings,
                                        statuses),
                          data.train + data.validation, loaded.model, loaded.processor)
        run_json, checkpoint = run.read_run()[0], None
    for path, reason in data.skipped.items():
        reporter.notice(f"skipped {path}: {reason}")
    trainer = Trainer(run, loaded, data.train, data.validation, data.labels,
                      reader.categories, thresholds, settings, device, reporter, stop)
    outcome = trainer.run(checkpoint)
    if not outcome.finished:
        _release(held)
        reporter.stopped(outcome.step, str(run.partial))
        reporter.say(f"stopped at step {outcome.step} of {settings.steps}; the checkpoint is "
                     f"kept: panoptix train {reader.folder} --name {run.name} --resume "
                     "continues it")
        return EXIT_STOPPED
    record = build_record(run_json, outcome, trainer, data, __version__,
                          time.perf_counter() - started)
    folder = run.finish(loaded.model, loaded.processor, record)
    _release(held)
    run.drop_partial()
    best = outcome.history.best
    reporter.finished(model=str(folder), best=best, steps=outcome.step)
    quality = (f"validation PQ {100 * best['pq']:.1f} (step {best['step']})" if best
               else "no validation images")
    reporter.say(f"trained {run.name} for {outcome.step} steps; {quality}; saved to {folder}")
    if args.use:
        reporter.say(use_model(reader.folder, folder))
    return EXIT_OK


def _release(held: FolderLock | None) -> None:
    """Let the run folder go (an error leaves it to the process's end)."""
    if held is not None:
        held.release()


def _settings(args: argparse.Namespace, loaded: LoadedModel, train_images: int
              ) -> TrainSettings:
    from panoptix.training.models import base_shortest_edge

    scratch = args.from_scratch
    size = args.size or (default_size(scratch) if scratch else base_shortest_edge(loaded))
    size = max(64, round(size / 32) * 32)
    per_epoch = max(1, math.ceil(train_images / (args.batch * args.accumulate)))
    steps = args.steps if args.steps is not None else math.ceil(
        (args.epochs if args.epochs is not None else 10) * per_epoch)
    eval_every = args.eval_every or max(per_epoch, math.ceil(steps / 20))
    return TrainSettings(
        steps=steps, batch=args.batch, accumulate=args.accumulate, size=size,
        lr=args.lr if args.lr is not None else 1e-3 if scratch else 1e-4,
        backbone_lr_factor=(args.backbone_lr_factor if args.backbone_lr_factor is not None
                            else 1.0 if scratch else 0.1),
        weight_decay=args.weight_decay,
        warmup=args.warmup if args.warmup is not None else min(200, max(1, steps // 20)),
        clip=args.clip, eval_every=eval_every,
        checkpoint_every=args.checkpoint_every or eval_every, precision=args.precision,
        workers=args.workers, seed=args.seed, object_crops=args.object_crops)


def _check_numbers(args: argparse.Namespace) -> None:
    problems = [f"--{name.replace('_', '-')} must be at least {low}"
                for name, low in (("batch", 1), ("accumulate", 1), ("steps", 1),
                                  ("eval_every", 1), ("checkpoint_every", 1), ("workers", 0),
                                  ("size", 64), ("warmup", 0))
                if getattr(args, name) is not None and getattr(args, name) < low]
    if args.epochs is not None and args.epochs <= 0:
        problems.append("--epochs must be above 0")
    if not 0 <= args.val < 1:
        problems.append("--val must be a fraction from 0 up to (not including) 1")
    if not 0 <= args.object_crops <= 1:
        problems.append("--object-crops must be a probability from 0 to 1")
    if args.lr is not None and not args.lr > 0:
        problems.append("--lr must be above 0")
    if problems:
        raise SettingsError("; ".join(problems))


def _fit_processor(loaded: LoadedModel, size: int) -> None:
    """The processor at the training size, so validation and later inference use it."""
    from panoptix.training.models import base_shortest_edge

    if base_shortest_edge(loaded) == size and loaded.image_processor.size.longest_edge:
        return
    image_processor = loaded.image_processor
    fitted = type(image_processor).from_dict(
        {**image_processor.to_dict(), "size": processor_size(size)})
    if loaded.processor is image_processor:
        loaded.processor = fitted
    else:  # OneFormer's processor: its tokenizer stays
        loaded.processor.image_processor = fitted


def _thresholds(reader: ProjectReader) -> InferenceSettings:
    stored = reader.settings.get(SETTINGS_KEY)
    try:
        return InferenceSettings.from_dict(stored) if isinstance(stored, dict) else \
            InferenceSettings()
    except SettingsError:
        return InferenceSettings()


def _project_model(reader: ProjectReader) -> str:
    stored = reader.settings.get(SETTINGS_KEY)
    model = stored.get("model") if isinstance(stored, dict) else None
    return model if isinstance(model, str) and model.strip() else DEFAULT_MODEL_ID


def _default_name(scratch: str | None, base: str) -> str:
    stem = f"scratch-{scratch}" if scratch else (
        Path(base).name if is_local_spec(base) else base.split("/")[-1])
    return f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def _fail(reporter: Reporter, message: str, code: int = EXIT_FAILED) -> int:
    reporter.error(message)
    print(f"panoptix train: error: {message}", file=sys.stderr)
    return code

