"""Stage 4, report: merge the per-frame QC records into ``<qc>/qc.json`` (schema
``faceplate.qc/1``), add the checks that need neighbouring frames and the reviewer's decisions,
and write the review page ``<qc>/index.html`` with its images (``<qc>/review/``), the contact
sheet and the OpenTimelineIO timeline ``<qc>/review.otio``."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceplate import __version__
from faceplate.errors import PlateError, StageError
from faceplate.frames import format_frames
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.report.gallery import (
    close_look_frames,
    make_gallery,
    plate_aspect,
)
from faceplate.pipeline.report.page import PageView, frame_views, write_index
from faceplate.pipeline.report.plots import shot_plots
from faceplate.pipeline.report.sheet import contact_sheet
from faceplate.pipeline.report.shot_records import ShotRecords, shot_records
from faceplate.pipeline.report.timeline import write_review_timeline
from faceplate.pipeline.shot_models import model_ids
from faceplate.pipeline.stage_files.analysis import analysis_seconds
from faceplate.pipeline.stage_files.paths import frame_record_path, qc_json_path
from faceplate.pipeline.stage_files.records import (
    FAILED_STATUSES,
    add_flag,
    write_qc,
)
from faceplate.pipeline.stage_files.tracks import solve_seconds
from faceplate.plateio.frame import read_header
from faceplate.spec import ShotSpec
from faceplate.spec.overrides import (
    Override,
    decisions_by_frame,
    load_overrides,
    overrides_path,
)
from faceplate.written import remove_written

_WORST = 5
#: The flipbook's and the timeline's rate when the plate's header names none.
DEFAULT_RATE = 24.0


@dataclass(frozen=True)
class Report:
    """Where the report went, and its summary."""

    qc_json: Path
    index_html: Path
    summary: dict[str, Any]
    timeline: Path | None = None


def check_matte_jump(previous: dict[str, Any] | None, record: dict[str, Any],
                     limit: float) -> None:
    """Flag ``record`` when its matte area changes by more than ``limit`` of the frame
    before's (``previous``: the record before it, or None)."""
    if previous is not None and previous["frame"] == record["frame"] - 1:
        before, now = previous.get("matte_area", 0.0), record.get("matte_area", 0.0)
        if before > 0 and now > 0:
            change = abs(now - before) / before
            record["matte_change"] = round(change, 4)
            if change > limit:
                add_flag(record["flags"], record["reasons"], "matte_jump",
                         f"matte area changed {change:.3f} > {limit:g} "
                         f"of frame {previous['frame']}'s")


def check_matte_jumps(records: list[dict[str, Any]], limit: float) -> None:
    """Flag frames whose matte area changes by more than ``limit`` of the previous frame's."""
    previous: dict[str, Any] | None = None
    for record in records:
        check_matte_jump(previous, record, limit)
        previous = record


def decisions_of(record: dict[str, Any], by_frame: dict[int, list[Override]]) -> None:
    """Give ``record`` the reviewer decisions covering its frame (``by_frame``:
    :func:`decisions_by_frame`'s) (who, what, when) and whether its render has applied them
    (``applied``), still has to (``pending re-render``), or needs none (``recorded``, an
    approval)."""
    decisions = []
    for o in by_frame.get(record["frame"], []):
        entry = o.as_record()
        if not o.changes_render:
            entry["state"] = "recorded"
        elif any(o.describe() in text for text in record.get("overrides", [])):
            entry["state"] = "applied"
        else:
            entry["state"] = "pending re-render"
        decisions.append(entry)
    record["decisions"] = decisions


def _stage_seconds(spec: ShotSpec, records: list[dict[str, Any]]) -> dict[str, float]:
    """Each stage's seconds, the analysis' and the solve's from the heads of their files (not
    their meshes)."""
    seconds = {"render": round(sum(r.get("seconds", 0.0) for r in records), 3)}
    analysed = analysis_seconds(spec)
    if analysed is not None:
        seconds["analyse"] = analysed
    solved = solve_seconds(spec)
    if solved is not None:
        seconds["solve"] = solved
    return seconds


def _worst(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def badness(r: dict[str, Any]) -> tuple[int, float]:
        distance = max((f["identity_distance_to_source"] or 0.0 for f in r["faces"]),
                       default=0.0)
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
    distances = [f["identity_distance_to_source"] for r in records for f in r["faces"]
                 if f["identity_distance_to_source"] is not None]  # measured on a cadence
    decided = [r for r in records if r["decisions"]]
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
        "review": {
            "decided_frames": format_frames([r["frame"] for r in decided]),
            "approved_frames": format_frames([r["frame"] for r in decided if any(
                d["action"] == "approve" for d in r["decisions"])]),
            "pending_frames": format_frames([r["frame"] for r in decided if any(
                d["state"] == "pending re-render" for d in r["decisions"])]),
        },
    }


def _summary_rows(summary: dict[str, Any], spec: ShotSpec, display: str, ocio_uri: str,
                  rate: str) -> list[tuple[str, str]]:
    """The summary in words, for the page."""
    frames = spec.plate.frames
    flags = ", ".join(f"{n} × {c}" for n, c in sorted(summary["flags"].items())) or "none"
    identity = summary["identity_distance_to_source"]
    review = summary["review"]
    seconds = ", ".join(f"{k} {v:.1f} s" for k, v in summary["seconds"].items())
    return [
        ("frames", f"{format_frames(list(frames))} ({summary['frames']})"),
        ("rendered", f"{summary['rendered']}: {summary['swapped']} swapped, "
                     f"{summary['passthrough']} passed through"),
        ("not written", f"{summary['missing']} missing, {summary['unreadable']} unreadable, "
                        f"{summary['unwritten']} could not be written"),
        ("not rendered yet", summary["not_rendered"] or "none"),
        ("flagged", f"{summary['flagged']}: {summary['flagged_frames'] or 'none'}"),
        ("flags", flags),
        ("identity distance to source",
         f"mean {identity['mean']:.3f}, max {identity['max']:.3f} (below 0.6: the same person)"
         if identity else "no face swapped"),
        ("reviewer decisions", f"on {review['decided_frames'] or 'no frames'}; approved "
                               f"{review['approved_frames'] or 'none'}; waiting for a "
                               f"re-render {review['pending_frames'] or 'none'}"),
        ("time", seconds),
        ("models", ", ".join(summary["models"])),
        ("ran on", ", ".join(f"{m}: {p}" for m, p in summary["execution_provider"].items())
         or "–"),
        ("colour", f"{display}; OCIO config {ocio_uri}"),
        ("flipbook rate", rate),
    ]


def plate_rate(spec: ShotSpec) -> tuple[float, str]:
    """The shot's frame rate from the first readable plate frame's ``framesPerSecond`` (EXR's
    standard attribute; ``FramesPerSecond`` elsewhere), and where it came from."""
    for f in spec.plate.frames:
        try:
            header = read_header(spec.plate.path.frame(f), f).attributes
        except PlateError:
            continue
        value = header.get("framesPerSecond", header.get("FramesPerSecond"))
        if isinstance(value, (tuple, list)) and len(value) == 2 and value[1]:
            return float(value[0]) / float(value[1]), "from the plate's header"
        if isinstance(value, (int, float)) and value > 0:
            return float(value), "from the plate's header"
        break
    return DEFAULT_RATE, "assumed: the plate's header names no rate"


def report(spec: ShotSpec, ctx: RunContext, pre: Preflight) -> Report:
    """Merge the frame records of the whole shot into qc.json, the review page and
    review.otio.

    Raises:
        StageError: no frame of the shot has been rendered yet.
    """
    by_frame = decisions_by_frame(load_overrides(overrides_path(spec.spec_path),
                                                 spec.plate.frames))

    def finish(previous: dict[str, Any] | None, record: dict[str, Any]) -> None:
        check_matte_jump(previous, record, spec.qc.max_matte_change)
        decisions_of(record, by_frame)

    with shot_records(spec, finish) as shot:
        if not shot.slim:
            raise StageError("nothing rendered yet: no frame has a QC record; run `faceplate "
                             "render` (or `faceplate run`) first",
                             path=frame_record_path(spec, spec.plate.frames[0]).parent)
        return _write(spec, ctx, pre, shot)


def _write(spec: ShotSpec, ctx: RunContext, pre: Preflight, shot: ShotRecords) -> Report:
    """Write qc.json (the records whole, from the spool), the review images, the page and the
    timeline (from the slim records)."""
    records, missing = shot.slim, shot.missing
    summary = _summary(spec, records, missing)
    qc = spec.output.qc
    qc_json = qc_json_path(spec)
    # qc.json first: it is what a farm and a supervisor need, and the smallest to write when
    # the disk is nearly full.
    write_qc(spec, {
        "shot": spec.shot, "spec": str(spec.spec_path) if spec.spec_path else None,
        "faceplate_version": __version__, "ocio_config": ctx.colour.choice.uri,
        "models": summary["models"], "thresholds": asdict(spec.qc),
        "summary": summary, "frames": shot.whole()})
    # the review images, then the page and the timeline; the thumbnails of earlier versions
    # (listed in thumbs/'s manifest) are no longer made
    remove_written(qc / "thumbs")
    gallery = make_gallery(spec, records, ctx, pre)
    contact_sheet(qc, gallery, [(r["frame"], ", ".join(r["flags"])) for r in records
                                if r["flags"]] or
                  [(f, "sample") for f in close_look_frames(records)])
    rate, rate_source = plate_rate(spec)
    timeline = write_review_timeline(spec, records, rate, qc / "review.otio")
    display = f"{pre.display} / {pre.view}"
    samples = set(close_look_frames(records))
    view = PageView(
        spec.shot, __version__,
        _summary_rows(summary, spec, display, ctx.colour.choice.uri,
                      f"{rate:g} fps ({rate_source})"),
        frame_views(spec, records, gallery, samples), shot_plots(list(spec.plate.frames),
                                                                 records, spec.qc),
        display, rate, rate_source, gallery,
        str(spec.spec_path) if spec.spec_path else "SHOT.yaml", plate_aspect(spec))
    index = qc / "index.html"
    write_index(index, view, spec.output.cache / "templates")
    return Report(qc_json, index, summary, timeline)
