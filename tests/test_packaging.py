"""Panoptix installs like a Python package: the wheel carries the bundled data (category
tables, samples, demo model, icons) inside the package, where importlib.resources finds
it; ``python -m panoptix`` is the command; the version has one source. The full proof, a
fresh venv with the wheel installed and no source on the path, is ``.ci/wheel-smoke``."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import panoptix
from panoptix.core.bundled import bundled_path

REPO = Path(__file__).resolve().parents[1]


def test_python_m_panoptix_is_the_command_and_says_its_version(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "panoptix", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"panoptix {panoptix.__version__}"


def test_the_bundled_data_lives_in_the_package() -> None:
    package = Path(panoptix.__file__).resolve().parent
    for parts in (("categories", "coco_panoptic.json"), ("samples", "street_01.jpg"),
                  ("models", "demo", "model.safetensors"), ("icons", "panoptix.svg")):
        assert bundled_path(*parts).resolve().is_relative_to(package)
        assert bundled_path(*parts).is_file()
    assert not (REPO / "resources").exists()


def test_the_wheel_carries_every_bundled_file_and_the_one_version(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q",
                    "-w", str(tmp_path)], check=True, timeout=300, cwd=tmp_path)
    (wheel,) = tmp_path.glob("panoptix-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    root = bundled_path()
    shipped = {f"panoptix/resources/{p.relative_to(root).as_posix()}"
               for p in root.rglob("*") if p.is_file()}
    assert len(shipped) > 20 and shipped <= names
    assert "panoptix/__main__.py" in names
    metadata = zipfile.ZipFile(wheel).read(
        f"panoptix-{panoptix.__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {panoptix.__version__}\n" in metadata
