"""One step of Panoptix's training loop against a bare step of the same model.

The bare step is transformers' own: forward with the labels (its loss; OneFormer's with
its text branch and contrastive loss), backward and an AdamW step, on one batch already in
memory. Panoptix's step is what ``panoptix train``
runs: batches decoded, augmented and encoded by the processor on loader threads while the
model trains, the loss with ignored pixels, gradient clipping, the learning-rate schedule
and progress reporting, timed from one step's end to the next (waiting for data
included). Rounds of each alternate and the best round of each is compared, since this
shared CPU's speed varies from minute to minute. Goal: at most 1.10 (loading hides behind
the model).

    python bench/bench_train.py [--model small] [--images 12] [--steps 6] [--rounds 3]
                                [--batch 2] [--size PX] [--device cpu]

``--model`` is a ``--from-scratch`` kind, ``swin-t`` (a Mask2Former of
facebook/mask2former-swin-tiny-coco-panoptic's sizes) or ``oneformer-swin-t``: a OneFormer
of shi-labs/oneformer_ade20k_swin_tiny's sizes (Swin-T, 150 queries, a 6-layer text
branch). ``--device cuda`` runs both steps on the GPU (fp32 both; the clock waits for the
GPU's queue at each reading).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "training"))

import torch  # noqa: E402
from scenes import make_project  # noqa: E402

from panoptix.core.manifest import ImageStatus  # noqa: E402
from panoptix.inference.device import synchronize  # noqa: E402
from panoptix.inference.settings import InferenceSettings  # noqa: E402
from panoptix.training import models  # noqa: E402
from panoptix.training.architectures import architecture_of, to_device  # noqa: E402
from panoptix.training.batches import BatchEncoder, BatchPlan  # noqa: E402
from panoptix.training.progress import Reporter, StopFlag  # noqa: E402
from panoptix.training.project_data import ProjectReader  # noqa: E402
from panoptix.training.run_folder import RunFolder  # noqa: E402
from panoptix.training.settings import TrainSettings  # noqa: E402
from panoptix.training.setup import collect  # noqa: E402
from panoptix.training.trainer import Trainer  # noqa: E402

GOAL = 1.10
SWIN_T_ONEFORMER = {
    "family": "oneformer",
    "backbone": {"embed_dim": 96, "depths": [2, 2, 6, 2], "num_heads": [3, 6, 12, 24]},
    "hidden_dim": 256, "encoder_feedforward_dim": 1024, "encoder_layers": 6,
    "decoder_layers": 10, "num_attention_heads": 8, "dim_feedforward": 2048,
    "num_queries": 150, "train_num_points": 12544, "size": 384, "text_encoder_width": 256,
    "text_encoder_num_layers": 6, "text_encoder_n_ctx": 16, "query_dec_layers": 2}
SWIN_T_MASK2FORMER = {
    "backbone": {"embed_dim": 96, "depths": [2, 2, 6, 2], "num_heads": [3, 6, 12, 24]},
    "hidden_dim": 256, "encoder_feedforward_dim": 1024, "encoder_layers": 6,
    "decoder_layers": 10, "num_attention_heads": 8, "dim_feedforward": 2048,
    "num_queries": 100, "train_num_points": 12544, "size": 384}
"""facebook/mask2former-swin-tiny-coco-panoptic's sizes (its crops are 1024 px; 384 here)."""
EXTRA = {"oneformer-swin-t": SWIN_T_ONEFORMER, "swin-t": SWIN_T_MASK2FORMER}
DEVICE = {"name": "cpu"}
"""``--device``: where both steps run."""


def make_model(kind: str, labels):  # noqa: ANN001, ANN201
    if kind in EXTRA:
        return models.build_scratch(EXTRA[kind], labels, 0, kind)
    return models.scratch_model(kind, labels, seed=0)


SIZE: dict[str, int] = {}
"""``--size``: the crop side instead of the model's own."""


def input_size(kind: str) -> int:
    own = int(EXTRA[kind]["size"]) if kind in EXTRA else models.default_size(kind)
    return SIZE.get("crop", own)


class StepClock(Reporter):
    """Keeps the time of every step's end; prints nothing."""

    def __init__(self) -> None:
        super().__init__(json_lines=True, stream=open(os.devnull, "w"))  # noqa: SIM115
        self.times: list[float] = []

    def step(self, step: int, loss: float, lr: float, eta_s: float | None) -> None:
        synchronize(DEVICE["name"])
        self.times.append(time.perf_counter())


def settings(kind: str, steps: int, batch: int) -> TrainSettings:
    return TrainSettings(steps=steps, batch=batch, accumulate=1,
                         size=input_size(kind), lr=1e-4, backbone_lr_factor=1.0,
                         weight_decay=0.05, warmup=1, clip=0.01, eval_every=10 ** 6,
                         checkpoint_every=10 ** 6, precision="fp32", workers=2, seed=0)


def panoptix_step(project: Path, kind: str, steps: int, batch: int, round_: int) -> float:
    """Seconds per step of the training loop, after its first step (warm-up)."""
    reader = ProjectReader(project)
    data = collect(reader, [ImageStatus.DONE], 0.0, seed=0)
    loaded = make_model(kind, data.labels)
    clock = StepClock()
    run = RunFolder(project, f"bench-{round_}")
    run.partial.mkdir(parents=True)
    trainer = Trainer(run, loaded, data.train, [], data.labels, reader.categories,
                      InferenceSettings(), settings(kind, steps + 1, batch), DEVICE["name"], clock,
                      StopFlag())
    trainer.run()
    return (clock.times[-1] - clock.times[0]) / steps


def bare_step(project: Path, kind: str, steps: int, batch: int) -> tuple[float, float]:
    """Seconds per bare step on one batch in memory, and seconds to encode one batch."""
    reader = ProjectReader(project)
    data = collect(reader, [ImageStatus.DONE], 0.0, seed=0)
    loaded = make_model(kind, data.labels)
    make_inputs = architecture_of(loaded.model_type).input_maker(
        loaded.processor, data.labels, loaded.model.config, seed=0)
    encoder = BatchEncoder(data.train, data.labels, settings(kind, 1, batch).augmentation,
                           make_inputs, seed=0)
    plan = BatchPlan(len(data.train), batch, 1, seed=0)
    started = time.perf_counter()
    batches = [encoder.encode(plan.micro_batches(step)[0]) for step in range(3)]
    encode_seconds = (time.perf_counter() - started) / 3
    model = loaded.model.to(DEVICE["name"]).train()
    if loaded.model_type == "oneformer":  # transformers' forward computes the text loss
        model.config.is_training = model.model.is_training = True
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    inputs = to_device(batches[0].inputs, DEVICE["name"])

    def one() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = model(**inputs).loss
        loss.backward()
        optimizer.step()

    one()  # warm-up
    synchronize(DEVICE["name"])
    started = time.perf_counter()
    for _ in range(steps):
        one()
    synchronize(DEVICE["name"])
    return (time.perf_counter() - started) / steps, encode_seconds


def model_figures(project: Path, kind: str) -> str:
    """Weights on disk, and a forward pass through Panoptix's inference path at the
    image's size (the processor scales its shortest edge to the model's input size)."""
    from panoptix.core import imageio
    from panoptix.inference.engine import Predictor

    reader = ProjectReader(project)
    data = collect(reader, [ImageStatus.DONE], 0.0, seed=0)
    loaded = make_model(kind, data.labels)
    with tempfile.TemporaryDirectory() as folder:
        loaded.model.save_pretrained(folder)
        loaded.processor.save_pretrained(folder)
        megabytes = (Path(folder) / "model.safetensors").stat().st_size / 1e6
        predictor = Predictor()
        predictor.load(folder, DEVICE["name"])
    image = imageio.load_image(data.train[0].image_path)
    predictor.predict(image)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        predictor.predict(image)
        synchronize(DEVICE["name"])
        times.append(time.perf_counter() - started)
    parameters = sum(p.numel() for p in loaded.model.parameters()) / 1e6
    times.sort()
    edge = loaded.image_processor.size.shortest_edge
    return (f"{kind}: {parameters:.2f} M parameters, model.safetensors {megabytes:.1f} MB "
            f"(float32); forward on a {image.shape[1]}x{image.shape[0]} image (input "
            f"shortest edge {edge}): median {times[2]:.3f} s, best {times[0]:.3f} s of 5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=[*models.SCRATCH_KINDS, *EXTRA], default="small")
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, help="crop side (default: the model's own)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    args = parser.parse_args()
    DEVICE["name"] = args.device
    if args.size:
        SIZE["crop"] = args.size
    with tempfile.TemporaryDirectory() as folder:
        project = make_project(Path(folder), args.images, height=480, width=640)
        print(model_figures(project, args.model))
        loops, bares, encodes = [], [], []
        for round_ in range(args.rounds):
            bare, encode = bare_step(project, args.model, args.steps, args.batch)
            bares.append(bare)
            encodes.append(encode)
            loops.append(panoptix_step(project, args.model, args.steps, args.batch, round_))
            print(f"round {round_ + 1}: bare step {bare:.3f} s, Panoptix step "
                  f"{loops[-1]:.3f} s, encoding one batch {encode:.3f} s (on one thread)")
    ratio = min(loops) / min(bares)
    print(f"{args.model} model, batch {args.batch} of 640x480 scenes cropped to "
          f"{input_size(args.model)} px, {args.device}, {torch.get_num_threads()} torch threads: "
          f"Panoptix step / bare step = {ratio:.2f} (best rounds; goal <= {GOAL:.2f}); "
          f"encoding a batch is {min(encodes) / min(bares):.2f} of a bare step")


if __name__ == "__main__":
    main()
