"""How long does the GUI event loop stall while the worker runs a Swin-T-sized model?

A random-weight Mask2Former of real Swin-T size (tests/tiny_models.py) runs on the CPU
through the real worker thread (``WorkerClient``), while a 2 ms timer on the GUI thread
records the gaps between its ticks. The longest gap minus the interval is the longest stall
a user could feel. Goal: under 30 ms during a forward pass.

    python bench/bench_gui_stall.py [--runs 3] [--edge 384] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from panoptix.core.categories import load_table  # noqa: E402
from panoptix.gui.work.worker import Job  # noqa: E402
from panoptix.gui.work.worker_client import WorkerClient  # noqa: E402
from panoptix.inference.settings import InferenceSettings  # noqa: E402

INTERVAL_MS = 2


class StallMeter:
    """Ticks every ``INTERVAL_MS`` on the GUI thread and keeps the gaps between ticks."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self.timer.start()

    def stop(self) -> float:
        """The longest stall in ms (longest gap beyond the timer interval)."""
        self.timer.stop()
        return max(self.gaps, default=0.0) - INTERVAL_MS

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append((now - self._last) / 1e6)
        self._last = now


def run_job(client: WorkerClient, meter: StallMeter, job_factory) -> tuple[float, float]:  # noqa: ANN001
    """Run one view job; returns (seconds, longest stall in ms)."""
    loop = QEventLoop()
    outcome: list[str] = []
    client.result.connect(lambda result: (outcome.append("ok"), loop.quit()))
    client.failed.connect(lambda key, message, bg: (outcome.append(message), loop.quit()))
    meter.start()
    started = time.perf_counter()
    client.submit_view(job_factory)
    loop.exec()
    seconds = time.perf_counter() - started
    stall = meter.stop()
    client.result.disconnect()
    client.failed.disconnect()
    if outcome != ["ok"]:
        raise SystemExit(f"inference failed: {outcome}")
    return seconds, stall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--edge", type=int, default=384, help="input shortest edge")
    parser.add_argument("--size", default="640x480", help="image WIDTHxHEIGHT")
    args = parser.parse_args()
    from tiny_models import build_mask2former, table_labels

    app = QApplication.instance() or QApplication([])
    width, height = (int(v) for v in args.size.split("x"))
    image = np.random.default_rng(0).integers(0, 255, (height, width, 3), np.uint8)
    categories = load_table("coco_panoptic")
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_mask2former(Path(tmp) / "swin-t", table_labels("coco_panoptic"),
                                   size="swin-t", shortest_edge=args.edge,
                                   longest_edge=args.edge * 2)
        settings = InferenceSettings(model=str(folder), device="cpu", threshold=0.0)
        client = WorkerClient()
        meter = StallMeter()

        def job(job_id: int) -> Job:
            return Job(job_id, "bench", settings, categories, lambda: image)

        stalls, times = [], []
        try:
            load_s, load_stall = run_job(client, meter, job)
            print(f"first job (imports torch + loads the model + forward): {load_s:.2f} s, "
                  f"longest stall {load_stall:.1f} ms")
            for _ in range(args.runs):
                seconds, stall = run_job(client, meter, job)
                times.append(seconds)
                stalls.append(stall)
        finally:
            client.shutdown()
    print(f"Swin-T Mask2Former, {width}x{height} image, shortest edge {args.edge}, "
          f"{os.cpu_count()} CPUs, {args.runs} runs")
    print(f"  forward + post-processing: median {statistics.median(times) * 1000:.0f} ms")
    print(f"  longest event-loop stall:  max {max(stalls):.1f} ms, "
          f"median {statistics.median(stalls):.1f} ms  (goal < 30 ms)")
    del app


if __name__ == "__main__":
    main()
