"""Progress reports: what a stage has done, sent to a callback the caller gives (a host's progress
bar, the command line's bars). Light to import: a host may import it at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One progress report: ``stage`` has done ``done`` of ``total`` units (frames)."""

    stage: str
    done: int
    total: int
    frame: int | None = None


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """The callback of a caller that wants no reports."""
    return None
