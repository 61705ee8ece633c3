"""Segment Anything settings as kept in a project manifest (beside the panoptic model's)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from panoptix.inference.sam.models import DEFAULT_SAM_ID
from panoptix.inference.settings import DEVICES, NOT_STORED, SettingsError

MANIFEST_KEY = "segment_anything"
"""The key of these settings in the manifest's ``settings``."""


@dataclass(frozen=True)
class SamSettings:
    model: str = DEFAULT_SAM_ID
    """A Hugging Face hub id or a local folder."""
    device: str = "auto"
    allow_pickle: bool = False
    """Accept pickle (``.bin``) weights, which can run code when loaded. Per session, never
    kept in nor read from a project (see ``InferenceSettings.allow_pickle``)."""
    keep_on_disk: bool = False
    """Also keep each image's embedding beside its raw outputs (about 8 MB per image), so
    reopening an image skips the image encoder."""

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise SettingsError("no Segment Anything model given")
        if self.device.split(":")[0] not in DEVICES:
            raise SettingsError(f"unknown device {self.device!r}; use one of {', '.join(DEVICES)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def stored(self) -> dict[str, Any]:
        """The settings as a project keeps them: everything but :attr:`allow_pickle`."""
        return {k: v for k, v in self.to_dict().items() if k not in NOT_STORED}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> SamSettings:
        """Settings from a project manifest; what it must not decide (pickles) is ignored."""
        return cls.from_dict({k: v for k, v in data.items() if k not in NOT_STORED})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SamSettings:
        """Settings from a manifest; unknown keys (a newer version's) are ignored."""
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise SettingsError(f"bad Segment Anything settings: {exc}") from exc
