"""The Ray engine's options and worker plan, without Ray: sizing the pool, refusing what
cannot run, and one line when Ray is not installed."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from test_presegment import parse

from panoptix.inference.cluster_plan import ClusterError, ClusterOptions, plan_workers
from panoptix.inference.presegment import run_presegment


def test_without_ray_the_ray_engine_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    monkeypatch.setitem(sys.modules, "ray.data", None)
    (tmp_path / "photos").mkdir()
    out = tmp_path / "project"
    assert run_presegment(parse(str(tmp_path / "photos"), "--out", str(out),
                                "--engine", "ray")) == 2
    err = capsys.readouterr().err.strip()
    assert err == ('panoptix presegment: error: the Ray engine needs Ray: '
                   'pip install "panoptix[cluster]"')
    assert not out.exists()


def test_an_address_nobody_answers_at_is_one_line_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("ray.data")
    with socket.socket() as probe:  # a port that was free a moment ago: refused now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "photos").mkdir()
    out = tmp_path / "project"
    assert run_presegment(parse(str(tmp_path / "photos"), "--out", str(out), "--engine", "ray",
                                "--address", f"127.0.0.1:{port}")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"panoptix presegment: error: no Ray cluster answers at 127.0.0.1:{port}")
    assert len(err.splitlines()) == 1 and not out.exists()


def test_ray_options_need_the_ray_engine(tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    assert run_presegment(parse(str(tmp_path), "--out", str(tmp_path / "p"),
                                "--workers", "2")) == 2
    assert "--workers needs --engine ray" in capsys.readouterr().err


@pytest.mark.parametrize(("cpus", "workers", "expected"), [
    (2, None, (1, 1.0)),     # one worker; the other CPU decodes and post-processes
    (2, 2, (2, 0.5)),        # two workers share the one CPU left to them
    (1, None, (1, 0.5)),     # a single CPU is split half and half
    (16, None, (3, 4.0)),    # 4 CPUs kept for the stages, 4 threads per worker
    (64, 2, (2, 24.0)),
])
def test_cpu_workers_always_leave_the_stages_cpus(cpus: int, workers: int | None,
                                                  expected: tuple[int, float]) -> None:
    plan = plan_workers(ClusterOptions(workers=workers), cpus, 0)
    assert (plan.workers, plan.cpus_per_worker) == expected
    assert plan.device == "cpu" and plan.gpus_per_worker == 0
    assert plan.workers * plan.cpus_per_worker < cpus
    assert 0 < plan.stage_cpus <= cpus - plan.workers * plan.cpus_per_worker


def test_cpus_asked_for_that_would_starve_decoding_are_reduced_and_said() -> None:
    plan = plan_workers(ClusterOptions(workers=2, cpus_per_worker=1), 2, 0)
    assert plan.cpus_per_worker == 0.5
    assert plan.notes and "giving each worker 0.5" in plan.notes[0]
    assert not plan_workers(ClusterOptions(workers=1, cpus_per_worker=8), 16, 0).notes


def test_gpu_workers_one_per_gpu_unless_told() -> None:
    plan = plan_workers(ClusterOptions(), 16, 4)
    assert (plan.workers, plan.gpus_per_worker, plan.cpus_per_worker) == (4, 1.0, 1.0)
    assert plan.device == "cuda" and plan.describe() == "4 model workers (1 CPU, 1 GPU each)"
    shared = plan_workers(ClusterOptions(gpus_per_worker=0.5), 16, 1)
    assert (shared.workers, shared.gpus_per_worker) == (2, 0.5)
    on_cpu = plan_workers(ClusterOptions(gpus_per_worker=0), 16, 4)
    assert on_cpu.device == "cpu"
    tight = plan_workers(ClusterOptions(), 4, 4)  # 4 workers, 3 CPUs left after decoding
    assert tight.cpus_per_worker == 0.75 and not tight.notes


def test_impossible_requests_are_refused_in_one_line() -> None:
    with pytest.raises(ClusterError, match="the Ray cluster has 0 GPUs"):
        plan_workers(ClusterOptions(gpus_per_worker=1), 8, 0)
    with pytest.raises(ClusterError, match="need 3 GPUs; the Ray cluster has 2"):
        plan_workers(ClusterOptions(workers=3, gpus_per_worker=1), 8, 2)
    with pytest.raises(ClusterError, match="--workers must be above 0"):
        ClusterOptions(workers=0)
    with pytest.raises(ClusterError, match="--cpus-per-worker must be above 0"):
        ClusterOptions(cpus_per_worker=-1)
