"""``panoptix presegment``: pre-segment a folder of images into a project, headless.

Images already pre-segmented are skipped unless ``--force``; images a person edited are
never overwritten. Exit status: 0 when every image succeeded, 1 when some failed, 2 when
nothing could run (no model, no images, no project), 130 when interrupted. Running it
again after an interruption or a kill finishes the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from panoptix.core.atomic import StoreError
from panoptix.core.categories import CategoryError
from panoptix.core.imageio import (
    PROJECT_SUFFIX,
    SUPPORTED_EXTENSIONS,
    ImageLoadError,
    find_images,
    is_image_file,
)
from panoptix.core.paths import is_utf8_name, shown_name
from panoptix.core.project import MANIFEST_NAME, ImageStatus, Project
from panoptix.core.project_layout import project_folder
from panoptix.core.regular_files import NOT_REGULAR
from panoptix.inference.batch import BatchPresegmenter
from panoptix.inference.cluster_args import add_cluster_arguments, cluster_options
from panoptix.inference.cluster_plan import ClusterError, ClusterOptions
from panoptix.inference.device import DeviceError
from panoptix.inference.engine import Predictor, PredictorError
from panoptix.inference.labels import categories_for_model
from panoptix.inference.loading import ModelLoadError, is_local_spec
from panoptix.inference.pipeline import BatchReport
from panoptix.inference.raw_outputs import TASKS
from panoptix.inference.registry import DEFAULT_MODEL_ID
from panoptix.inference.settings import InferenceSettings, SettingsError

EXIT_OK, EXIT_SOME_FAILED, EXIT_NOTHING_RAN, EXIT_INTERRUPTED = 0, 1, 2, 130
SETTINGS_KEY = "inference"
"""Where the project manifest keeps the inference settings (shared with the GUI)."""
FATAL = (ModelLoadError, DeviceError, SettingsError, StoreError, CategoryError,
         PredictorError, ImageLoadError, ClusterError, OSError)


def add_presegment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="IMAGES_DIR_OR_FILES",
                        help="a folder of images (searched recursively) or image files")
    parser.add_argument("--out", required=True, metavar="PROJECT",
                        help="the project folder, created if needed")
    parser.add_argument("--model", metavar="M",
                        help="hub id or local model folder (default: the project's model, "
                             f"else {DEFAULT_MODEL_ID})")
    parser.add_argument("--device", metavar="D",
                        help="auto (CUDA, then MPS, then CPU), cpu, mps, cuda or cuda:N")
    parser.add_argument("--task", choices=TASKS,
                        help="default: the checkpoint's own task, panoptic when unknown")
    parser.add_argument("--threshold", type=float, metavar="T",
                        help="class score a segment needs (default 0.8)")
    parser.add_argument("--mask-threshold", type=float, metavar="T",
                        help="mask probability counted as inside (default 0.5)")
    parser.add_argument("--overlap-threshold", type=float, metavar="T",
                        help="share of its own mask a segment must keep (default 0.8)")
    parser.add_argument("--snap-edges", action=argparse.BooleanOptionalAction, default=None,
                        help="move segment boundaries onto the image's edges (default: the "
                             "project's setting, else as the model advises, else off)")
    parser.add_argument("--split-parts", action=argparse.BooleanOptionalAction, default=None,
                        help="make each large detached part of an object segment an object "
                             "of its own (default: the project's setting, else as the model "
                             "advises, else off)")
    parser.add_argument("--shortest-edge", type=int, metavar="PX",
                        help="model input size; smaller is faster (default: the checkpoint's)")
    parser.add_argument("--batch-size", type=int, default=1, metavar="N",
                        help="images per forward pass (default 1)")
    parser.add_argument("--half", action="store_true", help="float16 on CUDA")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="accept pickle weights (.bin), which can run code: trusted "
                             "models only")
    parser.add_argument("--force", action="store_true",
                        help="redo images already pre-segmented (never ones edited by hand)")
    parser.add_argument("--no-raw-outputs", dest="save_raw", action="store_false",
                        help="do not keep raw model outputs (saves disk; changing "
                             "thresholds later then needs the model again)")
    add_cluster_arguments(parser)


def run_presegment(args: argparse.Namespace) -> int:
    """Run ``panoptix presegment`` with parsed arguments; returns the exit status."""
    try:
        return _presegment(args)
    except KeyboardInterrupt:
        _say("interrupted before any image was done; nothing changed")
        return EXIT_INTERRUPTED
    except FATAL as error:
        _say(f"error: {' '.join(str(error).split())}")
        return EXIT_NOTHING_RAN


def _presegment(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise SettingsError("--batch-size must be at least 1")
    cluster = cluster_options(args)  # before any work: Ray missing is one line at once
    out = project_folder(os.path.expanduser(args.out))
    files, folders = _inputs(args.inputs, out)
    images = _all_files(files, folders, out)
    if not images:
        raise ImageLoadError("no images found in " + ", ".join(map(str, args.inputs)))
    project = Project.open(out) if (out / MANIFEST_NAME).is_file() else None
    try:
        stored = project.settings.get(SETTINGS_KEY) if project is not None else None
        settings = _settings(args, stored if isinstance(stored, dict) else {})
        predictor = Predictor(notify=_say)
        # Under Ray the workers load the model; here it is checked and gives its labels.
        predictor.load(settings.model, "cpu" if cluster else settings.device,
                       half=settings.half and not cluster,
                       allow_pickle=settings.allow_pickle, progress=lambda m: _say(f"{m}…"))
        predictor.shortest_edge = settings.shortest_edge
        if project is None:
            sources = folders if len(folders) == 1 and not files else images
            project = Project.open_or_create_for_images(
                sources, project_folder=out,
                categories=categories_for_model(settings.model, predictor.id2label).categories)
        else:
            project.add_images(images)
        if project.read_only:
            raise StoreError(f"cannot write to the project {project.folder}")
        project.settings[SETTINGS_KEY] = settings.stored()
        project.save_manifest()
        if cluster:
            predictor = predictor.without_model()  # frees the weights: workers load their own
        return _run(project, predictor, settings, _select(project, files, folders, args.force),
                    args, cluster)
    finally:
        if project is not None:
            project.close()


def _run(project: Project, predictor: Predictor, settings: InferenceSettings,
         selection: tuple[list[str], int, int], args: argparse.Namespace,
         cluster: ClusterOptions | None) -> int:
    keys, done_before, edited = selection
    model_categories = categories_for_model(settings.model, predictor.id2label,
                                            project.categories)
    _say(f"{len(keys)} image(s) to pre-segment with {settings.model} "
         f"{'on Ray' if cluster else f'on {predictor.device}'}"
         + (f"; {done_before} already pre-segmented (--force redoes them)" if done_before else "")
         + (f"; {edited} edited by hand, kept" if edited else "") + _switches_said(settings))
    overwrite = {ImageStatus.NEW, *([ImageStatus.PRESEGMENTED] if args.force else [])}
    with tqdm(total=len(keys), unit="img", dynamic_ncols=True, file=sys.stderr) as bar:
        failures = 0

        def advance(path: str, error: str | None) -> None:
            nonlocal failures
            if error is not None:
                failures += 1
                bar.set_postfix(failed=failures)
            bar.update(1)

        if cluster is not None:
            from panoptix.inference.cluster import RayPresegmenter

            runner = RayPresegmenter(project, predictor, settings, model_categories, cluster,
                                     save_raw=args.save_raw, overwrite=frozenset(overwrite),
                                     on_image=advance, notify=_say)
        else:
            runner = BatchPresegmenter(project, predictor, settings, model_categories,
                                       batch_size=args.batch_size, save_raw=args.save_raw,
                                       overwrite=frozenset(overwrite), on_image=advance)
        report = runner.run(keys)
    return _summary(report, len(keys), model_categories.unknown)


def _inputs(inputs: list[str], out: Path) -> tuple[list[Path], list[Path]]:
    """The image files and folders asked for. Refused: what does not exist or is not an
    image, and folders that are (or lie inside) the project; files inside the project
    and names that are not UTF-8 are left out, each with one line."""
    files, folders = [], []
    for name in inputs:
        path = Path(os.path.abspath(os.path.expanduser(name)))
        shown = shown_name(name)
        if path.is_dir():
            if path == out:
                raise ImageLoadError(f"--out {shown_name(out)} is the image folder itself: "
                                     "give a project folder beside it, e.g. "
                                     f"{shown_name(path)}{PROJECT_SUFFIX}")
            if path.is_relative_to(out):
                raise ImageLoadError(f"{shown} is inside the project {shown_name(out)}: its "
                                     "files are the project's, not images to pre-segment")
            if out.is_relative_to(path):
                _say(f"{shown_name(out)} is inside {shown}: its files are not taken as images")
            folders.append(path)
        elif path.is_file():
            if not is_image_file(path):
                raise ImageLoadError(f"{shown} is not an image Panoptix reads (by its "
                                     f"extension: {', '.join(sorted(SUPPORTED_EXTENSIONS))})")
            if path.is_relative_to(out):
                _say(f"skipped {shown}: it is one of the project's own files")
            elif not is_utf8_name(str(path)):
                _say(f"skipped {shown}: the name is not valid UTF-8; rename it")
            else:
                files.append(path)
        elif os.path.exists(path):
            raise ImageLoadError(f"{shown}: {NOT_REGULAR}")
        else:
            raise ImageLoadError(f"{shown}: no such file or folder")
    return files, folders


def _all_files(files: list[Path], folders: list[Path], out: Path) -> list[Path]:
    found = list(files)
    for folder in folders:
        skipped: list[str] = []
        found += find_images(folder, recursive=True, exclude=[out], skipped=skipped)
        for line in skipped:
            _say(f"skipped {line}")
    return list(dict.fromkeys(found))


def _switches_said(settings: InferenceSettings) -> str:
    """The post-processing switches that are on, and whether the model chose them."""
    on = [(words, settings.follows_model(name))
          for name, words, value in (("snap_edges", "boundaries snapped to the image's edges",
                                      settings.resolved_snap_edges),
                                     ("split_parts", "detached parts of objects split",
                                      settings.resolved_split_parts)) if value]
    if not on:
        return ""
    if len({advised for _, advised in on}) == 1:
        source = "as the model advises" if on[0][1] else "as asked"
        return f"; {' and '.join(words for words, _ in on)} ({source})"
    return "; " + ", ".join(f"{words} ({'as the model advises' if advised else 'as asked'})"
                            for words, advised in on)


def _settings(args: argparse.Namespace, stored: dict) -> InferenceSettings:
    """The project's settings (if any), with the options given on the command line."""
    base = InferenceSettings.from_stored(stored) if stored else InferenceSettings()
    model = args.model
    if model is not None and is_local_spec(model):  # a folder: found again from anywhere
        model = os.path.abspath(os.path.expanduser(model))
    given = {"model": model, "device": args.device, "task": args.task,
             "threshold": args.threshold, "mask_threshold": args.mask_threshold,
             "overlap_threshold": args.overlap_threshold, "snap_edges": args.snap_edges,
             "split_parts": args.split_parts,
             "shortest_edge": args.shortest_edge,
             "half": args.half or None, "allow_pickle": args.allow_pickle or None}
    changes = {name: value for name, value in given.items() if value is not None}
    if "model" in changes and changes["model"] != base.model and args.task is None:
        changes["task"] = None  # another model: its own task, not the previous model's
    return base.with_changes(**changes)


def _select(project: Project, files: list[Path], folders: list[Path],
            force: bool) -> tuple[list[str], int, int]:
    """Keys of the requested images to run, and how many were pre-segmented or edited."""
    wanted_files = {os.path.normcase(str(f)) for f in files}
    wanted_folders = [os.path.normcase(str(f)) + os.sep for f in folders]
    keys, done_before, edited = [], 0, 0
    for entry in project.images:
        path = os.path.normcase(os.path.abspath(project.image_root / entry.rel_path))
        if path not in wanted_files and not any(path.startswith(f) for f in wanted_folders):
            continue
        if entry.status in (ImageStatus.EDITED, ImageStatus.DONE):
            edited += 1
        elif entry.status == ImageStatus.PRESEGMENTED and not force:
            done_before += 1
        else:
            keys.append(entry.key)
    return keys, done_before, edited


def _summary(report: BatchReport, total: int, unknown_labels: dict[int, str]) -> int:
    saved, failed = len(report.saved), len(report.failed)
    if report.interrupted:
        _say(f"interrupted: {saved} of {total} images saved; run the same command again "
             "to finish the rest")
    else:
        _say(f"done: {saved} of {total} images pre-segmented"
             f"{f', {failed} failed' if failed else ''}"
             f"{f', {len(report.kept)} edited meanwhile and kept' if report.kept else ''}")
    for note in report.notes:
        _say(note)
    raw_line = report.raw_line()
    if raw_line is not None:
        _say(raw_line)
    if report.dropped:
        dropped = ", ".join(f"{name} ({count})" for name, count in report.dropped.most_common())
        _say(f"segments dropped, no category of that name: {dropped}")
    elif unknown_labels:
        _say(f"{len(unknown_labels)} model labels have no category: "
             + ", ".join(sorted(unknown_labels.values())[:10]))
    for path, error in report.failed.items():
        print(f"failed: {path}: {error}", file=sys.stderr)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _say(message: str) -> None:
    tqdm.write(f"panoptix presegment: {message}", file=sys.stderr)
