"""Plot a trained model's loss and validation PQ from its ``training.json``.

    python bench/plot_training.py PROJECT/models/NAME [--out packaging/screenshots/training.png]

matplotlib is a development dependency only (``pip install -e .[dev]``); the window draws
its own live plot with QPainter.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path, help="a model folder with training.json")
    parser.add_argument("--out", type=Path,
                        default=Path("packaging/screenshots/training.png"))
    parser.add_argument("--title", help="default: the model's name and base")
    args = parser.parse_args()
    record = json.loads((args.model / "training.json").read_text(encoding="utf-8"))
    steps = [entry["step"] for entry in record["losses"]]
    losses = [entry["loss"] for entry in record["losses"]]
    figure, loss_axis = plt.subplots(figsize=(7.5, 3.6), dpi=110)
    loss_axis.plot(steps, losses, color="#9ecae1", linewidth=0.8)
    window = max(1, len(losses) // 30)
    smooth = [sum(losses[max(0, i - window + 1):i + 1]) / len(losses[max(0, i - window + 1):i + 1])
              for i in range(len(losses))]
    loss_axis.plot(steps, smooth, color="#2171b5", linewidth=1.5, label="training loss")
    loss_axis.set_xlabel("step")
    loss_axis.set_ylabel("training loss", color="#2171b5")
    loss_axis.set_ylim(bottom=0)
    validation = record.get("validation") or []
    if validation:
        pq_axis = loss_axis.twinx()
        pq_axis.plot([v["step"] for v in validation], [100 * v["pq"] for v in validation],
                     color="#e6550d", marker="o", linewidth=1.5, label="validation PQ")
        pq_axis.set_ylabel("validation PQ", color="#e6550d")
        pq_axis.set_ylim(0, 100)
    base = record["base"]
    made = f"from scratch ({base['model']})" if base["kind"] == "scratch" else \
        f"from {base['model']}"
    images = record["images"]
    loss_axis.set_title(args.title or (
        f"{record['name']}: {made}, {len(images['train'])} training / "
        f"{len(images['validation'])} validation images, {record['device']}"), fontsize=9)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
