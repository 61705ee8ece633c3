"""Generated scene projects for the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenes import make_project


@pytest.fixture
def scenes_project(tmp_path: Path) -> Path:
    """Eight generated scenes, all marked done."""
    return make_project(tmp_path, 8)
