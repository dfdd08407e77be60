"""The review page (``<qc>/index.html``) and the A/B page, rendered from Jinja2 templates
shipped with the package (``templates/``). The page is one file beside its images: it opens
from disk, needs no server and no network, and is read-only unless ``faceplate review serve``
serves it (the server fills in the page's session, which shows the decision controls)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from faceplate import __version__
from faceplate.frames import format_frames
from faceplate.ocio.display import PROXY_LUT_SIZE, PROXY_LUT_TOLERANCE
from faceplate.pipeline.report.flags import FlagView, flag_views
from faceplate.pipeline.report.gallery import SAMPLES, Gallery
from faceplate.pipeline.report.images import DIFFERENCE_GAIN
from faceplate.pipeline.report.plots import Plot
from faceplate.pipeline.stage_files.proxies import PROXY_QUALITY, PROXY_WIDTH
from faceplate.spec import ShotSpec
from faceplate.spec.overrides import SETTABLE
from faceplate.written import atomic_write, write_bytes, write_error

#: What the server replaces to open a session; the static page keeps it empty (read-only).
SESSION_PLACEHOLDER = '<meta name="faceplate-session" content="">'

KEYS = (
    ("→ or .", "next frame"), ("← or ,", "previous frame"),
    ("n", "next flagged frame"), ("p", "previous flagged frame"),
    ("space", "play / pause"), ("i / o", "set the in / out mark"),
    ("l", "loop between the marks (on / off)"), ("c", "clear the marks"),
    ("t", "flipbook: plate / result"), ("z", "crops at 1:1 / 2:1"),
    ("Home / End", "first / last frame"),
)


@dataclass
class FrameView:
    """One frame as the page shows it."""

    frame: int
    status: str
    flags: list[FlagView]
    decisions: list[dict[str, Any]]
    applied: list[str]
    metrics: dict[str, str]
    proxies: dict[str, str]
    crops: dict[str, str]
    crop_size: tuple[int, int] | None
    sample: bool = False
    run: str = ""
    crops_of: int | None = None

    def data(self) -> dict[str, Any]:
        """What the page's script needs of the frame."""
        return {"frame": self.frame, "status": self.status,
                "flags": [f.name for f in self.flags], "proxies": self.proxies,
                "decided": [d["action"] for d in self.decisions],
                "crops_of": self.crops_of or self.frame}


@dataclass
class PageView:
    """Everything the page template reads."""

    shot: str
    version: str
    summary: list[tuple[str, str]]
    frames: list[FrameView]
    plots: list[Plot]
    display: str
    rate: float
    rate_source: str
    gallery: Gallery
    spec_path: str
    aspect: float = 16 / 9

    @property
    def flagged(self) -> list[FrameView]:
        return [f for f in self.frames if f.flags]

    @property
    def cards(self) -> list[FrameView]:
        return [f for f in self.frames if f.crops or f.flags or f.decisions]


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _metrics(record: dict[str, Any]) -> dict[str, str]:
    faces = record.get("faces", [])

    def joined(key: str) -> str:
        return ", ".join(_fmt(f.get(key)) for f in faces)

    return {"faces": str(len(faces)), "score": joined("score"),
            "to_source": joined("identity_distance_to_source"),
            "to_original": joined("identity_distance_to_original"),
            "jitter": joined("jitter"), "seam": joined("seam"),
            "matte_area": f"{record.get('matte_area', 0.0):.0f}",
            "matte_change": _fmt(record.get("matte_change"))}


def frame_views(spec: ShotSpec, records: list[dict[str, Any]], gallery: Gallery,
                samples: set[int]) -> list[FrameView]:
    """Every frame of the plate, rendered or not."""
    by_frame = {r["frame"]: r for r in records}
    views = []
    for f in spec.plate.frames:
        record = by_frame.get(f) or {"frame": f, "status": "not rendered", "flags": [],
                                     "reasons": {}, "faces": [], "decisions": []}
        images = gallery.frames.get(f)
        box = images.crop_box if images is not None else None
        views.append(FrameView(
            f, record["status"], flag_views(record, spec.qc, spec.solve),
            record.get("decisions", []), record.get("overrides", []), _metrics(record),
            images.proxies if images else {}, images.crops if images else {},
            (box.width, box.height) if box is not None and images and images.crops else None,
            sample=f in samples and not record["flags"] and not record.get("decisions"),
            run=format_frames(images.run) if images else "",
            crops_of=images.crops_of if images else None))
    return views


class TemplateCache(jinja2.BytecodeCache):
    """The templates compiled, kept in ``folder`` (the shot's cache) between reports: each
    file written atomically and listed as faceplate's; Jinja checks the template's source and
    the Python version before using one (compiling them costs a report a quarter to half a
    second)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = self._path(bucket).read_bytes()
        except OSError:
            return
        bucket.load_bytecode(io.BytesIO(data))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        out = io.BytesIO()
        bucket.write_bytecode(out)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_bytes(self._path(bucket), out.getvalue(), record=True)


def _environment(cache: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("faceplate.pipeline.report",
                                                         "templates"),
                             autoescape=jinja2.select_autoescape(("html", "j2", "svg")),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True,
                             bytecode_cache=TemplateCache(cache) if cache else None)
    env.filters["megabytes"] = lambda n: f"{n / 1e6:.1f} MB"
    return env


def _index_context(view: PageView) -> dict[str, Any]:
    settable = {k: f"{low:g}..{high:g}" for k, (low, high) in SETTABLE.items()}
    data = {"shot": view.shot, "rate": view.rate, "frames": [f.data() for f in view.frames],
            "spec": view.spec_path}
    return {"v": view, "keys": KEYS, "data": data, "settable": settable,
            "session": SESSION_PLACEHOLDER, "samples_count": SAMPLES,
            "proxy_width": PROXY_WIDTH, "proxy_quality": PROXY_QUALITY,
            "gain": DIFFERENCE_GAIN, "lut_size": PROXY_LUT_SIZE,
            "lut_tolerance": PROXY_LUT_TOLERANCE}


def write_index(path: Path, view: PageView, cache: Path | None = None) -> None:
    """Write ``index.html`` to ``path`` atomically (listed as faceplate's), a piece at a time
    as the template makes it: the page's whole text is never held.

    Raises:
        OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
    """
    template = _environment(cache).get_template("index.html.j2")
    with atomic_write(path, record=True) as tmp:
        try:
            with tmp.open("w", encoding="utf-8", newline="") as out:
                for piece in template.generate(_index_context(view)):
                    out.write(piece)
        except OSError as exc:
            raise write_error(exc, path) from None


def render_compare(**context: Any) -> str:
    """The A/B page of two versions."""
    return _environment().get_template("compare.html.j2").render(version=__version__,
                                                                 **context)
