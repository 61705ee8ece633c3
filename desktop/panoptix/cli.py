"""The ``panoptix`` command.

``panoptix [PATH] [--model M] [--device D]`` opens the window; the subcommands work without
it: ``presegment``, ``export``, ``import``, ``validate`` and ``train``. Everything heavy (Qt, torch,
numpy and the core) is imported inside the command that needs it, so ``--help`` is quick.

Exit status: 0 done, 1 failed (one line per problem, or one line saying why), 2 bad
arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from panoptix import __version__

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
FORMATS = ("coco-panoptic", "semantic", "coco-instances")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in COMMANDS:
            parsed = command_parser(args[0]).parse_args(args)
            return int(parsed.run(parsed))
        parsed = window_parser().parse_args(args)
        from panoptix.gui.app import run

        return run(parsed.path, model=parsed.model, device=parsed.device,
                   sam_model=parsed.sam_model)
    except KeyboardInterrupt:
        _error("interrupted; nothing was left half-written")
        return EXIT_INTERRUPTED


def window_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panoptix", epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Annotate images for panoptic segmentation: a model pre-segments, you "
                    "correct, Panoptix exports COCO panoptic.")
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="a folder of images or a project folder "
                             "(default: the bundled samples)")
    parser.add_argument("--model", metavar="M", help="hub id or local model folder")
    parser.add_argument("--device", metavar="D", help="auto, cpu, mps, cuda or cuda:N")
    parser.add_argument("--sam-model", metavar="M",
                        help="hub id or local folder of the Segment Anything model "
                             "(default: the project's, else facebook/sam2.1-hiera-tiny)")
    parser.add_argument("--list-models", action=ListModels,
                        help="list the known checkpoints, their tasks, category tables and "
                             "weight formats, and exit")
    parser.add_argument("--version", action="version", version=f"panoptix {__version__}")
    return parser


class ListModels(argparse.Action):
    """Like ``--version``: print and exit, with no window and no model."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from panoptix.inference.model_list import format_models

        try:
            print(format_models(), flush=True)
        except BrokenPipeError:  # piped into head: the rest is not wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        parser.exit()


def command_parser(selected: str) -> argparse.ArgumentParser:
    """The subcommands' parser; only ``selected`` gets its arguments, so that building it
    imports nothing another command needs (``presegment`` brings in the model code)."""
    parser = argparse.ArgumentParser(prog="panoptix")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (summary, configure) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == selected:
            configure(sub)
    return parser


def _presegment_arguments(parser: argparse.ArgumentParser) -> None:
    from panoptix.inference.presegment import add_presegment_arguments, run_presegment

    add_presegment_arguments(parser)
    parser.set_defaults(run=run_presegment)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", type=Path, help="the project folder")
    parser.add_argument("--out", required=True, metavar="DIR", type=Path,
                        help="folder to write into (made if needed)")
    parser.add_argument("--name", metavar="NAME",
                        help="gives panoptic_NAME.json (semantic_NAME.json, "
                             "instances_NAME.json); default: the project's name")
    parser.add_argument("--only-done", action="store_true", help="only images marked done")
    parser.add_argument("--format", choices=FORMATS, default="coco-panoptic")
    parser.add_argument("--ids", choices=("train", "category"),
                        help="semantic pixel values: train (default) = 0..N-1 in the category "
                             "table's order, as detectron2, Mask2Former and MMSegmentation "
                             "train on; category = the categories' own ids. 255 (65535 in "
                             "16-bit PNGs) is unlabeled either way")
    parser.add_argument("--flat-names", action="store_true",
                        help="flat, unique names with a single dot (x/b.2024.jpg -> "
                             "x_b_2024.jpg); images[] keep original_file_name")
    parser.add_argument("--images", choices=("copy", "link", "jpeg"),
                        help="also put the images in OUT/NAME/ under the exported names: "
                             "copy, link (hard links), or jpeg (every image as <png stem>.jpg, "
                             "as detectron2 looks them up; non-JPEGs converted)")
    parser.add_argument("--image-ids-from", metavar="REFERENCE_JSON", type=Path,
                        help="take each image's id (and file_name, unless --images) from the "
                             "COCO JSON whose images have its file name (same path, name or "
                             "unique stem), so that panopticapi and detectron2, which pair "
                             "by image_id, pair the export with it; images it lacks are "
                             "reported and numbered above its ids")
    parser.set_defaults(run=run_export)


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("json", metavar="PANOPTIC_JSON", type=Path)
    parser.add_argument("--png-dir", metavar="DIR", type=Path,
                        help="the PNG folder (default: the JSON's path without .json)")
    parser.add_argument("--images", required=True, metavar="DIR", type=Path,
                        help="the folder images[].file_name is relative to")
    parser.add_argument("--out", required=True, metavar="PROJECT", type=Path,
                        help="the new project folder (absent or empty)")
    parser.set_defaults(run=run_import)


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    from panoptix.training.command import add_train_arguments, run_train

    add_train_arguments(parser)
    parser.set_defaults(run=run_train)


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("json", metavar="PANOPTIC_JSON", type=Path)
    parser.add_argument("png_dir", nargs="?", metavar="PNG_DIR", type=Path,
                        help="default: the JSON's path without .json")
    parser.set_defaults(run=run_validate)


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    for side, what in (("gt", "ground truth"), ("pred", "prediction")):
        parser.add_argument(side, metavar=side.upper(), type=Path,
                            help=f"the {what}: a COCO panoptic JSON or a project folder")
    parser.add_argument("--gt-png-dir", metavar="DIR", type=Path,
                        help="GT's PNG folder (default: the JSON's path without .json)")
    parser.add_argument("--pred-png-dir", metavar="DIR", type=Path,
                        help="PRED's PNG folder (default: the JSON's path without .json)")
    parser.add_argument("--all-annotated", action="store_true",
                        help="a GT project counts every annotated image, not only done ones")
    parser.add_argument("--json", action="store_true",
                        help="print panopticapi's JSON layout instead of a table")
    parser.set_defaults(run=run_evaluate)


def _demo_data_arguments(parser: argparse.ArgumentParser) -> None:
    from panoptix.synth.command import add_arguments

    add_arguments(parser)


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "presegment": ("pre-segment images into a project, without the window",
                   _presegment_arguments),
    "export": ("write a project as COCO panoptic, semantic or COCO instances",
               _export_arguments),
    "import": ("make a project from a COCO panoptic dataset", _import_arguments),
    "validate": ("check a COCO panoptic dataset; exit 1 with one line per problem",
                 _validate_arguments),
    "evaluate": ("panoptic quality (PQ, SQ, RQ) of a prediction against ground truth",
                 _evaluate_arguments),
    "demo-data": ("write generated scenes with exact ground truth (COCO panoptic or a "
                  "project)", _demo_data_arguments),
    "train": ("fine-tune a model on the project's images marked done", _train_arguments),
}


def _epilog() -> str:
    lines = [f"  {name:<11s}  {summary}" for name, (summary, _) in COMMANDS.items()]
    return "\n".join(["commands (panoptix COMMAND --help for each):", *lines, "",
                      "A PATH named like a command opens as ./NAME."])


def run_export(args: argparse.Namespace) -> int:
    from panoptix.core.atomic import StoreError
    from panoptix.core.coco_export import ExportError, export_panoptic
    from panoptix.core.export_names import ExportNaming
    from panoptix.core.instances_export import export_instances
    from panoptix.core.manifest import ProjectError
    from panoptix.core.project_reader import ProjectView
    from panoptix.core.reference_ids import ReferenceIdsError, ReferenceImages
    from panoptix.core.semantic_export import export_semantic

    exporter = {"coco-panoptic": export_panoptic, "semantic": export_semantic,
                "coco-instances": export_instances}[args.format]
    try:
        reference = (None if args.image_ids_from is None
                     else ReferenceImages.read(args.image_ids_from))
    except ReferenceIdsError as exc:
        return _error(f"--image-ids-from: {exc}")
    options = {"naming": ExportNaming(flat=args.flat_names, images=args.images,
                                      reference=reference)}
    if args.ids is not None:
        if args.format != "semantic":
            return _error("--ids applies to --format semantic only")
        options["ids"] = args.ids
    try:  # read as saved, without the lock: the project may be open in the window
        project = ProjectView.open(args.project)
        with _progress("export") as progress:
            result = exporter(project, args.out, args.name, only_done=args.only_done,
                              progress=progress, **options)
    except ExportError as exc:
        for problem in exc.problems:
            print(problem)
        return _error(str(exc))
    except (ProjectError, StoreError) as exc:
        return _error(f"cannot open project {args.project}: {exc}")
    print(f"exported {result.images} images, {result.segments} segments ({args.format}, "
          "checked):")
    for path in result.paths:
        print(f"  {path}")
    if result.skipped:
        print(f"skipped {len(result.skipped)} images not annotated yet: "
              f"{', '.join(result.skipped[:5])}{' ...' if len(result.skipped) > 5 else ''}")
    for line in result.notes:
        print(f"note: {line}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    from panoptix.core.coco_import import DatasetImportError, import_panoptic

    png_dir = args.png_dir if args.png_dir is not None else args.json.with_suffix("")
    try:
        with _progress("import") as progress:
            result = import_panoptic(args.json, png_dir, args.images, args.out,
                                     progress=progress)
    except DatasetImportError as exc:
        for problem in exc.problems:
            print(problem)
        return _error(str(exc))
    for problem in result.repaired:
        print(f"repaired: {problem}")
    print(f"imported {result.images} images ({result.annotated} annotated, "
          f"{result.segments} segments) into {result.project_folder}")
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    from panoptix.core.validate import validate_panoptic

    problems = validate_panoptic(args.json, args.png_dir)
    for problem in problems:
        print(problem)
    if problems:
        _error(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in {args.json}")
        return EXIT_FAILED
    print(f"{args.json}: valid COCO panoptic")
    return EXIT_OK


def run_evaluate(args: argparse.Namespace) -> int:
    import json

    from panoptix.core.pq_report import evaluation_json, notes, table
    from panoptix.core.pq_sources import EvaluationError, evaluate_sources

    try:
        with _progress("evaluate") as progress:
            evaluation = evaluate_sources(args.gt, args.pred, gt_png_dir=args.gt_png_dir,
                                          pred_png_dir=args.pred_png_dir,
                                          all_annotated=args.all_annotated,
                                          progress=progress)
    except EvaluationError as exc:
        return _error(str(exc))
    if args.json:
        print(json.dumps(evaluation_json(evaluation), indent=2))
        for line in notes(evaluation):
            print(f"panoptix: note: {line}", file=sys.stderr)
    else:
        print(table(evaluation))
        for line in notes(evaluation):
            print(f"note: {line}")
    return EXIT_OK


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr when it is a terminal."""
    from tqdm import tqdm

    with tqdm(desc=what, unit="img", file=sys.stderr, disable=None, leave=False) as bar:
        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)  # redrawn at most 10 times a second
            if done == total:
                bar.refresh()

        yield update


def _error(message: str) -> int:
    print(f"panoptix: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
