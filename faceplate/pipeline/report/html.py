"""The static QC page: summary, per-track plots (inline SVG), flagged-frame contact sheet,
and the per-frame table. Self-contained: it needs no server and no network."""

from __future__ import annotations

import html
import json
from typing import Any

from faceplate import __version__

_PLOT_W, _PLOT_H, _PAD = 560, 140, 34

_STYLE = """body{font-family:sans-serif;background:#1d1d1d;color:#ddd;margin:2em}
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #333;text-align:left}
tr.flagged{background:#4a2a2a}.flag{background:#a33;color:#fff;padding:0 6px;margin-right:4px;
border-radius:3px}.sheet{display:flex;flex-wrap:wrap;gap:12px}.cell{background:#2a2a2a;padding:6px}
.cell img{height:120px;margin-right:3px}svg{background:#262626;margin:4px}
.plots{display:flex;flex-wrap:wrap}a{color:#8cf}"""

_LOADED_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('.sheet img');
  var ok = Array.prototype.filter.call(imgs, function (i) { return i.naturalWidth > 0; });
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-images-loaded', ok.length);
});
</script>"""


def svg_plot(title: str, points: list[tuple[int, float]], threshold: float | None = None) -> str:
    """A small line plot of (frame, value) with an optional dashed threshold line."""
    if not points:
        return ""
    frames = [f for f, _ in points]
    values = [v for _, v in points] + ([threshold] if threshold is not None else [])
    f0, f1 = min(frames), max(frames)
    v0, v1 = min(values), max(values)
    if v1 - v0 < 1e-9:
        v0, v1 = v0 - 0.5, v1 + 0.5

    def xy(f: float, v: float) -> str:
        x = _PAD + (f - f0) / max(f1 - f0, 1) * (_PLOT_W - 2 * _PAD)
        y = _PLOT_H - _PAD / 2 - (v - v0) / (v1 - v0) * (_PLOT_H - _PAD)
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(f, v) for f, v in points)
    parts = [f'<svg width="{_PLOT_W}" height="{_PLOT_H}" role="img" '
             f'aria-label="{html.escape(title)}">',
             f'<text x="{_PAD}" y="14" fill="#ccc" font-size="12">{html.escape(title)}</text>',
             f'<text x="2" y="{_PLOT_H - _PAD / 2}" fill="#888" font-size="10">{v0:.3g}</text>',
             f'<text x="2" y="{_PAD}" fill="#888" font-size="10">{v1:.3g}</text>',
             f'<text x="{_PAD}" y="{_PLOT_H - 2}" fill="#888" font-size="10">{f0}</text>',
             f'<text x="{_PLOT_W - _PAD - 24}" y="{_PLOT_H - 2}" fill="#888" '
             f'font-size="10">{f1}</text>']
    if threshold is not None:
        a, b = xy(f0, threshold).split(","), xy(f1, threshold).split(",")
        parts.append(f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="#c55" '
                     'stroke-dasharray="4 3"/>')
    parts.append(f'<polyline fill="none" stroke="#6cf" stroke-width="1.5" points="{line}"/>')
    return "".join(parts) + "</svg>"


def track_plots(records: list[dict[str, Any]], qc: dict[str, float]) -> str:
    """Identity distance, jitter and matte area over frame number, one row per track."""
    tracks: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for r in records:
        for face in r["faces"]:
            tracks.setdefault(face["track"], []).append((r["frame"], face))
    rows = []
    for track, faces in sorted(tracks.items()):
        source = faces[0][1]["source"]
        rows.append(f"<h3>Track {track} → {html.escape(source)}</h3><div class=\"plots\">")
        rows.append(svg_plot("identity distance to source",
                             [(f, x["identity_distance_to_source"]) for f, x in faces],
                             qc["max_identity_distance"]))
        rows.append(svg_plot("landmark jitter (× face size)",
                             [(f, x.get("jitter", 0.0)) for f, x in faces], qc["max_jitter"]))
        rows.append(svg_plot("matte area (pixels)",
                             [(f, x.get("matte_area", 0.0)) for f, x in faces]))
        rows.append("</div>")
    return "".join(rows)


def _sheet(thumbs: dict[int, dict[str, str]], records: dict[int, dict[str, Any]]) -> str:
    cells = []
    for frame, names in thumbs.items():
        flags = ", ".join(records[frame]["flags"]) or "ok"
        images = "".join(f'<img src="thumbs/{html.escape(names[k])}" alt="{frame} {k}">'
                         for k in ("plate", "result", "matte") if k in names)
        cells.append(f'<div class="cell" id="sheet-{frame}"><div><b>{frame}</b> '
                     f'{html.escape(flags)}</div>{images}</div>')
    return "".join(cells)


def _metric(faces: list[dict[str, Any]], key: str) -> str:
    return ", ".join("" if f.get(key) is None else f"{f[key]:.3f}" for f in faces)


def _table(records: list[dict[str, Any]]) -> str:
    rows = []
    for r in records:
        faces = r["faces"]
        metric = lambda k, faces=faces: _metric(faces, k)  # noqa: E731
        flags = "".join(f'<span class="flag" title="{html.escape(r["reasons"].get(f, ""))}">'
                        f"{html.escape(f)}</span>" for f in r["flags"])
        cls = ' class="flagged"' if r["flags"] else ""
        rows.append(f'<tr{cls} id="frame-{r["frame"]}"><td>{r["frame"]}</td><td>{r["status"]}</td>'
                    f"<td>{len(faces)}</td><td>{metric('score')}</td>"
                    f"<td>{metric('identity_distance_to_source')}</td>"
                    f"<td>{metric('identity_distance_to_original')}</td>"
                    f"<td>{metric('jitter')}</td><td>{metric('seam')}</td>"
                    f"<td>{r.get('matte_area', 0):.0f}</td><td>{flags}</td></tr>")
    return ("<table id=\"frames\"><tr><th>frame</th><th>status</th><th>faces</th><th>score</th>"
            "<th>identity → source</th><th>identity → original</th><th>jitter</th>"
            "<th>seam ΔE</th><th>matte area</th><th>flags</th></tr>" + "".join(rows) + "</table>")


def render_page(shot: str, summary: dict[str, Any], records: list[dict[str, Any]],
                thumbs: dict[int, dict[str, str]], qc: dict[str, Any], display: str) -> str:
    """The whole index.html."""
    summary_rows = "".join(f"<tr><th>{html.escape(k)}</th>"
                           f"<td>{html.escape(json.dumps(v))}</td></tr>"
                           for k, v in summary.items())
    worst = "".join(f'<li><a href="#frame-{w["frame"]}">{w["frame"]}</a>: '
                    f'{html.escape(", ".join(w["flags"]))}</li>' for w in summary["worst_frames"])
    by_frame = {r["frame"]: r for r in records}
    sheet_title = ("Contact sheet: flagged frames, then samples (plate | result | matte, "
                   f"{html.escape(display)})")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>faceplate QC: {html.escape(shot)}</title>
<style>{_STYLE}</style></head><body>
<h1>faceplate QC: {html.escape(shot)}</h1>
<p>AI-assisted face replacement by faceplate {__version__}. {summary["flagged"]} of
{summary["frames"]} frames flagged for review.</p>
<h2>Worst frames</h2><ol id="worst">{worst or "<li>none</li>"}</ol>
<h2>Summary</h2><table id="summary">{summary_rows}</table>
<h2>Tracks</h2>{track_plots(records, qc)}
<h2>{sheet_title}</h2>
<div class="sheet" id="sheet">{_sheet(thumbs, by_frame) or "<p>No flagged frames.</p>"}</div>
<h2>Frames</h2>{_table(records)}
{_LOADED_SCRIPT}
</body></html>
"""
