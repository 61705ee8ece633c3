"""From process start to the first sample's segments on screen: ``panoptix`` with no
argument, offline, as on a first start after installing (no user data: the samples are
copied and their project made, with the bundled demo model).

Each run starts ``python -m panoptix`` in a fresh home folder with
``PANOPTIX_STARTUP_TRACE=1`` (``panoptix.gui.features.startup_trace``), reads its
milestones (window shown, image shown, model ready, segments shown: seconds since the
process started) and stops it. Warm runs follow one run that is not counted; a cold run
first empties the page cache (``sync; echo 3 > /proc/sys/vm/drop_caches``, which needs
root: it says so when it may not). Every figure is printed with the load (``uptime``)
it was measured at: the goal (cold <= 6 s, warm <= 4 s) is for a load under 1.5.

    python bench/bench_first_run.py [--warm 3] [--cold 1] [--timeout 90]

On the display in ``$DISPLAY`` (xcb) when there is one, else offscreen. Python may write
its compiled modules (``__pycache__``), as an installed package has them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREFIX = "panoptix startup:"  # as panoptix.gui.features.startup_trace writes it
GOAL = "segments shown"


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0] \
        if Path("/proc/loadavg").is_file() else os.getloadavg()[0].__format__(".2f")


def drop_caches() -> str | None:
    """Empty the page cache; the reason it could not, else None."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        return f"cannot drop the page cache ({exc.strerror}): the cold figure is warm"
    return None


def one_start(timeout: float) -> dict[str, float]:
    """The milestones of one start, in seconds since its process started."""
    with tempfile.TemporaryDirectory(prefix="panoptix-first-run-") as home:
        env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/data",
               "XDG_CONFIG_HOME": f"{home}/config", "XDG_CACHE_HOME": f"{home}/cache",
               "HF_HUB_OFFLINE": "1", "PANOPTIX_STARTUP_TRACE": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once
        if not env.get("DISPLAY"):
            env["QT_QPA_PLATFORM"] = "offscreen"
        env["HF_HOME"] = os.environ.get("HF_HOME", str(Path.home() / ".cache/huggingface"))
        run = subprocess.Popen([sys.executable, "-m", "panoptix"], env=env, cwd=home,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        milestones: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        try:
            assert run.stderr is not None
            for line in run.stderr:
                if line.startswith(PREFIX):
                    seconds, name = line[len(PREFIX):].strip().split(" ", 1)
                    milestones[name] = float(seconds)
                if GOAL in milestones or time.monotonic() > deadline:
                    break
        finally:
            run.terminate()
            try:
                run.wait(10)
            except subprocess.TimeoutExpired:
                run.kill()
                run.wait()
        return milestones


def report(kind: str, milestones: dict[str, float], at_load: str) -> None:
    steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in milestones.items())
    goal = milestones.get(GOAL)
    figure = f"{goal:.2f} s" if goal is not None else "not reached"
    print(f"{kind}: segments on screen at {figure} (load {at_load}): {steps}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm", type=int, default=3, help="warm runs counted (default 3)")
    parser.add_argument("--cold", type=int, default=1, help="cold runs (default 1)")
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    print(f"display: {os.environ.get('DISPLAY') or 'offscreen'}; load at start {load()}")
    for _ in range(args.cold):
        problem = drop_caches()
        if problem:
            print(problem)
        at_load = load()
        report("cold", one_start(args.timeout), at_load)
    if args.warm:
        one_start(args.timeout)  # fills the page cache; not counted
    for _ in range(args.warm):
        at_load = load()
        report("warm", one_start(args.timeout), at_load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
