"""A/B comparison of two versions of a shot (two QC folders) for a supervisor's choice."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import cv2

from faceplate.errors import StageError
from faceplate.ocio.display import display_processor
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.report.thumbnails import thumbnail
from faceplate.pipeline.stage_files.records import read_qc
from faceplate.spec import ShotSpec

_MAX_FRAMES = 48


def _load(version: Path, spec: ShotSpec) -> tuple[str, dict[int, dict[str, Any]]]:
    path = version / "qc.json" if version.is_dir() else version
    body = read_qc(path, spec)
    if body is None:
        raise StageError("no qc.json for this version", path=path)
    name = path.parent.name if path.parent.name != "qc" else path.parent.parent.name
    return name, {r["frame"]: r for r in body["frames"]}


def _cells(record: dict[str, Any] | None) -> str:
    if record is None:
        return "<td>not rendered</td>"
    distances = ", ".join(f"{f['identity_distance_to_source']:.3f}" for f in record["faces"])
    flags = ", ".join(record["flags"]) or "ok"
    return (f"<td>{html.escape(record['status'])}<br>identity {distances}<br>"
            f"{html.escape(flags)}</td>")


def compare_versions(spec: ShotSpec, ctx: RunContext, pre: Preflight, a: Path, b: Path) -> Path:
    """Write ``<qc>/compare_<A>_<B>/index.html``: per frame flagged in either version (or a
    sample if none), the plate and both results side by side with their QC."""
    (name_a, frames_a), (name_b, frames_b) = _load(a, spec), _load(b, spec)
    if name_a == name_b:
        name_a, name_b = f"{name_a}-A", f"{name_b}-B"
    frames = sorted(set(frames_a) | set(frames_b))
    flagged = [f for f in frames if (frames_a.get(f) or {}).get("flags")
               or (frames_b.get(f) or {}).get("flags")]
    picks = (flagged or frames[::max(1, len(frames) // 8)])[:_MAX_FRAMES]
    folder = spec.output.qc / f"compare_{name_a}_{name_b}"
    folder.mkdir(parents=True, exist_ok=True)
    processor = (display_processor(ctx.colour, pre.plate_space(), pre.display, pre.view)
                 if picks else None)
    rows = []
    for f in picks:
        cells = []
        for label, path in (("plate", spec.plate.path.frame(f)),
                            (name_a, (frames_a.get(f) or {}).get("output")),
                            (name_b, (frames_b.get(f) or {}).get("output"))):
            image = thumbnail(path, processor)
            if image is None:
                cells.append("<td>-</td>")
                continue
            name = f"{f}_{label}.png"
            cv2.imwrite(str(folder / name), image)
            cells.append(f'<td><img src="{html.escape(name)}" alt="{f} {html.escape(label)}"></td>')
        rows.append(f'<tr id="frame-{f}"><th>{f}</th>{"".join(cells)}'
                    f"{_cells(frames_a.get(f))}{_cells(frames_b.get(f))}</tr>")
    page = folder / "index.html"
    title = (f"faceplate A/B: {html.escape(spec.shot)} {html.escape(name_a)} vs "
             f"{html.escape(name_b)}")
    page.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<style>body{{font-family:sans-serif;background:#1d1d1d;color:#ddd}}td,th{{padding:4px;
vertical-align:top}}img{{height:140px}}</style></head><body>
<h1>{html.escape(spec.shot)}: {html.escape(name_a)} vs {html.escape(name_b)}</h1>
<table><tr><th>frame</th><th>plate</th><th>{html.escape(name_a)}</th><th>{html.escape(name_b)}</th>
<th>{html.escape(name_a)} QC</th><th>{html.escape(name_b)} QC</th></tr>{"".join(rows)}</table>
<script type="application/json" id="versions">{json.dumps({"a": str(a), "b": str(b)})}</script>
</body></html>
""", encoding="utf-8")
    return page
