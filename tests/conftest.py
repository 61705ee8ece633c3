"""Test-wide settings: Qt runs headless, and nothing may reach a model hub."""

import atexit
import json
import os
import tempfile

# a desktop-sized screen (the offscreen platform's own is 800x800): the window opens at
# its usual size, as on a user's monitor; tests/gui/test_high_dpi.py tries small screens
_screen, _screen_path = tempfile.mkstemp(prefix="panoptix-screen-", suffix=".json")
with os.fdopen(_screen, "w") as _file:
    json.dump({"screens": [{"name": "test", "x": 0, "y": 0, "width": 1920, "height": 1200,
                            "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}, _file)
atexit.register(os.unlink, _screen_path)
os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={_screen_path}")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
