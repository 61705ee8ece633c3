"""Annotation effort: a simulated annotator, by hand vs with the model vs after fine-tuning.

Generates datasets of one unseen scene kind (the demo model was not trained on it;
default harbour) and of the seen kinds, and runs the study of ``panoptix.simulate`` on
each: every image annotated by hand and from the model's pre-segmentation; on the unseen
kind also from models fine-tuned with ``panoptix train`` (from the base model, nice'd) on
the first K images the walk finished. Prints per kind and policy: actions and estimated
seconds per image, PQ reached, and manual / policy for both, at each target (IoU and PQ
0.85, then 0.9); writes OUT/effort.json (everything, per image) and OUT/effort.png (seconds
per image along the walk, fine-tuning points marked).

Usage:
    python bench/bench_effort.py [--model demo]
        [--unseen harbour] [--count 30] [--fine-tune 5,10,20] [--steps 500] [--lr 1e-3]
        [--seen street,park,kitchen] [--seen-count 8] [--size 480x640] [--out bench/effort]
    python bench/bench_effort.py --from-json bench/effort/effort.json   (table and plot again)

``--model standin`` uses the development stand-in (no fine-tuning), at the mistake levels
``--standin-level`` lists (``simulate.standin.LEVELS``: weak, default, strong,
near-perfect; each level a study of every kind): for trying the bench and for seeing where
the seconds go on a nearly right pre-segmentation, never as the model's figures. Every
study prints the seconds per operation of its assisted policy (``--operations``: of every
policy). A small run, e.g.:

    python bench/bench_effort.py --model standin --standin-level near-perfect,strong \
        --unseen harbour --count 2 --seen street --seen-count 2 --out /tmp/effort
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from panoptix.inference.demo_model import demo_folder, is_demo_spec
from panoptix.inference.settings import InferenceSettings
from panoptix.simulate import report
from panoptix.simulate.models import STANDIN
from panoptix.simulate.policies import TARGETS
from panoptix.simulate.standin import LEVELS
from panoptix.simulate.study import StudyConfig, run_study


def parse_size(text: str) -> tuple[int, int]:
    height, width = (int(v) for v in text.lower().split("x"))
    return height, width


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo",
                        help="a model folder or hub id; demo: the bundled demo model")
    parser.add_argument("--unseen", default="harbour")
    parser.add_argument("--count", type=int, default=30, help="unseen-kind images")
    parser.add_argument("--fine-tune", default="5,10,20",
                        help="fine-tune after this many images (comma list; '' for none)")
    parser.add_argument("--steps", type=int, default=500, help="training steps per fine-tune")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--train-size", type=int, help="training crop (default: the model's)")
    parser.add_argument("--lr", type=float, default=1e-3,
                        help="fine-tuning learning rate (the demo model's own; panoptix "
                             "train's default from a base, 1e-4, barely moved it)")
    parser.add_argument("--seen", default="street,park,kitchen")
    parser.add_argument("--seen-count", type=int, default=8, help="images per seen kind")
    parser.add_argument("--size", type=parse_size, default=(480, 640), help="HxW")
    parser.add_argument("--seed", type=int, default=7, help="dataset seed")
    parser.add_argument("--out", type=Path, default=Path("bench/effort"))
    parser.add_argument("--standin-level", default="default",
                        help="with --model standin: mistake levels, a comma list")
    parser.add_argument("--snap-edges", action=argparse.BooleanOptionalAction, default=None,
                        help="post-process snapping boundaries to the image's edges "
                             "(default: as the model advises; the demo model does)")
    parser.add_argument("--split-parts", action=argparse.BooleanOptionalAction, default=None,
                        help="post-process splitting detached parts of objects (default: "
                             "as the model advises)")
    parser.add_argument("--operations", action="store_true",
                        help="seconds per operation of every policy, not only assisted")
    parser.add_argument("--from-json", type=Path, help="report a saved run again")
    parser.add_argument("--before", type=Path,
                        help="an earlier effort.json of the same studies: print seconds per "
                             "operation before and after, as Markdown tables")
    return parser.parse_args()


def run(args: argparse.Namespace) -> dict:
    stops = tuple(int(v) for v in args.fine_tune.split(",") if v.strip())
    if args.model == STANDIN:
        stops = ()
    elif is_demo_spec(args.model):
        args.model = str(demo_folder())
    elif Path(args.model).exists():
        args.model = str(Path(args.model).resolve())
    levels = [v.strip() for v in args.standin_level.split(",") if v.strip()]
    if args.model != STANDIN or not levels:
        levels = ["default"]
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown:
        sys.exit(f"unknown stand-in level {unknown[0]!r}; known: {', '.join(LEVELS)}")
    given = InferenceSettings(model=args.model, snap_edges=args.snap_edges,
                              split_parts=args.split_parts)
    configs = []
    for level in levels:
        switches = {"standin_level": level, "snap_edges": given.resolved_snap_edges,
                    "split_parts": given.resolved_split_parts}
        configs.append(StudyConfig(args.unseen, args.count, args.seed, args.size, args.model,
                                   stops, args.steps, args.batch, args.train_size, args.lr,
                                   **switches))
        configs += [StudyConfig(kind, args.seen_count, args.seed, args.size, args.model,
                                **switches)
                    for kind in args.seen.split(",") if kind.strip()]
    studies = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="panoptix-effort-") as work:
        for config in configs:
            result = run_study(config, Path(work) / f"{config.kind}-{config.standin_level}",
                               say=lambda m: print(f"  {m}", file=sys.stderr))
            studies.append(result.to_json())
    return {"model": args.model, "unseen": args.unseen, "targets": list(TARGETS),
            "seconds": round(time.perf_counter() - started), "studies": studies}


def show(saved: dict, every_policy: bool = False) -> None:
    targets = tuple(saved["targets"])
    print(f"model {saved['model']}; unseen kind {saved['unseen']}; "
          f"{saved['seconds']} s of computing")
    for study in saved["studies"]:
        print()
        if saved["model"] == STANDIN:
            print(f"stand-in level {study['config'].get('standin_level', 'default')}")
        print(report.table(study, targets))
        print(report.counts_table(study, targets[0]))
        for policy, routes in report.route_summary(study).items():
            print(f"  {policy}: " + ", ".join(f"{route} {n}" for route, n in routes.items()))
        for policy, stats in report.proposal_summary(study).items():
            if stats["tries"]:
                print(f"  {policy}: proposals at {stats['tries']} missed objects, a usable "
                      f"one in {stats['found']} ({stats['first']} first in the list)")
        for policy, ops in report.operation_summary(study, targets[0]).items():
            print(f"  {policy} operations per image: "
                  + ", ".join(f"{k} {v:g}" for k, v in ops.items()))
        for policy in report.policies(study):
            if policy != "manual" and (every_policy or policy == "assisted"):
                print(f"  {report.ratio_summary(study, targets[0], policy)}")
            if every_policy or policy == "assisted":
                print(f"  {policy}: seconds per image by operation, to {targets[0]}")
                print(textwrap.indent(report.operation_table(study, targets[0], policy),
                                      "    "))
        for training in study["trainings"]:
            print(f"  fine-tuned on {training['after']} images: {training['steps']} steps "
                  f"in {training['seconds']:.0f} s")


def compare(before: dict, after: dict) -> None:
    """Per study: the assisted policy's seconds per operation before and after."""
    threshold = after["targets"][0]
    for old, new in zip(before["studies"], after["studies"], strict=True):
        config = json.loads(json.dumps(new["config"]))  # tuples as the saved run's lists
        if old["config"] != config:
            sys.exit(f"--before holds other studies ({old['config']['kind']} "
                     f"{old['config'].get('standin_level')}) than this run")
        print(f"\n{config['kind']}, stand-in {config.get('standin_level', 'default')}, "
              f"to {threshold}, seconds per image:\n")
        print(report.operation_comparison(old, new, threshold))


def plot(saved: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threshold = saved["targets"][0]
    studies = saved["studies"]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[3, 2])
    unseen = studies[0]
    x = range(1, len(unseen["images"]) + 1)
    manual = [report.milestone(i["results"]["manual"], threshold)["seconds"]
              for i in unseen["images"]]
    assisted = [report.milestone(i["results"]["assisted"], threshold)["seconds"]
                for i in unseen["images"]]
    axes[0].plot(x, manual, "o-", color="#9e9e9e", label="by hand")
    axes[0].plot(x, assisted, "s-", color="#1f77b4", label="with the model")
    if unseen["trainings"]:
        axes[0].plot(x, report.walk_seconds(unseen, threshold), "^-", color="#d62728",
                     label="with the model fine-tuned so far")
        for training in unseen["trainings"]:
            axes[0].axvline(training["after"] + 0.5, color="#d62728", linestyle=":")
            axes[0].text(training["after"] + 0.6, max(manual) * 0.95,
                         f"train on {training['after']}", color="#d62728", fontsize=8)
    axes[0].set_title(f"{unseen['config']['kind']} (not seen in training): seconds per image")
    axes[0].set_xlabel("image, in the order annotated")
    axes[0].set_ylabel(f"estimated seconds to IoU and PQ {threshold}")
    axes[0].set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    axes[0].xaxis.get_major_locator().set_params(integer=True)
    shades = ["#f4a582", "#d6604d", "#b2182b", "#67001f"]
    ratios = [[row for row in report.rows(study, threshold) if row.policy != "manual"]
              for study in studies]
    width = 0.8 / max(len(rows) for rows in ratios)
    for place, rows in enumerate(ratios):
        for offset, row in enumerate(rows):
            colour = "#1f77b4" if row.policy == "assisted" else \
                shades[min(offset - 1, len(shades) - 1)]
            centre = place + (offset - (len(rows) - 1) / 2) * width
            axes[1].bar(centre, row.time_ratio, width, color=colour,
                        label=row.policy if place == 0 else None)
            axes[1].text(centre, row.time_ratio, f"{row.time_ratio:.2f}", ha="center",
                         va="bottom", fontsize=7)
    for goal, text in ((3, "goal with the model"), (5, "goal after 20")):
        axes[1].axhline(goal, color="#555555", linestyle="--", linewidth=0.8)
        axes[1].text(len(studies) - 0.55, goal, text, ha="right", va="bottom", fontsize=7)
    axes[1].axhline(1, color="#9e9e9e", linewidth=0.8)
    axes[1].set_xticks(range(len(studies)), [
        s["config"]["kind"] + (f"\n{s['config'].get('standin_level', 'default')}"
                               if saved["model"] == STANDIN else "") for s in studies])
    axes[1].set_xlim(-0.5, len(studies) - 0.5)
    axes[1].set_title("manual / policy, estimated seconds (same images)")
    axes[1].set_ylim(0, max(5.5, *(r.time_ratio * 1.15 for rows in ratios for r in rows)))
    axes[1].legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main() -> None:
    args = arguments()
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        out = args.from_json.parent
    else:
        saved = run(args)
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        (out / "effort.json").write_text(json.dumps(saved, indent=1), encoding="utf-8")
    show(saved, args.operations)
    if args.before:
        compare(json.loads(args.before.read_text(encoding="utf-8")), saved)
    plot(saved, out / "effort.png")
    print(f"\nwrote {out / 'effort.json'} and {out / 'effort.png'}")


if __name__ == "__main__":
    main()
