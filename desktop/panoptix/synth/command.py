"""``panoptix demo-data OUT``: write generated scenes as a COCO panoptic dataset, or with
``--project`` as a Panoptix project whose images are all done with exact ground truth."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from panoptix.synth.dataset import DatasetError, make_project, write_dataset
from panoptix.synth.scenes import SCENE_KINDS, SceneError, check_kind, check_size

EXIT_OK, EXIT_FAILED = 0, 1


def scene_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(part.strip() for part in text.split(",") if part.strip())
    try:
        if not kinds:
            raise SceneError("no scene kinds given")
        return tuple(check_kind(kind) for kind in kinds)
    except SceneError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def image_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` -> ``(height, width)``."""
    width, sep, height = text.lower().partition("x")
    try:
        if not sep:
            raise ValueError
        return check_size((int(height), int(width)))
    except ValueError as exc:
        detail = str(exc) if isinstance(exc, SceneError) else f"{text!r} is not WIDTHxHEIGHT"
        raise argparse.ArgumentTypeError(detail) from None


def whole_number(least: int) -> Callable[[str], int]:
    """An argument type for whole numbers of at least ``least``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", type=Path, help="folder to write (absent or empty)")
    parser.add_argument("--scenes", type=scene_kinds, default=SCENE_KINDS, metavar="KINDS",
                        help=f"comma-separated scene kinds (default: {','.join(SCENE_KINDS)})")
    parser.add_argument("--count", type=whole_number(1), default=100,
                        help="scenes in all (default 100)")
    parser.add_argument("--seed", type=whole_number(0), default=0,
                        help="dataset seed (default 0)")
    parser.add_argument("--size", type=image_size, default=(480, 640), metavar="WxH",
                        help="image size (default 640x480)")
    parser.add_argument("--name", default="demo",
                        help="gives panoptic_NAME.json and panoptic_NAME/ (default demo)")
    parser.add_argument("--project", action="store_true",
                        help="also make a project (OUT/images.panoptix) with every image done")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    with tqdm(total=args.count, desc="demo-data", unit="scene", file=sys.stderr,
              disable=None if args.count >= 50 else True, leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        try:
            if args.project:
                made = make_project(args.out, args.scenes, args.count, args.seed, args.size,
                                    name=args.name, progress=progress)
            else:
                made = write_dataset(args.out, args.scenes, args.count, args.seed, args.size,
                                     name=args.name, progress=progress).json
        except (DatasetError, SceneError) as exc:
            print(f"panoptix: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_FAILED
    height, width = args.size
    what = "project" if args.project else "COCO panoptic dataset"
    print(f"wrote {args.count} scenes ({','.join(args.scenes)}, {width}x{height}, seed "
          f"{args.seed}) as a {what}: {made}")
    return EXIT_OK
