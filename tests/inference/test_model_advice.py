"""A model's advice on post-processing: read from its config, followed while unset."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from panoptix.inference.model_advice import ADVICE_KEY, advised_switches, with_advice
from panoptix.inference.settings import InferenceSettings, SettingsError


def advising(folder: Path, advice: object) -> Path:
    """``folder`` (a model folder) with ``advice`` under the advice key of its config."""
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, ADVICE_KEY: advice}))
    return folder


@pytest.fixture
def model(mask2former_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(mask2former_dir, tmp_path / "model"))


def test_the_demo_model_advises_both_switches_and_settings_follow_it_while_unset() -> None:
    assert advised_switches("demo") == {"snap_edges": True, "split_parts": True}
    unset = InferenceSettings(model="demo")
    assert unset.snap_edges is None and unset.resolved_snap_edges
    assert unset.resolved_split_parts and unset.follows_model("split_parts")
    chosen = unset.with_changes(snap_edges=False)
    assert not chosen.resolved_snap_edges and not chosen.follows_model("snap_edges")
    assert chosen.resolved_split_parts  # the other one still follows the model


def test_a_model_without_advice_leaves_both_off(model: Path) -> None:
    settings = InferenceSettings(model=str(model))
    assert advised_switches(str(model)) == {}
    assert not settings.resolved_snap_edges and not settings.resolved_split_parts
    assert InferenceSettings(model=str(model), split_parts=True).resolved_split_parts


def test_only_booleans_under_the_two_names_count(model: Path) -> None:
    advising(model, {"snap_edges": "yes", "split_parts": True, "trust_remote_code": True})
    assert advised_switches(str(model)) == {"split_parts": True}
    advising(model, ["snap_edges"])
    assert advised_switches(str(model)) == {}
    (model / "config.json").write_text("{not json")
    assert advised_switches(str(model)) == {}
    assert advised_switches(str(model / "missing")) == {}
    with pytest.raises(ValueError, match="not a post-processing switch: threshold"):
        with_advice({}, {"threshold": True})


def test_a_config_written_again_is_read_again(model: Path) -> None:
    advising(model, {"snap_edges": True})
    assert advised_switches(str(model)) == {"snap_edges": True}
    advising(model, {"snap_edges": False})
    stat = (model / "config.json").stat()  # the same second on a coarse clock: a new stamp
    os.utime(model / "config.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert advised_switches(str(model)) == {"snap_edges": False}


def test_a_cached_hub_model_advises_offline(mask2former_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    repo = tmp_path / "models--someone--advising"
    commit = "0" * 40
    advising(Path(shutil.copytree(mask2former_dir, repo / "snapshots" / commit)),
             {"snap_edges": True, "split_parts": False})
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    assert advised_switches("someone/advising") == {"snap_edges": True, "split_parts": False}
    assert advised_switches("someone/not-cached") == {}


def test_a_project_keeps_a_switch_unset_and_an_old_projects_choice_stays() -> None:
    stored = InferenceSettings(model="demo").stored()
    assert stored["snap_edges"] is None and stored["split_parts"] is None
    again = InferenceSettings.from_stored(stored)
    assert again.follows_model("snap_edges") and again.resolved_snap_edges
    old = InferenceSettings.from_stored({"model": "demo", "snap_edges": False,
                                         "split_parts": False})  # before models advised
    assert not old.resolved_snap_edges and not old.resolved_split_parts
    with pytest.raises(SettingsError, match="snap edges must be true, false or unset"):
        InferenceSettings(snap_edges="on")  # type: ignore[arg-type]
