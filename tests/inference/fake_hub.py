"""A Hugging Face Hub in a folder: repositories are local folders, served through patched
``huggingface_hub`` calls that write the real cache layout (``models--owner--name/refs/main``
and ``snapshots/<commit>/``), so what they leave behind is what a real download leaves and
``huggingface_hub``'s own cache lookup finds it. No network is touched.

Every patched call is checked against the real function's signature, so a call Panoptix
makes that the real library would refuse fails here too. transformers' safetensors
auto-conversion is patched to record any call (the tests expect none).
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
import inspect
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest
from huggingface_hub import constants
from huggingface_hub.errors import RepositoryNotFoundError


@dataclass
class FakeHub:
    monkeypatch: pytest.MonkeyPatch
    repos: dict[str, Path] = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)
    """("list", repo) and ("download", repo, files), in order."""
    conversions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        conversion_modules = [importlib.import_module(f"transformers.{name}")
                              for name in ("modeling_utils", "safetensors_conversion")]
        real_info, real_download = huggingface_hub.HfApi.model_info, \
            huggingface_hub.snapshot_download
        hub = self

        def model_info(api, repo_id, *args, **kwargs):  # noqa: ANN001, ANN202
            inspect.signature(real_info).bind(api, repo_id, *args, **kwargs)
            return hub.model_info(repo_id)

        def snapshot_download(repo_id, *args, **kwargs):  # noqa: ANN001, ANN202
            inspect.signature(real_download).bind(repo_id, *args, **kwargs)
            return hub.snapshot_download(repo_id, kwargs.get("allow_patterns"),
                                         kwargs.get("cache_dir"))

        def auto_conversion(model_id, *args, **kwargs):  # noqa: ANN001, ANN202
            hub.conversions.append(model_id)
            raise AssertionError("transformers' safetensors conversion was called")

        patch = self.monkeypatch.setattr
        patch(constants, "HF_HUB_OFFLINE", False)
        patch("panoptix.inference.hub.hub_reachable", lambda endpoint, timeout_s=3.0: True)
        patch(huggingface_hub.HfApi, "model_info", model_info)
        patch(huggingface_hub, "snapshot_download", snapshot_download)
        for module in conversion_modules:
            patch(module, "auto_conversion", auto_conversion)

    def add(self, repo_id: str, folder: Path) -> None:
        self.repos[repo_id] = folder

    def commit(self, repo_id: str) -> str:
        names = sorted(p.name for p in self.repos[repo_id].iterdir())
        return hashlib.sha1(("\n".join([repo_id, *names])).encode()).hexdigest()

    def model_info(self, repo_id: str) -> SimpleNamespace:
        self.calls.append(("list", repo_id))
        if repo_id not in self.repos:
            raise RepositoryNotFoundError(
                "404 Client Error. Repository Not Found",
                response=SimpleNamespace(headers={}, status_code=404, url=repo_id, request=None))
        files = [SimpleNamespace(rfilename=p.name, size=p.stat().st_size)
                 for p in sorted(self.repos[repo_id].iterdir())]
        return SimpleNamespace(id=repo_id, sha=self.commit(repo_id), siblings=files)

    def snapshot_download(self, repo_id: str, allow_patterns: list[str] | None,
                          cache_dir: str | None) -> str:
        source, commit = self.repos[repo_id], self.commit(repo_id)
        names = [p.name for p in sorted(source.iterdir())
                 if allow_patterns is None
                 or any(fnmatch.fnmatchcase(p.name, pattern) for pattern in allow_patterns)]
        self.calls.append(("download", repo_id, tuple(names)))
        storage = Path(cache_dir or constants.HF_HUB_CACHE) / \
            f"models--{repo_id.replace('/', '--')}"
        snapshot = storage / "snapshots" / commit
        snapshot.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(source / name, snapshot / name)
        (storage / "refs").mkdir(exist_ok=True)
        (storage / "refs" / "main").write_text(commit)
        return str(snapshot)

    @property
    def downloaded(self) -> list[str]:
        return [name for call in self.calls if call[0] == "download" for name in call[2]]
