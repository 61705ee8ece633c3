"""Model settings as stored in a project manifest: which model, where, and how to threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from panoptix.inference.model_advice import advised_switches
from panoptix.inference.raw_outputs import TASKS
from panoptix.inference.registry import DEFAULT_MODEL_ID, default_task

DEVICES = ("auto", "cuda", "mps", "cpu")
NOT_STORED = frozenset({"allow_pickle"})
"""Settings that hold for one run only, never written to (or read from) a project."""


class SettingsError(ValueError):
    """A setting out of its range."""


@dataclass(frozen=True)
class InferenceSettings:
    model: str = DEFAULT_MODEL_ID
    """A Hugging Face hub id or a local folder."""
    device: str = "auto"
    """``auto`` (CUDA, then MPS, then CPU), ``cpu``, ``mps``, ``cuda`` or ``cuda:N``."""
    task: str | None = None
    """None: the checkpoint's own task (panoptic when unknown)."""
    threshold: float = 0.8
    mask_threshold: float = 0.5
    overlap_threshold: float = 0.8
    snap_edges: bool | None = None
    """Move segment boundaries onto the image's edges after thresholding
    (:mod:`panoptix.inference.edges`). None: as the model advises
    (:mod:`panoptix.inference.model_advice`), else off: it helps a model with coarse masks
    (the demo model advises it) and costs time on near-exact ones (README)."""
    split_parts: bool | None = None
    """Make each large detached part of an object segment an object of its own
    (:mod:`panoptix.inference.parts`); None: as the model advises, else off."""
    shortest_edge: int | None = None
    """None: the checkpoint's processor setting."""
    half: bool = False
    """float16 weights on CUDA."""
    allow_pickle: bool = False
    """Accept pickle (``.bin``) weights, which can run code when loaded. Given per run
    (``--allow-pickle``, the model settings dialog for the window's session), never kept
    in nor read from a project: a project file may come from someone else."""

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise SettingsError("no model given")
        if self.device.split(":")[0] not in DEVICES:
            raise SettingsError(f"unknown device {self.device!r}; use one of {', '.join(DEVICES)}")
        if self.task is not None and self.task not in TASKS:
            raise SettingsError(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}")
        for name in ("threshold", "mask_threshold", "overlap_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SettingsError(f"{name.replace('_', ' ')} {value} is not between 0 and 1")
        for name in ("snap_edges", "split_parts"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name.replace('_', ' ')} must be true, false or unset, "
                                    f"not {getattr(self, name)!r}")
        if self.shortest_edge is not None and self.shortest_edge < 32:
            raise SettingsError(f"shortest edge {self.shortest_edge} is below 32 pixels")

    @property
    def resolved_task(self) -> str:
        return self.task or default_task(self.model)

    @property
    def resolved_snap_edges(self) -> bool:
        """:attr:`snap_edges`, or what the model advises when it is unset."""
        return self._resolved_switch("snap_edges")

    @property
    def resolved_split_parts(self) -> bool:
        """:attr:`split_parts`, or what the model advises when it is unset."""
        return self._resolved_switch("split_parts")

    def follows_model(self, switch: str) -> bool:
        """Whether ``switch`` is unset, so follows the model's advice."""
        return getattr(self, switch) is None

    def _resolved_switch(self, name: str) -> bool:
        value = getattr(self, name)
        return advised_switches(self.model).get(name, False) if value is None else value

    def with_changes(self, **changes: Any) -> InferenceSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def stored(self) -> dict[str, Any]:
        """The settings as a project keeps them: everything but :attr:`allow_pickle`."""
        return {k: v for k, v in self.to_dict().items() if k not in NOT_STORED}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> InferenceSettings:
        """Settings from a project manifest; what it must not decide (pickles) is ignored."""
        return cls.from_dict({k: v for k, v in data.items() if k not in NOT_STORED})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InferenceSettings:
        """Settings from a manifest; unknown keys (a newer version's) are ignored."""
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise SettingsError(f"bad inference settings: {exc}") from exc
