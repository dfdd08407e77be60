"""What a render returns: each frame's outcome (a few fields a frame, however long the shot),
its full QC record read back from the record file when asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faceplate.pipeline.stage_files.records import (
    FAILED_STATUSES,
    FrameRecord,
    RenderStatus,
    read_record,
)
from faceplate.spec import ShotSpec

#: What a render's stop and disk-full messages end with, before the frames it did not render.
NOT_RENDERED = "; frames not rendered: "


@dataclass(frozen=True)
class FrameOutcome:
    """What rendering did to one frame: its status and the outputs it wrote."""

    frame: int
    status: RenderStatus
    output: str | None = None
    matte: str | None = None

    @classmethod
    def of(cls, record: FrameRecord | dict[str, Any]) -> FrameOutcome:
        """The outcome a frame record (or a stored record's body) states."""
        if isinstance(record, FrameRecord):
            return cls(record.frame, record.status, record.output, record.matte)
        return cls(int(record["frame"]), record["status"], record.get("output"),
                   record.get("matte"))


@dataclass
class RenderResult:
    """Frames written and frames that could not be: each frame's outcome, in render order.

    ``reused`` lists the frames whose outputs were already complete and current (not rendered
    again). The full records stay in their files (``<qc>/frames/<frame>.json``): a whole
    shot's records are not held in memory; :attr:`records` reads them back."""

    outcomes: list[FrameOutcome]
    reused: list[int] = field(default_factory=list)
    spec: ShotSpec | None = None

    @property
    def failed(self) -> list[int]:
        return [o.frame for o in self.outcomes if o.status in FAILED_STATUSES]

    @property
    def records(self) -> list[FrameRecord]:
        """Every frame's QC record, read back from its file (each call reads them all)."""
        if self.spec is None:
            return []
        spec = self.spec
        return [FrameRecord.from_dict(body) for o in self.outcomes
                if (body := read_record(spec, o.frame)) is not None]
