"""The review as an OpenTimelineIO timeline (``<qc>/review.otio``) for OpenRV/RV and any OTIO
host, and the decisions a reviewer marked on it, read back.

The timeline holds two video tracks over the shot's range, ``plate`` and ``result`` on top,
each one clip of an image sequence (``ImageSequenceReference``: folder, name, padding, first
frame, rate), and on the result clip a red marker on every flagged frame (name: its flags;
comment: their reasons, and the decisions already made there).

A reviewer's marker is a decision when its name is one of (case does not matter)::

    skip            pass the frames through unswapped
    hold N          use frame N's alignment
    set k=v [k=v]   change swap parameters (identity_amount, feather, erode, blend_softness)
    approve         approve the frames as rendered

It covers the frames of its marked range (one frame when the range is shorter). On a clip the
range is in the clip's media time, which is the frame number; on a track or on the timeline's
stack it is the time from the shot's first frame (OTIO's own convention). Other markers, and
faceplate's own flag markers, are listed and left out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

from faceplate import __version__
from faceplate.errors import SpecError, StageError
from faceplate.frames import SequencePath, format_frames
from faceplate.spec import ShotSpec
from faceplate.spec.overrides import Action
from faceplate.written import write_bytes

SCHEMA = "faceplate.review-otio/1"
_R = otio.opentime.RationalTime
_TR = otio.opentime.TimeRange


def _sequence(path: SequencePath, first: int, count: int, rate: float,
              policy: Any) -> otio.schema.ImageSequenceReference:
    folder, prefix, padding, suffix = path.parts()
    return otio.schema.ImageSequenceReference(
        target_url_base=folder.absolute().as_uri() + "/", name_prefix=prefix,
        name_suffix=suffix, start_frame=first, frame_step=1, rate=rate,
        frame_zero_padding=padding, missing_frame_policy=policy,
        available_range=_TR(_R(first, rate), _R(count, rate)))


def _clip(name: str, path: SequencePath, first: int, count: int, rate: float,
          policy: Any) -> otio.schema.Clip:
    return otio.schema.Clip(name=name, media_reference=_sequence(path, first, count, rate, policy),
                            source_range=_TR(_R(first, rate), _R(count, rate)))


def write_review_timeline(spec: ShotSpec, records: list[dict[str, Any]], rate: float,
                          path: Path) -> Path:
    """Write ``review.otio``: plate and result tracks over the shot's range and a marker on
    every flagged frame."""
    frames = spec.plate.frames
    first, count = frames[0], frames[-1] - frames[0] + 1
    policy = otio.schema.ImageSequenceReference.MissingFramePolicy
    timeline = otio.schema.Timeline(name=f"{spec.shot} faceplate review",
                                    global_start_time=_R(first, rate))
    timeline.metadata["faceplate"] = {
        "schema": SCHEMA, "shot": spec.shot, "version": __version__,
        "spec": str(spec.spec_path) if spec.spec_path else None,
        "frames": format_frames(list(frames)), "rate": rate}
    plate = _clip(f"{spec.shot} plate", spec.plate.path, first, count, rate, policy.error)
    # a frame not written (missing plate frame, not rendered yet) shows black on the result
    result = _clip(f"{spec.shot} result", spec.output.path, first, count, rate, policy.black)
    for record in records:
        if not record["flags"]:
            continue
        reasons = [f"{n}: {record['reasons'].get(n, '')}" for n in record["flags"]]
        decided = [f"decided: {d['what']}, by {d['by'] or 'an unrecorded reviewer'}"
                   + (f" at {d['at']}" if d.get("at") else "")
                   for d in record.get("decisions", [])]
        marker = otio.schema.Marker(name=", ".join(record["flags"]),
                                    marked_range=_TR(_R(record["frame"], rate), _R(1, rate)),
                                    color=otio.schema.MarkerColor.RED,
                                    comment="; ".join(reasons + decided))
        marker.metadata["faceplate"] = {"kind": "flag", "frame": record["frame"],
                                        "flags": list(record["flags"])}
        result.markers.append(marker)
    for name, clip in (("plate", plate), ("result", result)):
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Video)
        track.append(clip)
        timeline.tracks.append(track)
    text = otio.adapters.write_to_string(timeline, adapter_name="otio_json")
    write_bytes(path, text.encode("utf-8"), record=True)
    return path


@dataclass(frozen=True)
class MarkedDecision:
    """A decision read from a marker."""

    frames: tuple[int, ...]
    action: Action
    hold: int | None = None
    assignments: tuple[str, ...] = ()
    marker: str = ""  # the marker, named and placed, for errors


@dataclass
class TimelineDecisions:
    """The decisions of a timeline, the spec it names, and the markers left out (why)."""

    spec: Path | None
    decisions: list[MarkedDecision] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def parse_marker_name(name: str, frames: tuple[int, ...], where: str) -> MarkedDecision | None:
    """The decision a marker's name states (None: the name is not a decision).

    Raises:
        SpecError: a decision word with a bad argument, naming the marker.
    """
    words = name.replace(",", " ").split()
    if not words or words[0].lower() not in ("skip", "hold", "set", "approve"):
        return None
    word, rest = words[0].lower(), words[1:]
    key = f"marker {name!r} {where}"
    if word in ("skip", "approve"):
        if rest:
            raise SpecError(f"'{word}' takes nothing after it", key=key)
        return MarkedDecision(frames, "skip" if word == "skip" else "approve", marker=key)
    if word == "hold":
        if len(rest) != 1 or not re.fullmatch(r"-?[0-9]+", rest[0]):
            raise SpecError("expected 'hold N' with N a frame number", key=key)
        return MarkedDecision(frames, "hold", hold=int(rest[0]), marker=key)
    if not rest:
        raise SpecError("expected 'set key=value [key=value ...]'", key=key)
    return MarkedDecision(frames, "set", assignments=tuple(rest), marker=key)


def _frames(marker: otio.schema.Marker, offset: int, rate: float | None) -> tuple[int, ...]:
    span = marker.marked_range
    rate = rate or span.start_time.rate
    start = span.start_time.rescaled_to(rate).value
    length = span.duration.rescaled_to(rate).value
    first = offset + math.floor(start + 1e-6)
    return tuple(range(first, first + max(1, round(length))))


def read_decisions(path: Path) -> TimelineDecisions:
    """The decisions marked on a timeline (see the module's documentation).

    Raises:
        StageError: the file is not an OTIO timeline OpenTimelineIO reads.
        SpecError: a marker names a decision badly (nothing is imported).
    """
    try:
        timeline = otio.adapters.read_from_file(str(path))
    except Exception as exc:  # OTIO raises its own and plain exceptions alike
        raise StageError(f"not a timeline OpenTimelineIO reads: {exc}", path=path) from None
    if not isinstance(timeline, otio.schema.Timeline):
        raise StageError("expected an OTIO timeline", path=path)
    meta = dict(timeline.metadata.get("faceplate") or {})
    spec = Path(meta["spec"]) if meta.get("spec") else None
    found = TimelineDecisions(spec)
    first = _first_frame(timeline)
    rate = float(meta["rate"]) if meta.get("rate") else None
    holders: list[tuple[Any, int, str]] = [(timeline.tracks, first, "on the timeline")]
    for track in timeline.tracks:
        holders.append((track, first, f"on track {track.name!r}"))
        holders.extend((clip, 0, f"on clip {clip.name!r}") for clip in track
                       if isinstance(clip, otio.schema.Clip))
    for holder, offset, where in holders:
        for marker in holder.markers:
            frames = _frames(marker, offset, rate)
            at = f"{where} at {format_frames(list(frames))}"
            if (marker.metadata.get("faceplate") or {}).get("kind") == "flag":
                continue
            decision = parse_marker_name(marker.name, frames, at)
            if decision is None:
                found.ignored.append(f"marker {marker.name!r} {at}")
            else:
                found.decisions.append(decision)
    return found


def _first_frame(timeline: otio.schema.Timeline) -> int:
    """The shot's first frame: the timeline's global start time (the export sets it)."""
    start = timeline.global_start_time
    return round(start.value) if start is not None else 0
