"""Take the README screenshot: the first run of ``panoptix`` on a real X display, offline.

    Xvfb :109 -screen 0 1600x1000x24 &
    DISPLAY=:109 python packaging/screenshots/window.py [OUT.png]

Starts the real ``panoptix`` command with no argument, with a fresh home (no preferences,
no sample copy, no Hugging Face cache) and ``HF_HUB_OFFLINE=1``, exactly as on a new
machine without network: it opens the bundled samples with the bundled demo model. Once
every sample is pre-segmented (read from the samples' project on disk) the screen is
grabbed with ImageMagick's ``import -window root`` and cropped to the window. Writes (by
default) packaging/screenshots/window.png, and prints how long the first segments took.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WAIT_S = 300
SETTLE_S = 2.0
SAMPLES = 5
HERE = Path(__file__).resolve().parent


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "window.png"
    if not os.environ.get("DISPLAY"):
        print("no DISPLAY: start Xvfb and set DISPLAY (see the docstring)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/data",
               "XDG_CONFIG_HOME": f"{home}/config", "XDG_CACHE_HOME": f"{home}/cache",
               "HF_HOME": f"{home}/hf", "HF_HUB_OFFLINE": "1", "QT_QPA_PLATFORM": "xcb"}
        started = time.perf_counter()
        app = subprocess.Popen([sys.executable, "-m", "panoptix.cli"], env=env)
        try:
            first = _wait(Path(home) / "data", started, app)
            time.sleep(SETTLE_S)
            _grab(out)
        finally:
            app.terminate()
            app.wait(timeout=30)
    print(f"first segments after {first:.1f} s; wrote {out}")
    return 0


def _wait(data: Path, started: float, app: subprocess.Popen) -> float:
    """Seconds until the first sample was pre-segmented; returns once all of them are."""
    first = None
    while time.perf_counter() - started < WAIT_S:
        if app.poll() is not None:
            raise RuntimeError(f"panoptix exited with {app.returncode}")
        done = _presegmented(data)
        if done and first is None:
            first = time.perf_counter() - started
        if done >= SAMPLES:
            return first
        time.sleep(0.5)
    raise TimeoutError(f"the samples were not pre-segmented within {WAIT_S} s")


def _presegmented(data: Path) -> int:
    count = 0
    for record in data.glob("*/samples-*.panoptix/annotations/*.json"):
        with contextlib.suppress(OSError, ValueError):  # being written
            count += json.loads(record.read_text(encoding="utf-8")).get("status") == \
                "presegmented"
    return count


def _grab(out: Path) -> None:
    window = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name",
                             "Panoptix"], capture_output=True, text=True, check=True)
    window_id = window.stdout.split()[-1]
    geometry = subprocess.run(["xdotool", "getwindowgeometry", "--shell", window_id],
                              capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in geometry.split())
    crop = f"{values['WIDTH']}x{values['HEIGHT']}+{values['X']}+{values['Y']}"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(out)],
                   check=True)


if __name__ == "__main__":
    sys.exit(main())
