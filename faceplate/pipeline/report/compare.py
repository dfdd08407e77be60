"""A/B comparison of two versions of a shot (two QC folders) for a supervisor's choice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faceplate.errors import StageError
from faceplate.ocio.display import display_processor
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.report.images import proxy, read_display, write_image
from faceplate.pipeline.report.page import render_compare
from faceplate.pipeline.stage_files.records import read_qc
from faceplate.spec import ShotSpec
from faceplate.written import write_bytes

#: Frames shown at most; the page says how many it leaves out.
MAX_FRAMES = 200
THUMB_WIDTH = 360


def _load(version: Path, spec: ShotSpec) -> tuple[str, dict[int, dict[str, Any]]]:
    path = version / "qc.json" if version.is_dir() else version
    body = read_qc(path, spec)
    if body is None:
        raise StageError("no qc.json for this version", path=path)
    name = path.parent.name if path.parent.name != "qc" else path.parent.parent.name
    return name, {r["frame"]: r for r in body["frames"]}


def _cell(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"status": record["status"],
            "identity": ", ".join("–" if (d := f["identity_distance_to_source"]) is None
                                  else f"{d:.3f}" for f in record["faces"]),
            "flags": [(n, record["reasons"].get(n, "")) for n in record["flags"]]}


def compare_versions(spec: ShotSpec, ctx: RunContext, pre: Preflight, a: Path, b: Path) -> Path:
    """Write ``<qc>/compare_<A>_<B>/index.html``: per frame flagged in either version (or a
    sample if none), the plate and both results side by side with their QC."""
    (name_a, frames_a), (name_b, frames_b) = _load(a, spec), _load(b, spec)
    if name_a == name_b:
        name_a, name_b = f"{name_a}-A", f"{name_b}-B"
    frames = sorted(set(frames_a) | set(frames_b))
    flagged = [f for f in frames if (frames_a.get(f) or {}).get("flags")
               or (frames_b.get(f) or {}).get("flags")]
    chosen = flagged or frames[::max(1, len(frames) // 8)]
    picks = chosen[:MAX_FRAMES]
    folder = spec.output.qc / f"compare_{name_a}_{name_b}"
    folder.mkdir(parents=True, exist_ok=True)
    processor = (display_processor(ctx.colour, pre.plate_space(), pre.display, pre.view)
                 if picks else None)
    rows = []
    for f in picks:
        images = {}
        for label, path in (("plate", spec.plate.path.frame(f)),
                            ("a", (frames_a.get(f) or {}).get("output")),
                            ("b", (frames_b.get(f) or {}).get("output"))):
            image = read_display(path, f, pre.frame_limits)
            if image is None:
                continue
            name = f"{f}_{label}.jpg"
            write_image(folder / name, proxy(image, processor, THUMB_WIDTH))
            images[label] = name
        rows.append({"frame": f, "images": images, "a": _cell(frames_a.get(f)),
                     "b": _cell(frames_b.get(f))})
    page = folder / "index.html"
    text = render_compare(shot=spec.shot, name_a=name_a, name_b=name_b, rows=rows,
                          shown=len(picks), of=len(chosen),
                          kind="flagged in either version" if flagged else "samples",
                          versions={"a": str(a), "b": str(b)})
    write_bytes(page, text.encode("utf-8"), record=True)
    return page
