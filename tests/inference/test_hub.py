"""Hub models: Panoptix picks and downloads the weight files itself, so transformers only
reads a local folder and never calls its safetensors auto-conversion service."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from fake_hub import FakeHub
from huggingface_hub import constants

from panoptix.inference.hub import resolve_model_folder
from panoptix.inference.loading import ModelLoadError, PickleWeightsRefused, load_model

SIDE_FILES = {"config.json", "preprocessor_config.json"}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    return FakeHub(monkeypatch)


@pytest.fixture(scope="module")
def repos(mask2former_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Repository folders: safetensors (with a pickle copy beside it, as many repos have),
    pickle only, and sharded safetensors."""
    from transformers import Mask2FormerForUniversalSegmentation

    root = tmp_path_factory.mktemp("repos")
    model = Mask2FormerForUniversalSegmentation.from_pretrained(mask2former_dir)
    both, pickled, sharded = root / "both", root / "pickled", root / "sharded"
    shutil.copytree(mask2former_dir, both)
    torch.save(model.state_dict(), both / "pytorch_model.bin")
    shutil.copytree(both, pickled)
    (pickled / "model.safetensors").unlink()
    model.save_pretrained(sharded, max_shard_size="400KB")
    shutil.copy(mask2former_dir / "preprocessor_config.json", sharded)
    return {"both": both, "pickled": pickled, "sharded": sharded}


def test_a_safetensors_repo_loads_from_its_own_download_without_conversion(
        hub: FakeHub, repos: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    hub.add("someone/m2f", repos["both"])
    loaded = load_model("someone/m2f", cache_dir=str(tmp_path))
    assert loaded.model_id == "someone/m2f" and loaded.model_type == "mask2former"
    assert set(hub.downloaded) == SIDE_FILES | {"model.safetensors"}  # never the pickle
    assert hub.downloaded[-1] == "model.safetensors"  # weights last: present means complete
    assert hub.conversions == []

    calls = len(hub.calls)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    again = load_model("someone/m2f", cache_dir=str(tmp_path))
    assert len(hub.calls) == calls and again.model_type == "mask2former"  # from the cache


def test_a_pickle_only_repo_gets_the_allow_pickle_line_every_time(
        hub: FakeHub, repos: dict[str, Path], tmp_path: Path) -> None:
    hub.add("someone/old", repos["pickled"])
    for _ in range(2):
        with pytest.raises(PickleWeightsRefused) as caught:
            load_model("someone/old", cache_dir=str(tmp_path))
        message = str(caught.value)
        assert "\n" not in message and "someone/old" in message and "--allow-pickle" in message
    assert hub.downloaded == [] and hub.conversions == []

    loaded = load_model("someone/old", allow_pickle=True, cache_dir=str(tmp_path))
    assert loaded.model_type == "mask2former" and "pytorch_model.bin" in hub.downloaded


def test_a_sharded_safetensors_repo_loads_every_shard(
        hub: FakeHub, repos: dict[str, Path], mask2former_dir: Path, tmp_path: Path) -> None:
    shards = sorted(p.name for p in repos["sharded"].glob("model-*.safetensors"))
    assert len(shards) > 1
    hub.add("someone/sharded", repos["sharded"])
    loaded = load_model("someone/sharded", cache_dir=str(tmp_path))
    assert set(hub.downloaded) == SIDE_FILES | {"model.safetensors.index.json", *shards}
    assert hub.conversions == []
    expected = load_model(str(mask2former_dir)).model.state_dict()
    state = loaded.model.state_dict()
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[name], tensor) for name, tensor in expected.items())


def test_a_cached_pickle_copy_is_replaced_by_the_hubs_safetensors(
        hub: FakeHub, repos: dict[str, Path], tmp_path: Path) -> None:
    hub.add("someone/m2f", repos["pickled"])
    load_model("someone/m2f", allow_pickle=True, cache_dir=str(tmp_path))
    hub.add("someone/m2f", repos["both"])  # safetensors were added on the hub since
    folder = resolve_model_folder("someone/m2f", cache_dir=str(tmp_path))
    assert (folder / "model.safetensors").is_file()
    assert hub.downloaded[-1] == "model.safetensors"


def test_an_unknown_repo_and_a_repo_without_weights_are_one_line(
        hub: FakeHub, repos: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no model 'someone/missing' on the Hugging Face"):
        resolve_model_folder("someone/missing", cache_dir=str(tmp_path))
    empty = tmp_path / "configs-only"
    empty.mkdir()
    shutil.copy(repos["both"] / "config.json", empty)
    hub.add("someone/empty", empty)
    with pytest.raises(ModelLoadError, match="holds no model weights"):
        resolve_model_folder("someone/empty", cache_dir=str(tmp_path))
    assert hub.downloaded == []


def test_a_local_folder_resolves_to_itself(mask2former_dir: Path) -> None:
    assert resolve_model_folder(str(mask2former_dir)) == mask2former_dir


def test_a_dinat_backbone_without_natten_is_one_line(oneformer_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from panoptix.inference import loading

    folder = tmp_path / "dinat"
    shutil.copytree(oneformer_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["backbone_config"]["model_type"] = "dinat"
    (folder / "config.json").write_text(json.dumps(config))
    monkeypatch.setattr(loading, "natten_usable", lambda: False)  # whatever is installed here
    with pytest.raises(ModelLoadError, match="DiNAT backbone, which needs the natten package"):
        load_model(str(folder))
