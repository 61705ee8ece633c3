"""How far the figures of the tests that train or compare model output move across CPUs.

Training and float results are deterministic on one machine but not across CPU kinds: other
SIMD kernels sum in other orders and a training run takes another path. This runs those
tests under kernels another x86-64 machine would use (ATen's dispatch through
``ATEN_CPU_CAPABILITY``; with ``-all``, MKL's and oneDNN's too, as on a CPU without
AVX-512) and with 1 and 2 threads, and prints every ``MEASURED`` line the tests print, then
the worst of each figure. A test's assertion belongs well below that worst value.

    python bench/learning_spread.py [--tests tests/training/test_training.py::test_...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TESTS = [
    "tests/training/test_training.py::test_a_tiny_model_really_learns_the_scenes",
    "tests/demo_model",
]
KERNELS = {
    # name: environment; "-all" also caps MKL's and oneDNN's kernels
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "avx2-all": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                 "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default"},
    "default-all": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                    "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
MEASURED = re.compile(r"MEASURED ([^:]+): (\d.*)")
NUMBER = re.compile(r"-?\d+\.?\d*")


def run(tests: list[str], kernel: str, threads: int) -> list[tuple[str, str]]:
    env = {**os.environ, **KERNELS[kernel], "OMP_NUM_THREADS": str(threads),
           "PANOPTIX_TEST_THREADS": str(threads), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                           *tests], cwd=REPO, env=env, capture_output=True, text=True)
    found = [m.groups() for m in map(MEASURED.search, done.stdout.splitlines()) if m]
    verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    print(f"{kernel:12s} threads {threads}: {verdict}", flush=True)
    for name, value in found:
        print(f"    {name}: {value}", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS)
    parser.add_argument("--kernels", nargs="+", default=list(KERNELS), choices=list(KERNELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()
    worst: dict[str, list[float]] = defaultdict(list)
    for kernel in args.kernels:
        for threads in args.threads:
            for name, value in run(args.tests, kernel, threads):
                first = NUMBER.search(value)
                if first:
                    worst[name].append(float(first.group()))
    print("\nfirst figure of each line, lowest / highest over all runs:")
    for name, values in worst.items():
        print(f"    {name}: {min(values):g} / {max(values):g} ({len(values)} runs)")


if __name__ == "__main__":
    main()
