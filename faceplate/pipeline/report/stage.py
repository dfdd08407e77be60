"""Stage 4, report: merge the per-frame QC records into ``<qc>/qc.json`` (schema
``faceplate.qc/1``), add the checks that need neighbouring frames, and write the static
review page ``<qc>/index.html`` with its thumbnails."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceplate import __version__
from faceplate.frames import format_frames
from faceplate.ocio.display import display_processor
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.report.html import render_page
from faceplate.pipeline.report.thumbnails import contact_sheet, write_frame_thumbnails
from faceplate.pipeline.shot_models import model_ids
from faceplate.pipeline.stage_files.analysis import read_analysis_body
from faceplate.pipeline.stage_files.paths import qc_json_path
from faceplate.pipeline.stage_files.records import (
    FAILED_STATUSES,
    add_flag,
    read_record,
    write_qc,
)
from faceplate.pipeline.stage_files.tracks import read_tracks_body
from faceplate.spec import ShotSpec
from faceplate.written import remove_written, write_bytes

_MAX_SHEET = 48
_SAMPLES = 6
_WORST = 5


@dataclass(frozen=True)
class Report:
    """Where the report went, and its summary."""

    qc_json: Path
    index_html: Path
    summary: dict[str, Any]


def check_matte_jumps(records: list[dict[str, Any]], limit: float) -> None:
    """Flag frames whose matte area changes by more than ``limit`` of the previous frame's."""
    previous: dict[str, Any] | None = None
    for record in records:
        if previous is not None and previous["frame"] == record["frame"] - 1:
            before, now = previous.get("matte_area", 0.0), record.get("matte_area", 0.0)
            if before > 0 and now > 0:
                change = abs(now - before) / before
                record["matte_change"] = round(change, 4)
                if change > limit:
                    add_flag(record["flags"], record["reasons"], "matte_jump",
                             f"matte area changed {change:.3f} > {limit:g} "
                             f"of frame {previous['frame']}'s")
        previous = record


def _stage_seconds(spec: ShotSpec, records: list[dict[str, Any]]) -> dict[str, float]:
    seconds = {"render": round(sum(r.get("seconds", 0.0) for r in records), 3)}
    analysis = read_analysis_body(spec)
    if analysis is not None:
        seconds["analyse"] = round(sum(f.get("seconds", 0.0) for f in analysis["frames"]), 3)
    tracks = read_tracks_body(spec)
    if tracks is not None:
        seconds["solve"] = tracks.get("seconds", 0.0)
    return seconds


def _worst(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def badness(r: dict[str, Any]) -> tuple[int, float]:
        distance = max((f["identity_distance_to_source"] for f in r["faces"]), default=0.0)
        return len(r["flags"]), distance
    flagged = sorted((r for r in records if r["flags"]), key=badness, reverse=True)
    return [{"frame": r["frame"], "flags": r["flags"]} for r in flagged[:_WORST]]


def _providers(records: list[dict[str, Any]]) -> dict[str, str]:
    """Model id → the execution provider(s) the render tasks actually used."""
    seen: dict[str, set[str]] = {}
    for r in records:
        for model, provider in (r.get("providers") or {}).items():
            seen.setdefault(model, set()).add(provider)
    return {model: ", ".join(sorted(p)) for model, p in sorted(seen.items())}


def _summary(spec: ShotSpec, records: list[dict[str, Any]],
             missing: list[int]) -> dict[str, Any]:
    status = Counter(r["status"] for r in records)
    flagged = [r["frame"] for r in records if r["flags"]]
    distances = [f["identity_distance_to_source"] for r in records for f in r["faces"]]
    return {
        "frames": len(spec.plate.frames),
        "rendered": status["swapped"] + status["passthrough"],
        "swapped": status["swapped"], "passthrough": status["passthrough"],
        "missing": status["missing"], "unreadable": status["unreadable"],
        "unwritten": status["unwritten"],
        "not_rendered": format_frames(missing),
        "failed_frames": format_frames([r["frame"] for r in records
                                        if r["status"] in FAILED_STATUSES]),
        "flagged": len(flagged), "flagged_frames": format_frames(flagged),
        "flags": dict(Counter(flag for r in records for flag in r["flags"])),
        "worst_frames": _worst(records),
        "identity_distance_to_source": (
            {"mean": round(float(np.mean(distances)), 4), "max": round(float(np.max(distances)), 4)}
            if distances else None),
        "seconds": _stage_seconds(spec, records),
        "models": model_ids(spec.models),
        "execution_provider": _providers(records),
    }


def _sheet_frames(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flagged frames that were written, then a few evenly spaced samples of the rest."""
    written = [r for r in records if r["output"]]
    flagged = [r for r in written if r["flags"]][:_MAX_SHEET]
    rest = [r for r in written if not r["flags"]]
    step = max(1, len(rest) // _SAMPLES)
    return sorted(flagged + rest[::step][:_SAMPLES], key=lambda r: r["frame"])


def _thumbnails(spec: ShotSpec, records: list[dict[str, Any]], ctx: RunContext,
                pre: Preflight, qc: Path) -> tuple[dict[int, dict[str, str]], str]:
    picks = _sheet_frames(records)
    folder = qc / "thumbs"
    remove_written(folder)  # the last report's thumbnails; nothing else there
    if not picks:
        return {}, ""
    display, view = pre.display, pre.view
    processor = display_processor(ctx.colour, pre.plate_space(), display, view)
    thumbs = {r["frame"]: write_frame_thumbnails(folder, r["frame"],
                                                 spec.plate.path.frame(r["frame"]),
                                                 r["output"], r["matte"], processor)
              for r in picks}
    contact_sheet(folder, [(r["frame"], thumbs[r["frame"]], bool(r["flags"])) for r in picks],
                  qc / "contact_sheet.png")
    return thumbs, f"{display} / {view}"


def load_records(spec: ShotSpec) -> tuple[list[dict[str, Any]], list[int]]:
    """The frame records of the shot, and the frames that have none yet."""
    records, missing = [], []
    for f in spec.plate.frames:
        body = read_record(spec, f)
        if body is None:
            missing.append(f)
        else:
            body.pop("schema")
            records.append(body)
    return records, missing


def report(spec: ShotSpec, ctx: RunContext, pre: Preflight) -> Report:
    """Merge the frame records of the whole shot into qc.json and index.html."""
    records, missing = load_records(spec)
    check_matte_jumps(records, spec.qc.max_matte_change)
    summary = _summary(spec, records, missing)
    qc = spec.output.qc
    qc_json = qc_json_path(spec)
    # qc.json first: it is what a farm and a supervisor need, and the smallest to write when
    # the disk is nearly full.
    write_qc(spec, {
        "shot": spec.shot, "spec": str(spec.spec_path) if spec.spec_path else None,
        "faceplate_version": __version__, "ocio_config": ctx.colour.choice.uri,
        "models": summary["models"], "thresholds": asdict(spec.qc),
        "summary": summary, "frames": records})
    thumbs, display = _thumbnails(spec, records, ctx, pre, qc)
    index = qc / "index.html"
    page = render_page(spec.shot, summary, records, thumbs, asdict(spec.qc), display)
    write_bytes(index, page.encode("utf-8"), record=True)
    return Report(qc_json, index, summary)
