"""The recipe of the bundled demo model (``panoptix/resources/models/demo``), start to end.

    nice -n 10 .venv/bin/python packaging/train_demo_model.py [--work DIR] [--threads N]
    .venv/bin/python packaging/train_demo_model.py --readme-only   # README from training.json

1. data: ``panoptix demo-data`` writes generated street, park and kitchen scenes (harbour
   is held out: the annotation-effort benchmark runs the model on it as the unseen kind)
   as a project with every image done;
2. the untrained model: a Mask2Former of :data:`DEMO_CONFIG` with random weights (seeded),
   saved as a model folder: a ResNet basic-block backbone (transformers' ``ResNetConfig``)
   under a slim head (width 64, one encoder and 3 decoder layers, 40 queries). The recipe
   study (``packaging/demo_study.py``, README "Recipe study") chose it: on this CPU it
   learnt more per hour than the earlier Swin backbone (validation PQ 38.1 after 1500
   steps against 26.8 after 5000), and object-centred crops keep whole objects in view;
3. training: ``panoptix train --base`` that folder (the backbone at the full learning
   rate, as from scratch); a share held out for validation picks the best weights. Then a
   second stage, ``panoptix train --base`` the first stage's model at a lower peak learning
   rate: objects were learnt only once the first stage's rate fell below about 3e-4 (its
   validation things PQ 2.6 % at step 4,500, 17.8 % at 10,000 and still rising), so the
   second stage spends its whole schedule in that range. A third stage, from the
   second's model, trains and runs at 384 px instead of 256 (its validation things PQ
   22.5 % -> 26.1 %): at 256 px most small objects had no segment of their own;
4. evaluation on fresh scenes (another dataset seed) of every kind, harbour included:
   ``panoptix presegment`` with the trained model, both post-processing switches off
   and both on (``--snap-edges --split-parts``: boundaries snapped to the image's edges,
   detached parts of objects split), then ``panoptix evaluate`` against the exact ground
   truth;
5. the CPU forward time at the sample size, and the weights' size;
6. installing the model folder into ``panoptix/resources/models/demo`` with its ``training.json``
   (``panoptix train``'s record plus a ``demo`` section: this recipe, the hardware, the
   times and the evaluation), its ``config.json`` advising both switches on (``ADVICE``)
   and a README saying what it can and cannot segment.

Every stage that is done is skipped when the script runs again, and an interrupted
training resumes from its last checkpoint (``panoptix train --resume``), so a killed run
is continued by running the same command. Only ``panoptix`` commands touch the data and
the model: this script strings them together and writes down what happened.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from demo_model_readme import readme

from panoptix.inference.model_advice import with_advice

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "desktop" / "panoptix" / "resources"  # the source tree's: written here
TARGET = RESOURCES / "models" / "demo"
SAMPLE = RESOURCES / "samples" / "street_01.jpg"

SEEN = ("street", "park", "kitchen")
HELD_OUT = ("harbour",)
TRAIN_DATA = {"scenes": SEEN, "count": 750, "seed": 1, "size": "640x480"}
"""Scene seeds 1_000_000 + n per kind (``panoptix.synth.dataset``)."""
EVAL_DATA = {"count": 30, "seed": 2, "size": "640x480"}
"""Per kind; scene seeds 2_000_000 + n: none of them was trained or validated on."""
SIZE = 256
"""Training crops and the processor's shortest edge of the untrained model and the first
two stages (the third trains at 384)."""
DEMO_CONFIG = {
    "backbone": {"type": "resnet", "layer_type": "basic", "embedding_size": 32,
                 "hidden_sizes": [32, 64, 128, 256], "depths": [1, 1, 2, 1]},
    "hidden_dim": 64, "encoder_feedforward_dim": 128, "encoder_layers": 1,
    "decoder_layers": 3, "num_attention_heads": 4, "dim_feedforward": 256,
    "num_queries": 40, "train_num_points": 1536}
"""Mask2FormerConfig fields with a ResNet basic-block backbone (``packaging/demo_study.py``'s
probe); 40 queries for scenes of up to 28 segments."""
INIT_SEED = 0
TRAIN_OPTIONS = ["--backbone-lr-factor", "1", "--size", str(SIZE), "--batch", "4",
                 "--steps", "10000", "--lr", "1e-3", "--val", "0.04", "--object-crops", "0.5",
                 "--eval-every", "1500", "--checkpoint-every", "100", "--workers", "1",
                 "--seed", "0"]
RUN_NAME = "demo"
REFINE_OPTIONS = ["--backbone-lr-factor", "1", "--batch", "4", "--steps", "6000",
                  "--lr", "3e-4", "--val", "0.04", "--object-crops", "0.5",
                  "--eval-every", "1500", "--checkpoint-every", "100", "--workers", "1",
                  "--seed", "0"]
"""The second stage, from the first stage's weights: the same data and size, and the same
seed, which keeps the validation images out of both stages (the split is seeded)."""
REFINE_NAME = "demo-refine"
LARGE_OPTIONS = ["--backbone-lr-factor", "1", "--size", "384", "--batch", "4",
                 "--steps", "2400", "--lr", "2e-4", "--val", "0.04", "--object-crops", "0.5",
                 "--eval-every", "800", "--checkpoint-every", "100", "--workers", "1",
                 "--seed", "0"]
"""The third stage, from the second stage's weights: input 384 px instead of 256 (crops
and the processor's shortest edge), so that small objects span more feature cells."""
LARGE_NAME = "demo-384"
STAGES = [(RUN_NAME, TRAIN_OPTIONS), (REFINE_NAME, REFINE_OPTIONS),
          (LARGE_NAME, LARGE_OPTIONS)]
"""The training stages in order, each from the one before (the first from the untrained
model)."""
NOTES = [
    "The first stage was started for 12,000 steps and shortened to 10,000 at step 3,012 "
    "(stopped, `run.json`'s `steps` set to 10,000, then `--resume`): the shared machine "
    "ran slower than planned. Up to step 3,012 the learning rate followed the 12,000-step "
    "schedule (at most 8 % above the 10,000-step one's); from there on, the recipe's.",
    "The third stage was started by hand, `panoptix train` with exactly the recipe's "
    "options, as a trial before it joined the recipe; the script then found it done and "
    "went on from there."]
FORWARD_RUNS = 7
ADVICE = {"snap_edges": True, "split_parts": True}
"""The post-processing the installed model advises in its ``config.json``
(:mod:`panoptix.inference.model_advice`): with both on, its PQ and things PQ rose on every
kind of its evaluation (``switches_on`` beside the plain figures in ``training.json``)."""
SHIPPED = ("model.safetensors", "config.json", "preprocessor_config.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=REPO / "build" / "demo-model",
                        help="working folder (default build/demo-model)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: on a shared CPU, more threads spin "
                             "more than they compute)")
    parser.add_argument("--target", type=Path, default=TARGET,
                        help="where the model is installed (default: the source tree's "
                             "desktop/panoptix/resources/models/demo)")
    parser.add_argument("--reuse-forward", action="store_true",
                        help="keep the forward time the installed model's training.json "
                             "records (the same weights evaluated again, on a machine too "
                             "busy to time a forward pass)")
    parser.add_argument("--readme-only", action="store_true",
                        help="only write the installed model's README.md again, from its "
                             "training.json")
    args = parser.parse_args()
    if args.readme_only:
        record = json.loads((args.target / "training.json").read_text(encoding="utf-8"))
        (args.target / "README.md").write_text(readme(record), encoding="utf-8")
        print(f"wrote {args.target / 'README.md'}")
        return 0
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "HF_HUB_OFFLINE": "1"}
    times = load_json(work / "times.json")

    project = work / "train" / "images.panoptix"
    if not project.is_dir():
        times["data"] = run_panoptix(["demo-data", str(work / "train"), "--scenes",
                              ",".join(TRAIN_DATA["scenes"]), "--count",
                              str(TRAIN_DATA["count"]), "--seed", str(TRAIN_DATA["seed"]),
                              "--size", TRAIN_DATA["size"], "--project"], environment)
        save_json(work / "times.json", times)

    initial = work / "untrained"
    if not (initial / "model.safetensors").is_file():
        untrained_model(initial)
    model, base = initial, "(the untrained model)"
    stages = []
    for name, options in STAGES:
        model = _train(project, name, ["--base", str(model), *options], work, environment,
                       times)
        stages.append(_stage(model, ["--base", base, *options]))
        base = f"(the {name} stage's model)"

    evaluation = {kind: _evaluate(kind, model, work / "eval", environment, times)
                  for kind in (*SEEN, *HELD_OUT)}
    save_json(work / "times.json", times)
    forward = (_recorded_forward(args.target, model) if args.reuse_forward else None) \
        or _forward_seconds(model, args.threads)
    _install(model, stages, args.target, evaluation, forward, times, args.threads)
    print(f"installed the demo model in {args.target}")
    return 0


def _train(project: Path, name: str, options: list[str], work: Path, environment: dict,
           times: dict) -> Path:
    """One training stage: ``panoptix train`` into ``PROJECT/models/NAME`` unless it is
    there; an interrupted one resumes."""
    model = project / "models" / name
    if not model.is_dir():
        partial = (project / "models" / f"{name}.partial").is_dir()
        start = ["--resume"] if partial else options
        with open(work / f"{name}.log", "a", encoding="utf-8") as log:
            seconds = run_panoptix(["train", str(project), "--name", name, *start,
                                    "--progress", "json"], environment, stdout=log)
        times[f"training_{name}"] = [*times.get(f"training_{name}", []), seconds]
        save_json(work / "times.json", times)
    return model


def untrained_model(folder: Path, config: dict | None = None, size: int = SIZE) -> None:
    """A Mask2Former of ``config`` (default :data:`DEMO_CONFIG`) with seeded random
    weights and its processor at shortest edge ``size``, labelled with the scene categories
    in the order ``panoptix train`` gives them. The backbone is a Swin unless the config's
    ``backbone`` names ``"type": "resnet"`` (a transformers ``ResNetConfig``)."""
    import torch
    from transformers import (
        Mask2FormerConfig,
        Mask2FormerForUniversalSegmentation,
        ResNetConfig,
        SwinConfig,
    )
    from transformers.models.mask2former import Mask2FormerImageProcessorPil

    from panoptix.synth import synth_categories

    config = config or DEMO_CONFIG
    spec = {k: v for k, v in config.items() if k != "backbone"}
    stages = ["stage1", "stage2", "stage3", "stage4"]
    fields = {k: v for k, v in config["backbone"].items() if k != "type"}
    backbone = (ResNetConfig(**fields, out_features=stages)
                if config["backbone"].get("type") == "resnet"
                else SwinConfig(**fields, window_size=7, out_features=stages))
    id2label = {i: category.name for i, category in enumerate(synth_categories())}
    dim = spec["hidden_dim"]
    config = Mask2FormerConfig(backbone_config=backbone, feature_size=dim,
                               mask_feature_size=dim, id2label=id2label,
                               label2id={v: k for k, v in id2label.items()}, **spec)
    torch.manual_seed(INIT_SEED)
    stage = folder.with_name(f".{folder.name}.new")
    shutil.rmtree(stage, ignore_errors=True)
    Mask2FormerForUniversalSegmentation(config).save_pretrained(stage)
    longest = round(size * 1333 / 800)
    Mask2FormerImageProcessorPil(size={"shortest_edge": size, "longest_edge": longest}
                                 ).save_pretrained(stage)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(stage, folder)


def _evaluate(kind: str, model: Path, root: Path, environment: dict,
              times: dict) -> dict:
    """PQ on the kind's fresh scenes with both post-processing switches off (the model's
    own masks, as transformers' post-processing gives them), and beside it with both
    switches on (``switches_on``: edges snapped to the image, detached parts of objects
    split)."""
    folder = root / kind
    data = folder / "scenes"
    if not data.is_dir():
        run_panoptix(["demo-data", str(data), "--scenes", kind, "--count", str(EVAL_DATA["count"]),
              "--seed", str(EVAL_DATA["seed"]), "--size", EVAL_DATA["size"]], environment)
    scores = {}
    for variant, options in (("switches-off", ["--no-snap-edges", "--no-split-parts"]),
                             ("switches-on", ["--snap-edges", "--split-parts"])):
        prediction = folder / f"prediction-{model.name}-{variant}.panoptix"
        result = folder / f"evaluation-{model.name}-{variant}.json"
        if not result.is_file():
            shutil.rmtree(prediction, ignore_errors=True)
            seconds = run_panoptix(
                ["presegment", str(data / "images"), "--out", str(prediction), "--model",
                 str(model), "--device", "cpu", "--no-raw-outputs", *options], environment)
            if variant == "switches-off":
                times[f"presegment_{kind}"] = seconds
            output = subprocess.run(
                [sys.executable, "-m", "panoptix.cli", "evaluate",
                 str(data / "panoptic_demo.json"), str(prediction), "--json"],
                env=environment, check=True, capture_output=True, text=True).stdout
            result.write_text(output, encoding="utf-8")
        scores[variant] = json.loads(result.read_text(encoding="utf-8"))
    parts = ("All", "Things", "Stuff")
    return {"images": EVAL_DATA["count"], "seed": EVAL_DATA["seed"],
            "seen_in_training": kind in SEEN,
            **{part.lower(): {k: round(scores["switches-off"][part][k], 4)
                              for k in ("pq", "sq", "rq", "n")} for part in parts},
            "per_class": {str(c): round(v["pq"], 4)
                          for c, v in scores["switches-off"]["per_class"].items()},
            "switches_on": {part.lower(): {k: round(scores["switches-on"][part][k], 4)
                                           for k in ("pq", "sq", "rq")} for part in parts}}


def _recorded_forward(target: Path, model: Path) -> dict | None:
    """The installed model's recorded forward time, if its weights are ``model``'s."""
    installed = target / "model.safetensors"
    if not installed.is_file() or installed.read_bytes() != (
            model / "model.safetensors").read_bytes():
        return None
    record = json.loads((target / "training.json").read_text(encoding="utf-8"))
    return record.get("demo", {}).get("forward")


def _forward_seconds(model: Path, threads: int) -> dict:
    """Median seconds of the model's forward pass on a sample image (640x480)."""
    import torch

    from panoptix.core.imageio import load_image
    from panoptix.inference.engine import Predictor

    torch.set_num_threads(threads)
    predictor = Predictor()
    predictor.load(str(model), "cpu")
    prepared = predictor.prepare([load_image(SAMPLE)])
    predictor.forward(prepared)  # warm-up
    runs = []
    for _ in range(FORWARD_RUNS):
        started = time.perf_counter()
        predictor.forward(prepared)
        runs.append(time.perf_counter() - started)
    shape = list(prepared.inputs["pixel_values"].shape[-2:])
    return {"seconds_median": round(statistics.median(runs), 3),
            "seconds_min": round(min(runs), 3), "threads": threads,
            "image": "640x480", "model_input": f"{shape[1]}x{shape[0]}", "runs": FORWARD_RUNS}


def _stage(model: Path, options: list[str]) -> dict:
    """What a training stage did, from its ``training.json``."""
    record = json.loads((model / "training.json").read_text(encoding="utf-8"))
    best = record.get("best") or {}
    things = next((e["things"]["pq"] for e in record.get("validation", [])
                   if e.get("step") == best.get("step")), None)
    return {"name": record["name"], "options": options, "steps": record["steps"]["done"],
            "seconds": record["seconds"]["total"],
            "best": {"step": best.get("step"), "pq": best.get("pq"), "things_pq": things}}


def _install(model: Path, stages: list[dict], target: Path, evaluation: dict,
             forward: dict, times: dict, threads: int) -> None:
    record = json.loads((model / "training.json").read_text(encoding="utf-8"))
    weights = model / "model.safetensors"
    record["demo"] = {
        "recipe": {"script": "packaging/train_demo_model.py", "train_data": TRAIN_DATA,
                   "held_out": list(HELD_OUT), "config": DEMO_CONFIG, "init_seed": INIT_SEED,
                   "stages": stages, "eval_data": EVAL_DATA, "threads": threads},
        "notes": NOTES,
        "evaluation": evaluation, "forward": forward, "advice": ADVICE,
        "weights_bytes": weights.stat().st_size,
        "parameters": _parameters(weights),
        "hardware": _hardware(), "seconds": times,
    }
    stage = target.with_name(f".{target.name}.new")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for name in SHIPPED:
        shutil.copy2(model / name, stage / name)
    config = json.loads((stage / "config.json").read_text(encoding="utf-8"))
    (stage / "config.json").write_text(json.dumps(with_advice(config, ADVICE), indent=2) + "\n",
                                       encoding="utf-8")
    (stage / "training.json").write_text(json.dumps(record, indent=1) + "\n",
                                         encoding="utf-8")
    (stage / "README.md").write_text(readme(record), encoding="utf-8")
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(stage, target)
    shutil.rmtree(old, ignore_errors=True)


def _parameters(weights: Path) -> int:
    from safetensors import safe_open

    with safe_open(str(weights), "np") as tensors:
        return sum(math.prod(tensors.get_slice(k).get_shape()) for k in tensors.keys())  # noqa: SIM118 - no __iter__


def _hardware() -> dict:
    import torch
    import transformers

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__}


def run_panoptix(arguments: list[str], environment: dict, stdout=None) -> float:  # noqa: ANN001
    """Run ``panoptix ARGUMENTS``; its wall seconds. A failure stops the recipe."""
    started = time.perf_counter()
    print("+ panoptix " + " ".join(arguments), flush=True)
    subprocess.run([sys.executable, "-m", "panoptix.cli", *arguments], env=environment,
                   check=True, stdout=stdout)
    return round(time.perf_counter() - started, 1)


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
