"""A short, controlled recipe study for the demo model: which changes make it find objects.

    nice -n 10 .venv/bin/python packaging/demo_study.py --steps N [--arms a,b,c] [--work DIR]

1. data, made once with ``panoptix demo-data``: training scenes (street, park, kitchen;
   dataset seed 1) as a project, and fresh validation scenes of the same kinds (seed 2,
   none of them trained on);
2. each *arm* is one recipe: an untrained Mask2Former (``train_demo_model.untrained_model``:
   seeded random weights) and ``panoptix train`` options. Every arm trains for the same
   number of steps: the machine this ran on is shared, so equal steps compare the recipes
   more fairly than equal wall time would; the wall time and the load average during
   the run are recorded beside them;
3. each arm is evaluated on the validation scenes (``panoptix presegment`` at the default
   thresholds, ``panoptix evaluate``): PQ, things PQ and stuff PQ, and per thing category
   the semantic IoU (the category's pixels, whatever the instance) and the number of
   predicted segments against the number of true objects, which tells "does not see the
   objects" (low IoU) from "merges them" (good IoU, too few segments);
4. the table (``study.json`` and ``study.md`` in the working folder).

A finished arm (its model folder and evaluation) is skipped when the script runs again,
and an interrupted training resumes (``panoptix train --resume``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_demo_model import (  # noqa: E402
    DEMO_CONFIG,
    REPO,
    SEEN,
    load_json,
    run_panoptix,
    save_json,
    untrained_model,
)

TRAIN_DATA = {"count": 300, "seed": 1, "size": "640x480"}
VAL_DATA = {"count": 24, "seed": 2, "size": "640x480"}
RESNET = {"type": "resnet", "layer_type": "basic", "embedding_size": 32,
          "hidden_sizes": [32, 64, 128, 256], "depths": [1, 1, 2, 1]}
PROBE = {**DEMO_CONFIG, "backbone": RESNET}
COMMON = ["--backbone-lr-factor", "1", "--batch", "4", "--lr", "1e-3", "--val", "0.04",
          "--checkpoint-every", "100", "--workers", "1", "--seed", "0"]
ARMS = {
    "a": {"what": "ResNet-basic probe (256 px crops, batch 4, lr 1e-3, 40 queries)",
          "config": PROBE, "size": 256, "options": []},
    "b": {"what": "a + object-centred crops P=0.5",
          "config": PROBE, "size": 256, "options": ["--object-crops", "0.5"]},
    "c": {"what": "b + 384 px input (crops and inference)",
          "config": PROBE, "size": 384, "options": ["--object-crops", "0.5"]},
    "d": {"what": "b + 80 queries",
          "config": {**PROBE, "num_queries": 80}, "size": 256,
          "options": ["--object-crops", "0.5"]},
    "e": {"what": "a again with another training seed (the noise between two runs)",
          "config": PROBE, "size": 256, "options": ["--seed", "1"]},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, required=True, help="steps of every arm")
    parser.add_argument("--arms", default="a,b,c", help="arms to run, in order (default a,b,c)")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "study")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "HF_HUB_OFFLINE": "1"}
    project = work / "train" / "images.panoptix"
    if not project.is_dir():
        run_panoptix(["demo-data", str(work / "train"), "--scenes", ",".join(SEEN), "--count",
                   str(TRAIN_DATA["count"]), "--seed", str(TRAIN_DATA["seed"]), "--size",
                   TRAIN_DATA["size"], "--project"], environment)
    val = work / "val"
    if not (val / "panoptic_demo.json").is_file():
        run_panoptix(["demo-data", str(val), "--scenes", ",".join(SEEN), "--count",
                   str(VAL_DATA["count"]), "--seed", str(VAL_DATA["seed"]), "--size",
                   VAL_DATA["size"]], environment)
    results = load_json(work / "study.json")
    for arm in args.arms.split(","):
        results[arm] = run_arm(arm, ARMS[arm], args.steps, work, project, val, environment)
        save_json(work / "study.json", results)
        (work / "study.md").write_text(table(results), encoding="utf-8")
    print(table(results))
    return 0


def run_arm(arm: str, spec: dict, steps: int, work: Path, project: Path, val: Path,
            environment: dict) -> dict:
    folder = work / "arms" / arm
    folder.mkdir(parents=True, exist_ok=True)
    record = load_json(folder / "arm.json")
    name = f"study-{arm}"
    model = project / "models" / name
    if not model.is_dir():
        initial = folder / "untrained"
        if not (initial / "model.safetensors").is_file():
            untrained_model(initial, spec["config"], spec["size"])
        partial = (project / "models" / f"{name}.partial").is_dir()
        start = ["--resume"] if partial else [
            "--base", str(initial), *COMMON, "--size", str(spec["size"]), "--steps",
            str(steps), "--eval-every", str(max(1, steps // 2)), *spec["options"]]
        load = LoadSampler()
        started = time.perf_counter()
        with load, open(folder / "train.log", "a", encoding="utf-8") as log:
            run_panoptix(["train", str(project), "--name", name, *start, "--progress", "json"],
                      environment, stdout=log)
        record["wall_parts"] = [*record.get("wall_parts", []),
                                round(time.perf_counter() - started, 1)]
        record["load_samples"] = [*record.get("load_samples", []), *load.samples]
        save_json(folder / "arm.json", record)
    if "evaluation" not in record:
        record["evaluation"] = evaluate(model, val, folder, environment)
        save_json(folder / "arm.json", record)
    training = json.loads((model / "training.json").read_text(encoding="utf-8"))
    samples = record["load_samples"]
    return {"what": spec["what"], "steps": training["steps"]["done"],
            "size": spec["size"], "options": spec["options"],
            "wall_seconds": round(sum(record["wall_parts"]), 1),
            "load_mean": round(sum(samples) / len(samples), 2) if samples else None,
            "load_max": round(max(samples), 2) if samples else None,
            "validation_best": training.get("best"), **record["evaluation"]}


def evaluate(model: Path, val: Path, folder: Path, environment: dict) -> dict:
    prediction = folder / "prediction.panoptix"
    shutil.rmtree(prediction, ignore_errors=True)
    run_panoptix(["presegment", str(val / "images"), "--out", str(prediction), "--model",
               str(model), "--device", "cpu", "--no-raw-outputs"], environment)
    output = subprocess.run(
        [sys.executable, "-m", "panoptix.cli", "evaluate", str(val / "panoptic_demo.json"),
         str(prediction), "--json"], env=environment, check=True, capture_output=True,
        text=True).stdout
    scores = json.loads(output)
    return {"all": round(scores["All"]["pq"], 4), "things_pq": round(scores["Things"]["pq"], 4),
            "stuff": round(scores["Stuff"]["pq"], 4),
            "things": thing_counts(val / "panoptic_demo.json", prediction)}


def thing_counts(truth: Path, prediction: Path) -> dict:
    """Per thing category: semantic IoU, true objects, predicted segments."""
    import numpy as np

    from panoptix.core.pq_sources import open_source, pair_images

    gt = open_source(truth, ground_truth=True)
    pred = open_source(prediction, ground_truth=False, categories=gt.categories)
    pairs, _extra = pair_images(gt.images, pred.images)
    things = {c.id: c.name for c in gt.categories if c.isthing}
    sums = {c: {"intersection": 0, "union": 0, "objects": 0, "segments": 0} for c in things}
    for truth_image, guess in pairs:
        labels = truth_image.read()
        predicted = guess.read() if guess is not None else None
        for category in things:
            true_ids = [i for i, s in labels.segments.items()
                        if s.category_id == category and not s.iscrowd]
            mask = np.isin(labels.id_map, true_ids)
            guess_ids = [] if predicted is None else [
                i for i, s in predicted.segments.items() if s.category_id == category]
            guess_mask = (np.zeros_like(mask) if predicted is None
                          else np.isin(predicted.id_map, guess_ids))
            entry = sums[category]
            entry["intersection"] += int((mask & guess_mask).sum())
            entry["union"] += int((mask | guess_mask).sum())
            entry["objects"] += len(true_ids)
            entry["segments"] += len(guess_ids)
    return {things[c]: {"iou": round(e["intersection"] / e["union"], 3) if e["union"] else None,
                        "objects": e["objects"], "segments": e["segments"]}
            for c, e in sums.items() if e["objects"]}


def table(results: dict) -> str:
    """Two Markdown tables: the arms, and per thing category each arm's semantic IoU and
    predicted segments against the true objects."""
    arms = sorted(results)
    rows = ["| arm | what | steps | wall min | load mean / max | val PQ (best) | PQ | things "
            "| stuff |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for arm in arms:
        r = results[arm]
        best = r.get("validation_best") or {}
        rows.append(f"| {arm} | {r['what']} | {r['steps']} | {r['wall_seconds'] / 60:.1f} | "
                    f"{r['load_mean']} / {r['load_max']} | {100 * best.get('pq', 0):.1f} | "
                    f"{100 * r['all']:.1f} | {100 * r['things_pq']:.1f} | "
                    f"{100 * r['stuff']:.1f} |")
    names = sorted({name for arm in arms for name in results[arm]["things"]},
                   key=lambda n: -max(results[a]["things"].get(n, {}).get("objects", 0)
                                      for a in arms))
    rows += ["", "| thing | objects | " + " | ".join(f"{a}: IoU, segments" for a in arms)
             + " |", "|---|---:|" + "---:|" * len(arms)]
    for name in names:
        cells = []
        for arm in arms:
            t = results[arm]["things"].get(name)
            cells.append("-" if t is None else f"{t['iou'] or 0:.2f}, {t['segments']}")
        objects = max(results[a]["things"].get(name, {}).get("objects", 0) for a in arms)
        rows.append(f"| {name} | {objects} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


class LoadSampler:
    """The 1-minute load average every 30 s while a training runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(30):
                return


if __name__ == "__main__":
    sys.exit(main())
