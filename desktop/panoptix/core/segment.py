"""One segment's attributes; its pixels live in the document's id map."""

from __future__ import annotations

from dataclasses import dataclass

SOURCES = ("manual", "model", "import")
MAX_SEGMENT_ID = 2**24 - 1
"""COCO panoptic stores ids as 24-bit RGB."""


@dataclass(frozen=True)
class Segment:
    category_id: int
    iscrowd: bool = False
    score: float | None = None
    source: str = "manual"
    locked: bool = False
    """Edits leave the segment's pixels and attributes alone (see ``core.locks``)."""

    def to_json(self) -> dict:
        return {"category_id": self.category_id, "iscrowd": int(self.iscrowd),
                "score": self.score, "source": self.source, "locked": self.locked}

    @classmethod
    def from_json(cls, data: dict) -> Segment:
        score = data.get("score")
        return cls(int(data["category_id"]), bool(int(data.get("iscrowd", 0))),
                   None if score is None else float(score), str(data.get("source", "manual")),
                   bool(data.get("locked", False)))
