"""Summaries of a study (``StudyResult.to_json()``): per policy, actions and estimated
seconds per image at each target, PQ reached, and the ratio manual / policy, always on
the same images (a policy after fine-tuning on K images is compared on the images after
the K-th only)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean, median


@dataclass(frozen=True)
class Row:
    kind: str
    policy: str
    images: int
    threshold: float
    actions: float
    """Per image."""
    seconds: float
    """Per image (KLM estimate)."""
    pq: float
    """Mean PQ reached."""
    reached: int
    """Images that reached the target."""
    manual_actions: float
    manual_seconds: float
    """The manual policy on the same images, per image."""

    @property
    def action_ratio(self) -> float:
        return self.manual_actions / self.actions if self.actions else float("inf")

    @property
    def time_ratio(self) -> float:
        return self.manual_seconds / self.seconds if self.seconds else float("inf")


def policies(study: dict) -> list[str]:
    """Policies in the order they were run: manual, assisted, after K..."""
    seen: dict[str, None] = {}
    for image in study["images"]:
        seen.update(dict.fromkeys(image["results"]))
    return list(seen)


def milestone(outcome: dict, threshold: float) -> dict:
    return next(m for m in outcome["milestones"] if m["threshold"] == threshold)


def rows(study: dict, threshold: float) -> list[Row]:
    kind = study["config"]["kind"]
    found = []
    for policy in policies(study):
        images = [i for i in study["images"] if policy in i["results"]]
        if not images:
            continue
        own = [milestone(i["results"][policy], threshold) for i in images]
        manual = [milestone(i["results"]["manual"], threshold) for i in images]
        found.append(Row(kind, policy, len(images), threshold,
                         mean(m["actions"] for m in own), mean(m["seconds"] for m in own),
                         mean(m["pq"] for m in own), sum(m["reached"] for m in own),
                         mean(m["actions"] for m in manual),
                         mean(m["seconds"] for m in manual)))
    return found


def table(study: dict, thresholds: tuple[float, ...]) -> str:
    """A plain-text table: one line per policy and target."""
    lines = [f"{'kind':<9}{'policy':<11}{'target':>7}{'images':>7}{'actions':>9}"
             f"{'seconds':>9}{'PQ':>7}{'reached':>9}{'x actions':>11}{'x seconds':>11}"]
    for threshold in thresholds:
        for row in rows(study, threshold):
            lines.append(f"{row.kind:<9}{row.policy:<11}{row.threshold:>7.2f}{row.images:>7}"
                         f"{row.actions:>9.0f}{row.seconds:>9.0f}{row.pq:>7.3f}"
                         f"{row.reached:>5}/{row.images:<3}{row.action_ratio:>11.2f}"
                         f"{row.time_ratio:>11.2f}")
    return "\n".join(lines)


def walk_seconds(study: dict, threshold: float) -> list[float]:
    """Seconds per image along the walk: each image with the model the walk had there."""
    return [milestone(image["results"][policy], threshold)["seconds"]
            for image, policy in zip(study["images"], study["walk"], strict=True)]


def proposal_summary(study: dict) -> dict[str, dict]:
    """Per policy: how often a click on a missed object found a usable proposal."""
    summary: dict[str, dict] = {}
    for policy in policies(study):
        tries = found = 0
        positions: list[int] = []
        for image in study["images"]:
            stats = image["results"].get(policy, {}).get("proposals")
            if stats:
                tries += stats["tries"]
                found += stats["found"]
                positions += stats["positions"]
        summary[policy] = {"tries": tries, "found": found,
                           "first": sum(1 for p in positions if p == 1)}
    return summary


def operation_summary(study: dict, threshold: float) -> dict[str, dict[str, float]]:
    """Per policy: operations per image by kind (polygon, relabel, undone refine...)."""
    summary: dict[str, dict[str, float]] = {}
    for policy in policies(study):
        images = [i for i in study["images"] if policy in i["results"]]
        totals: dict[str, float] = {}
        for image in images:
            for name, count in milestone(image["results"][policy],
                                         threshold)["operations"].items():
                totals[name] = totals.get(name, 0) + count
        summary[policy] = {k: round(v / len(images), 2) for k, v in sorted(totals.items())}
    return summary


def operation_seconds(study: dict, threshold: float,
                      policy: str) -> dict[str, tuple[float, float]]:
    """Where ``policy``'s estimated seconds went, per image: for each operation (the
    simulated annotator's name for it; "undone X" is the Ctrl+Z after an X that did not
    help, "look" judging the pre-segmentation) how many times it was started and the
    seconds it took, largest first."""
    images = [i["results"][policy] for i in study["images"] if policy in i["results"]]
    uses: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for outcome in images:
        reached = milestone(outcome, threshold)
        for name, spent in reached.get("operation_seconds", {}).items():
            seconds[name] = seconds.get(name, 0.0) + spent
            uses[name] = uses.get(name, 0.0) + reached["operations"].get(name, 0)
    count = max(1, len(images))
    return {name: (uses[name] / count, seconds[name] / count)
            for name in sorted(seconds, key=lambda n: (-seconds[n], n))}


def operation_table(study: dict, threshold: float, policy: str) -> str:
    """:func:`operation_seconds` as plain text."""
    lines = [f"{'operation':<28}{'per image':>10}{'seconds':>9}{'each':>7}"]
    for name, (uses, seconds) in operation_seconds(study, threshold, policy).items():
        each = f"{seconds / uses:>7.1f}" if uses else f"{'':>7}"
        lines.append(f"{name:<28}{uses:>10.2f}{seconds:>9.1f}{each}")
    return "\n".join(lines)


def operation_comparison(before: dict, after: dict, threshold: float,
                         policy: str = "assisted") -> str:
    """Seconds per image by operation of ``policy`` in two runs of the same study (before
    and after a change), as a Markdown table: uses and seconds per image, largest first;
    then the total and manual / policy."""
    old = operation_seconds(before, threshold, policy)
    new = operation_seconds(after, threshold, policy)
    names = sorted(set(old) | set(new), key=lambda n: (-max(old.get(n, (0, 0))[1],
                                                            new.get(n, (0, 0))[1]), n))
    lines = ["| operation | uses before | s before | uses after | s after |",
             "|---|---:|---:|---:|---:|"]
    for name in names:
        (ub, sb), (ua, sa) = old.get(name, (0.0, 0.0)), new.get(name, (0.0, 0.0))
        uses = [f"{u:.2f}" if name != "look" else "" for u in (ub, ua)]
        lines.append(f"| {name} | {uses[0]} | {sb:.1f} | {uses[1]} | {sa:.1f} |")
    totals = [next(r for r in rows(study, threshold) if r.policy == policy)
              for study in (before, after)]
    lines.append(f"| **total** (manual ÷ {policy}) | | **{totals[0].seconds:.1f}** "
                 f"({totals[0].time_ratio:.2f}×) | | **{totals[1].seconds:.1f}** "
                 f"({totals[1].time_ratio:.2f}×) |")
    return "\n".join(lines)


def image_ratios(study: dict, threshold: float, policy: str) -> list[float]:
    """manual / ``policy`` estimated seconds, image by image."""
    ratios = []
    for image in study["images"]:
        if policy in image["results"]:
            own = milestone(image["results"][policy], threshold)["seconds"]
            manual = milestone(image["results"]["manual"], threshold)["seconds"]
            ratios.append(manual / own if own else float("inf"))
    return ratios


def ratio_summary(study: dict, threshold: float, policy: str) -> str:
    ratios = image_ratios(study, threshold, policy)
    return (f"manual / {policy} per image: median {median(ratios):.2f}, worst "
            f"{min(ratios):.2f}" if ratios else "")


COUNTS = ("clicks", "vertices", "keys", "drags", "decisions")
"""The raw counts behind the estimate (``Effort``): decisions are the KLM M operators."""


def counts_table(study: dict, threshold: float) -> str:
    """Raw counts per image behind each policy's estimated seconds, at ``threshold``."""
    kind = study["config"]["kind"]
    lines = [f"{'kind':<9}{'policy':<11}{'target':>7}"
             + "".join(f"{name:>11}" for name in COUNTS) + f"{'seconds':>9}"]
    for policy in policies(study):
        own = [milestone(i["results"][policy], threshold) for i in study["images"]
               if policy in i["results"]]
        lines.append(f"{kind:<9}{policy:<11}{threshold:>7.2f}"
                     + "".join(f"{mean(m[name] for m in own):>11.1f}" for name in COUNTS)
                     + f"{mean(m['seconds'] for m in own):>9.0f}")
    return "\n".join(lines)


def route_summary(study: dict) -> dict[str, dict[str, int]]:
    """Per assisted policy: how many images were corrected, kept-and-drawn, or cleared."""
    summary: dict[str, dict[str, int]] = {}
    for policy in policies(study):
        if policy == "manual":
            continue
        counts: dict[str, int] = {}
        for image in study["images"]:
            route = image["results"].get(policy, {}).get("route")
            if route:
                counts[route] = counts.get(route, 0) + 1
        summary[policy] = counts
    return summary
