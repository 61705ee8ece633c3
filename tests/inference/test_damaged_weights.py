"""Damaged weight files are one line naming the file: from load_model, and as exit status 2
from ``panoptix presegment`` (nothing could run)."""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panoptix.cli import main
from panoptix.inference.loading import ModelLoadError, load_model


def _header(data: bytes) -> tuple[dict, bytes]:
    size = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + size]), data[8 + size:]


def _bad_offset(data: bytes) -> bytes:
    header, body = _header(data)
    name = next(key for key in header if key != "__metadata__")
    start, end = header[name]["data_offsets"]
    header[name]["data_offsets"] = [start, end + 10**9]
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


SAFETENSORS_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda data: data[:len(data) // 2],
    "random": lambda data: np.random.default_rng(0).bytes(len(data)),
    "empty": lambda data: b"",
    "huge-header": lambda data: struct.pack("<Q", 2**40) + data[8:],
    "bad-offset": _bad_offset,
}


class _Evil:
    def __reduce__(self):  # noqa: ANN204 - what an attacker's pickle does
        return (os.system, ("echo pwned",))


PICKLE_DAMAGE: dict[str, Callable[[bytes], bytes] | None] = {
    "random": lambda data: np.random.default_rng(1).bytes(5000),
    "truncated": lambda data: data[:len(data) // 2],
    "empty": lambda data: b"",
    "code": None,  # a pickle that would run a command
}


@pytest.fixture(scope="module")
def state_dict_bytes(mask2former_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("bin") / "pytorch_model.bin"
    torch.save(load_model(str(mask2former_dir)).model.state_dict(), path)
    return path.read_bytes()


def damaged_copy(source: Path, folder: Path, kind: str) -> Path:
    shutil.copytree(source, folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(SAFETENSORS_DAMAGE[kind](weights.read_bytes()))
    return weights


def pickled_copy(source: Path, folder: Path, kind: str, good: bytes) -> Path:
    shutil.copytree(source, folder)
    (folder / "model.safetensors").unlink()
    weights = folder / "pytorch_model.bin"
    damage = PICKLE_DAMAGE[kind]
    if damage is None:
        torch.save({"weight": _Evil()}, weights)
    else:
        weights.write_bytes(damage(good))
    return weights


@pytest.mark.parametrize("kind", SAFETENSORS_DAMAGE)
def test_damaged_safetensors_are_one_line_naming_the_file(kind: str, mask2former_dir: Path,
                                                          tmp_path: Path) -> None:
    weights = damaged_copy(mask2former_dir, tmp_path / "model", kind)
    with pytest.raises(ModelLoadError) as caught:
        load_model(str(tmp_path / "model"))
    message = str(caught.value)
    assert "\n" not in message and str(weights) in message and "damaged" in message


@pytest.mark.parametrize("kind", PICKLE_DAMAGE)
def test_bad_pickles_allowed_by_the_user_are_one_line_naming_the_file(
        kind: str, mask2former_dir: Path, state_dict_bytes: bytes, tmp_path: Path,
        capfd: pytest.CaptureFixture) -> None:
    weights = pickled_copy(mask2former_dir, tmp_path / "model", kind, state_dict_bytes)
    with pytest.raises(ModelLoadError) as caught:
        load_model(str(tmp_path / "model"), allow_pickle=True)
    message = str(caught.value)
    assert "\n" not in message and str(weights) in message and len(message) < 400
    assert "pwned" not in capfd.readouterr().out  # torch's weights-only load refused it


def test_a_damaged_shard_is_named(mask2former_dir: Path, tmp_path: Path) -> None:
    from transformers import Mask2FormerForUniversalSegmentation

    folder = tmp_path / "sharded"
    model = Mask2FormerForUniversalSegmentation.from_pretrained(mask2former_dir)
    model.save_pretrained(folder, max_shard_size="400KB")
    shutil.copy(mask2former_dir / "preprocessor_config.json", folder)
    shard = sorted(folder.glob("model-*.safetensors"))[1]
    shard.write_bytes(shard.read_bytes()[:100])
    with pytest.raises(ModelLoadError, match=str(shard)):
        load_model(str(folder))
    shard.unlink()
    with pytest.raises(ModelLoadError, match=f"lacks 1 of the .* {shard.name}"):
        load_model(str(folder))


def test_presegment_with_damaged_weights_exits_2_with_one_line(
        mask2former_dir: Path, state_dict_bytes: bytes, tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    images = tmp_path / "photos"
    images.mkdir()
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(images / "a.png")
    truncated = damaged_copy(mask2former_dir, tmp_path / "m1", "truncated")
    evil = pickled_copy(mask2former_dir, tmp_path / "m2", "code", state_dict_bytes)
    for model, weights, extra in ((tmp_path / "m1", truncated, []),
                                  (tmp_path / "m2", evil, ["--allow-pickle"])):
        status = main(["presegment", str(images), "--out", str(tmp_path / "p"), "--model",
                       str(model), *extra])
        errors = [line for line in capsys.readouterr().err.splitlines()
                  if "error" in line]
        assert status == 2
        assert len(errors) == 1 and str(weights) in errors[0]
