"""Generated scene projects for the training tests, and one torch thread.

The tiny models train fastest on one thread; on a shared CPU a second OpenMP thread makes
every small operation wait for a core (measured: 4x the CPU time and wall time here).
``PANOPTIX_TEST_THREADS`` sets another count: ``bench/learning_spread.py`` uses it to see
how far the learning tests' figures move with the number of threads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from scenes import make_project


@pytest.fixture(autouse=True)
def one_torch_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import torch

    threads = torch.get_num_threads()
    wanted = os.environ.get("PANOPTIX_TEST_THREADS", "1")
    torch.set_num_threads(int(wanted))
    monkeypatch.setenv("OMP_NUM_THREADS", wanted)  # for the training processes a test starts
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def scenes_project(tmp_path: Path) -> Path:
    """Eight generated scenes, all marked done."""
    return make_project(tmp_path, 8)
