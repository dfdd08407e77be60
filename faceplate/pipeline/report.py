"""Stage 4, report: merge the per-frame QC records into ``<qc>/qc.json`` (schema
``faceplate.qc/1``) and a static ``<qc>/index.html`` with a contact sheet."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from faceplate import __version__
from faceplate.context import RunContext
from faceplate.face.image8 import to_uint8
from faceplate.ocio.display import display_processor, to_display
from faceplate.pipeline.analyse import plate_colourspace
from faceplate.pipeline.jsonfile import read_json, write_json
from faceplate.pipeline.render import FRAME_SCHEMA, frame_record_path
from faceplate.pipeline.spec import ShotSpec
from faceplate.plateio.frame import read_frame
from faceplate.plateio.sequence import format_frames

SCHEMA = "faceplate.qc/1"
_THUMB_HEIGHT = 160
_SHEET_ROWS = 8


@dataclass(frozen=True)
class Report:
    """Where the report went, and its summary."""

    qc_json: Path
    index_html: Path
    summary: dict[str, Any]


def _summary(records: list[dict[str, Any]], missing_records: list[int], total: int) -> dict[str, Any]:
    status = Counter(r["status"] for r in records)
    flagged = [r["frame"] for r in records if r["flags"]]
    distances = [f["identity_distance_to_source"] for r in records for f in r["faces"]]
    return {
        "frames": total,
        "rendered": sum(status[s] for s in ("swapped", "passthrough")),
        "swapped": status["swapped"], "passthrough": status["passthrough"],
        "missing": status["missing"], "unreadable": status["unreadable"],
        "not_rendered": format_frames(missing_records),
        "flagged": len(flagged), "flagged_frames": format_frames(flagged),
        "flags": dict(Counter(flag for r in records for flag in r["flags"])),
        "identity_distance_to_source": (
            {"mean": round(float(np.mean(distances)), 4), "max": round(float(np.max(distances)), 4)}
            if distances else None),
    }


def _thumbnail(path: str | None, processor: ocio.CPUProcessor | None) -> np.ndarray:
    """A BGR 8-bit thumbnail of an image's first three channels (or its one channel),
    downscaled first, then shown through ``processor`` (None: shown as data)."""
    blank = np.full((_THUMB_HEIGHT, _THUMB_HEIGHT * 16 // 9, 3), 40, np.uint8)
    if not path:
        return blank
    buf = oiio.ImageBuf(path)
    pixels = buf.get_pixels(oiio.FLOAT)
    if pixels is None or buf.has_error:
        return blank
    pixels = np.nan_to_num(np.asarray(pixels, dtype=np.float32))
    rgb = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    scale = _THUMB_HEIGHT / rgb.shape[0]
    small = cv2.resize(np.ascontiguousarray(rgb), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA)
    shown = to_display(small, processor) if processor is not None else np.clip(small, 0, 1)
    return cv2.cvtColor(to_uint8(shown), cv2.COLOR_RGB2BGR)


def contact_sheet(spec: ShotSpec, records: list[dict[str, Any]], ctx: RunContext, path: Path) -> None:
    """Plate | result | matte thumbnails, flagged frames first, through the display view."""
    rendered = [r for r in records if r["output"]]
    if not rendered:
        return
    flagged = [r for r in rendered if r["flags"]]
    rest = [r for r in rendered if not r["flags"]]
    picks = flagged[:_SHEET_ROWS // 2]
    step = max(1, len(rest) // max(1, _SHEET_ROWS - len(picks)))
    picks = sorted(picks + rest[::step][:_SHEET_ROWS - len(picks)], key=lambda r: r["frame"])
    first = read_frame(spec.plate.path.frame(picks[0]["frame"]), picks[0]["frame"])
    processor = display_processor(ctx.colour, plate_colourspace(spec, first, ctx))
    rows = []
    for r in picks:
        cells = [_thumbnail(str(spec.plate.path.frame(r["frame"])), processor),
                 _thumbnail(r["output"], processor), _thumbnail(r["matte"], None)]
        width = max(c.shape[1] for c in cells)
        cells = [cv2.copyMakeBorder(c, 2, 2, 2, 2 + width - c.shape[1], cv2.BORDER_CONSTANT,
                                    value=(20, 20, 20)) for c in cells]
        row = np.hstack(cells)
        colour = (60, 60, 230) if r["flags"] else (230, 230, 230)
        cv2.putText(row, str(r["frame"]), (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2)
        rows.append(row)
    cv2.imwrite(str(path), np.vstack(rows))


def _html(spec: ShotSpec, summary: dict[str, Any], records: list[dict[str, Any]],
          sheet: bool) -> str:
    rows = []
    for r in records:
        distances = ", ".join(f"{f['identity_distance_to_source']:.3f}" for f in r["faces"])
        flags = "".join(f'<span class="flag" title="{html.escape(r["reasons"].get(f, ""))}">'
                        f"{html.escape(f)}</span>" for f in r["flags"])
        cls = ' class="flagged"' if r["flags"] else ""
        rows.append(f"<tr{cls}><td>{r['frame']}</td><td>{r['status']}</td>"
                    f"<td>{len(r['faces'])}</td><td>{distances}</td><td>{flags}</td></tr>")
    summary_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(json.dumps(v))}</td></tr>"
                           for k, v in summary.items())
    image = '<h2>Contact sheet (plate | result | matte)</h2><img src="contact_sheet.png">' \
        if sheet else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>faceplate QC: {html.escape(spec.shot)}</title>
<style>body{{font-family:sans-serif;background:#1d1d1d;color:#ddd;margin:2em}}
table{{border-collapse:collapse}}td,th{{padding:2px 10px;border-bottom:1px solid #333;text-align:left}}
tr.flagged{{background:#4a2a2a}}.flag{{background:#a33;color:#fff;padding:0 6px;margin-right:4px;border-radius:3px}}
img{{max-width:100%}}</style></head><body>
<h1>faceplate QC: {html.escape(spec.shot)}</h1>
<p>AI-assisted face replacement by faceplate {__version__}. Flagged frames need review.</p>
<table>{summary_rows}</table>{image}
<h2>Frames</h2><table id="frames"><tr><th>frame</th><th>status</th><th>faces</th>
<th>identity distance to source</th><th>flags</th></tr>{''.join(rows)}</table>
</body></html>
"""


def report(spec: ShotSpec, ctx: RunContext) -> Report:
    """Merge the frame records of the whole shot into qc.json and index.html."""
    records, missing = [], []
    for f in spec.plate.frames:
        body = read_json(frame_record_path(spec, f), FRAME_SCHEMA)
        if body is None:
            missing.append(f)
        else:
            body.pop("schema")
            records.append(body)
    summary = _summary(records, missing, len(spec.plate.frames))
    qc = spec.output.qc
    qc.mkdir(parents=True, exist_ok=True)
    sheet = qc / "contact_sheet.png"
    contact_sheet(spec, records, ctx, sheet)
    qc_json = qc / "qc.json"
    write_json(qc_json, SCHEMA, {
        "shot": spec.shot, "spec": str(spec.spec_path) if spec.spec_path else None,
        "faceplate_version": __version__, "ocio_config": ctx.colour.choice.uri,
        "models": [m.id for m in ctx.models.models] + [ctx.swapper.id],
        "summary": summary, "frames": records})
    index = qc / "index.html"
    index.write_text(_html(spec, summary, records, sheet.exists()), encoding="utf-8")
    return Report(qc_json, index, summary)
