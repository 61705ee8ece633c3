"""The first run on laptop and desktop screens at three scale factors, on a real X display:
1366x768 and 1920x1080 at QT_SCALE_FACTOR 1, 1.5 and 2 (``laptop-1366x768-2x.png``...).

    python packaging/screenshots/laptops.py OUT_DIR

For each screen an Xvfb server on a free display (no window manager: nothing keeps the
window inside the screen but the window itself); for each factor ``python -m panoptix``
with no argument in a fresh home folder (the samples with the demo model, offline), until
it reports the first sample's segments shown (``PANOPTIX_STARTUP_TRACE``), then
ImageMagick's ``import -window root`` of the whole screen, made small (:data:`SMALL`).
Requires Xvfb and ImageMagick.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCREENS = ((1366, 768), (1920, 1080))
FACTORS = ("1", "1.5", "2")
SMALL = ("-resize", "800x", "-dither", "None", "-colors", "128",
         "-define", "png:compression-level=9")
"""800 px wide, 128 colours: a layout to look at, about 250 KB."""
SETTLE_S = 1.5
"""After the segments are shown: the status bar and the docks settle."""


def shoot(out: Path, display: str, size: tuple[int, int], factor: str) -> Path:
    with tempfile.TemporaryDirectory(prefix="panoptix-laptop-") as home:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "QT_SCALE_FACTOR": factor, "HOME": home, "XDG_DATA_HOME": f"{home}/data",
               "XDG_CONFIG_HOME": f"{home}/config", "HF_HUB_OFFLINE": "1",
               "PANOPTIX_STARTUP_TRACE": "1"}
        env.pop("QT_SCREEN_SCALE_FACTORS", None)
        app = subprocess.Popen([sys.executable, "-m", "panoptix"], env=env, cwd=home,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert app.stderr is not None
            for line in app.stderr:
                if line.startswith("panoptix startup:") and "segments shown" in line:
                    break
            time.sleep(SETTLE_S)
            shot = out / f"laptop-{size[0]}x{size[1]}-{factor}x.png"
            whole = Path(home) / "whole.png"
            subprocess.run(["import", "-display", display, "-window", "root", str(whole)],
                           check=True)
            subprocess.run(["convert", str(whole), *SMALL, str(shot)], check=True)
            return shot
        finally:
            app.terminate()
            app.wait(20)


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for width, height in SCREENS:
        server = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0",
                                   f"{width}x{height}x24", "-nolisten", "tcp"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert server.stdout is not None
            display = f":{server.stdout.readline().strip()}"  # a free one, Xvfb's choice
            for factor in FACTORS:
                print(shoot(out, display, (width, height), factor), flush=True)
        finally:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
