"""The speed-up against the pre-segmentation's quality: what a model of a given PQ saves.

Reads runs of ``bench/bench_effort.py`` (their ``effort.json``) and puts every assisted
image on one chart: its starting PQ (the pre-segmentation against the ground truth, before
any edit) against manual seconds / assisted seconds on that image, at the first target.
Each run is labelled on the command line; a label starting with ``stand-in`` marks a run
of the development stand-in (``--model standin``), which is drawn hollow and summarised
apart, never mixed into the model's figures: its proposals hold near-exact masks of what
it missed, which a real model's do not, so it flatters the effort of fixing misses.

Prints, per run and policy, the images, their mean starting PQ and the total-time ratio
(sum of manual seconds / sum of the policy's, the same images), then per starting-PQ band
the median per-image ratio; writes the chart.

    python bench/effort_curve.py LABEL=RUN.json [LABEL=RUN.json ...] [--out curve.png]
    python bench/effort_curve.py "demo model=bench/effort/effort.json" \\
        "stand-in near-perfect=/tmp/near/effort.json" --out bench/effort/curve.png
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from panoptix.simulate.report import milestone

BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.01)
"""Starting-PQ bands of the per-band summary."""


@dataclass(frozen=True)
class Point:
    source: str
    """The run's label."""
    policy: str
    kind: str
    start_pq: float
    manual_seconds: float
    seconds: float

    @property
    def ratio(self) -> float:
        return self.manual_seconds / self.seconds if self.seconds else float("inf")

    @property
    def standin(self) -> bool:
        return self.source.lower().startswith("stand-in")


def points(label: str, run: dict) -> list[Point]:
    """Every (image, assisted policy) of the run at its first target."""
    threshold = run["targets"][0]
    found = []
    for study in run["studies"]:
        kind = study["config"]["kind"]
        level = (study["config"].get("standin_level")
                 if study["config"].get("model") == "standin" else None)
        for image in study["images"]:
            results = image["results"]
            manual = milestone(results["manual"], threshold)["seconds"]
            for policy, outcome in results.items():
                if policy == "manual" or "start_pq" not in outcome:
                    continue
                shown = f"{policy}, {level}" if level else policy
                found.append(Point(label, shown, kind, outcome["start_pq"], manual,
                                   milestone(outcome, threshold)["seconds"]))
    return found


def summary(found: list[Point]) -> list[str]:
    """Per source, kind and policy: images, mean starting PQ, total-time ratio."""
    groups: dict[tuple[str, str, str], list[Point]] = {}
    for point in found:
        groups.setdefault((point.source, point.kind, point.policy), []).append(point)
    lines = [f"{'source':<26}{'kind':<9}{'policy':<24}{'images':>7}{'start PQ':>10}"
             f"{'x seconds':>11}"]
    for (source, kind, policy), group in groups.items():
        ratio = sum(p.manual_seconds for p in group) / sum(p.seconds for p in group)
        start = sum(p.start_pq for p in group) / len(group)
        lines.append(f"{source:<26}{kind:<9}{policy:<24}{len(group):>7}{start:>10.3f}"
                     f"{ratio:>11.2f}")
    return lines


def bands(found: list[Point]) -> list[str]:
    """Per starting-PQ band, model and stand-in apart: images and median per-image ratio."""
    lines = [f"{'start PQ':<12}{'model: images':>15}{'median x':>10}"
             f"{'stand-in: images':>18}{'median x':>10}"]
    for low, high in zip(BANDS, BANDS[1:], strict=False):
        cells = []
        for standin in (False, True):
            inside = [p.ratio for p in found
                      if p.standin == standin and low <= p.start_pq < high]
            cells.append((len(inside), median(inside) if inside else None))
        text = "".join(f"{n:>{w}}{(f'{m:.2f}' if m is not None else '-'):>10}"
                       for (n, m), w in zip(cells, (15, 18), strict=True))
        lines.append(f"{low:.1f}-{min(high, 1.0):.1f}{'':<5}{text}")
    return lines


def plot(found: list[Point], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 5))
    sources = list(dict.fromkeys(p.source for p in found))
    colours = plt.get_cmap("tab10")
    for index, source in enumerate(sources):
        own = [p for p in found if p.source == source]
        hollow = own[0].standin
        axis.scatter([p.start_pq for p in own], [p.ratio for p in own], s=22,
                     marker="o" if hollow else "s",
                     facecolors="none" if hollow else colours(index),
                     edgecolors=colours(index), label=source, alpha=0.8)
    axis.axhline(1, color="#9e9e9e", linewidth=0.8)
    axis.set_yscale("log")
    axis.set_xlim(0, 1)
    axis.set_xlabel("starting PQ of the pre-segmentation (per image)")
    axis.set_ylabel("manual seconds / assisted seconds (log)")
    axis.set_title("Speed-up against the pre-segmentation's quality "
                   "(hollow: stand-in, not a model)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=RUN.json")
    parser.add_argument("--out", type=Path, default=Path("bench/effort/curve.png"))
    args = parser.parse_args()
    found: list[Point] = []
    for text in args.runs:
        label, _, path = text.partition("=")
        if not path:
            parser.error(f"{text}: give LABEL=RUN.json")
        found += points(label, json.loads(Path(path).read_text(encoding="utf-8")))
    print("\n".join(summary(found)))
    print()
    print("\n".join(bands(found)))
    plot(found, args.out)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
