"""Stands in for ``panoptix train --progress json`` in the dialog tests: the same events,
at once, without torch. ``--name wait`` waits for ``stop`` on stdin after two steps (and
leaves a resumable run folder); ``--name crash`` dies without an event."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main(argv: list[str]) -> int:
    project = Path(argv[0])
    name = argv[argv.index("--name") + 1]
    if name == "crash":
        print("Traceback (most recent call last):\nRuntimeError: boom", file=sys.stderr)
        return 3
    partial = project / "models" / f"{name}.partial"
    first = 2 if "--resume" in argv else 0
    print("a library chatting on stdout", flush=True)
    emit("start", steps=4, first_step=first, train=6, validation=1, device="cpu", name=name,
         folder=str(partial), labels=["sky", "ball"])
    if first == 0:
        emit("eval", step=0, pq=0.0, sq=0.0, rq=0.0, things={}, stuff={}, images=1)
    for step in range(first + 1, 5):
        emit("step", step=step, loss=10.0 - step, lr=1e-4, seconds=step, eta_s=4 - step)
        if step % 2 == 0:
            emit("eval", step=step, pq=0.2 * step, sq=0.8, rq=0.25 * step, things={},
                 stuff={}, images=1)
        if name == "wait" and step == 2:
            partial.mkdir(parents=True, exist_ok=True)
            (partial / "run.json").write_text("{}")
            emit("checkpoint", step=2)
            if sys.stdin.readline().strip() == "stop":
                emit("stopped", step=2, folder=str(partial))
                return 130
    model = project / "models" / name
    emit("done", model=str(model), best={"step": 4, "pq": 0.8}, steps=4)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
