"""The QC report's page and its parts without a shot run: the frames as the page shows them,
``index.html`` written from its templates (read back with ``html.parser``), the plots'
coordinates, labels, gaps and marks, and the review folder's own list of its files. Every
expected value is worked out here by hand from the records given (the plot's box is 460 × 150
with its frame 46..450 across and 18..128 down)."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import spec_dict

from faceplate.pipeline.report import plots
from faceplate.pipeline.report.gallery import FrameImages, Gallery
from faceplate.pipeline.report.page import PageView, frame_views, write_index
from faceplate.pipeline.report.plots import METRICS, event_plot, metric_plot, shot_plots
from faceplate.pipeline.report.written import WrittenFiles, content_key, file_stamp
from faceplate.plateio.frame import Box
from faceplate.spec import QCSpec, parse_spec
from faceplate.written import Manifest, write_bytes

# --- the page --------------------------------------------------------------------------------


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[_Node] = []
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def all(self, tag: str | None = None, **attrs: str) -> list[_Node]:
        """Every node below this one with the tag and attribute values given (``cls``: one of
        its classes)."""
        found = []
        for child in self.children:
            wanted = dict(attrs)
            cls = wanted.pop("cls", None)
            if ((tag is None or child.tag == tag)
                    and all(child.attrs.get(k.replace("_", "-")) == v for k, v in wanted.items())
                    and (cls is None or cls in child.attrs.get("class", "").split())):
                found.append(child)
            found += child.all(tag, **attrs)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> _Node:
        (node,) = self.all(tag, **attrs)
        return node


_VOID = frozenset(("meta", "img", "input", "br", "link", "hr"))  # elements with no end tag


class _Page(HTMLParser):
    """The page as a tree; each node's text holds the text of everything inside it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("", {})
        self.stack = [self.root]
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        assert self.stack[-1].tag == tag, (self.stack[-1].tag, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for node in self.stack:
            node.parts.append(data)


def _words(text: str) -> str:
    return " ".join(text.split())


SKIP = {"action": "skip", "what": "skip", "by": "ana", "at": "2026-12-03T10:00:00Z",
        "via": "review.otio", "frames": "1002-1003", "state": "applied"}

RECORDS = [
    {"frame": 1001, "status": "swapped", "flags": [], "reasons": {},
     "faces": [{"track": 0, "score": 0.9, "identity_distance_to_source": 0.5,
                "identity_distance_to_original": 0.75, "jitter": 0.01, "seam": 2.5}],
     "matte_area": 1234.6, "matte_change": 1.0},
    {"frame": 1002, "status": "swapped", "flags": ["identity_far_from_source"],
     "reasons": {"identity_far_from_source": "swap 0: 0.7 > 0.68"},
     "faces": [{"track": 0, "score": 1, "identity_distance_to_source": 0.7},
               {"track": 1, "identity_distance_to_source": 0.3}],
     "matte_area": 2000.4, "matte_change": None, "decisions": [SKIP],
     "overrides": ["skip (ana)"]},
    {"frame": 1003, "status": "passed through", "flags": ["no_face"],
     "reasons": {"no_face": "passed through"}, "faces": []},
    {"frame": 1005, "status": "swapped", "flags": [], "reasons": {},
     "faces": [{"track": 0, "score": 0.8}], "matte_area": 10.0},
]


def _gallery() -> Gallery:
    crops = {k: f"review/crop/1002.{k}.png" for k in ("plate", "result", "matte", "diff")}
    frames = {
        1001: FrameImages(proxies={"plate": "review/proxy/1001.plate.jpg"},
                          crop_box=Box(0, 0, 64, 64)),  # a box but no crops: no crop size
        1002: FrameImages(proxies={"result": "review/proxy/1002.result.jpg"}, crops=crops,
                          crop_box=Box(10, 20, 130, 140), run=[1002, 1003]),
        1003: FrameImages(run=[1002, 1003], crops_of=1002),
        1005: FrameImages(crops={"plate": "review/crop/1005.plate.png"},
                          crop_box=Box(0, 0, 96, 80)),
    }
    return Gallery(frames, "sRGB - Display", "ACES 1.0 - SDR Video", proxy_bytes=2_500_000,
                   proxy_count=7, crop_bytes=1_049_999, crop_count=5, sheet_rows=3, sheet_of=5)


@pytest.fixture
def spec(tmp_path):
    return parse_spec(spec_dict(), base=tmp_path)


def test_every_plate_frame_is_shown_rendered_or_not(spec):
    views = frame_views(spec, RECORDS, _gallery(), samples={1001, 1002, 1004, 1005})
    assert [v.frame for v in views] == list(range(1001, 1009))
    by = {v.frame: v for v in views}
    assert [by[f].status for f in (1001, 1003, 1004, 1008)] == [
        "swapped", "passed through", "not rendered", "not rendered"]
    assert by[1001].metrics == {"faces": "1", "score": "0.900", "to_source": "0.500",
                                "to_original": "0.750", "jitter": "0.010", "seam": "2.500",
                                "matte_area": "1235", "matte_change": "1.000"}
    # two faces joined in order, an integer as it is, a value a face lacks left blank
    assert by[1002].metrics == {"faces": "2", "score": "1, ", "to_source": "0.700, 0.300",
                                "to_original": ", ", "jitter": ", ", "seam": ", ",
                                "matte_area": "2000", "matte_change": ""}
    assert by[1004].metrics == {"faces": "0", "score": "", "to_source": "", "to_original": "",
                                "jitter": "", "seam": "", "matte_area": "0",
                                "matte_change": ""}
    assert [f.name for f in by[1002].flags] == ["identity_far_from_source"]
    assert by[1002].flags[0].reason == "swap 0: 0.7 > 0.68"
    assert by[1002].decisions == [SKIP] and by[1002].applied == ["skip (ana)"]
    assert by[1001].decisions == [] and by[1001].applied == []
    # crops: their box's size only where there are crops
    assert (by[1001].crop_size, by[1002].crop_size, by[1005].crop_size) == (
        None, (120, 120), (96, 80))
    assert by[1001].proxies == {"plate": "review/proxy/1001.plate.jpg"}
    assert by[1004].proxies == by[1004].crops == {}
    assert (by[1002].run, by[1003].run, by[1001].run) == ("1002-1003", "1002-1003", "")
    assert (by[1003].crops_of, by[1002].crops_of) == (1002, None)
    # a sample: in the samples, neither flagged nor decided
    assert [v.frame for v in views if v.sample] == [1001, 1004, 1005]
    assert by[1003].data() == {"frame": 1003, "status": "passed through", "flags": ["no_face"],
                               "proxies": {}, "decided": [], "crops_of": 1002}
    assert by[1002].data()["decided"] == ["skip"] and by[1002].data()["crops_of"] == 1002


def _view(spec, **changes: Any) -> PageView:
    gallery = _gallery()
    frames = frame_views(spec, RECORDS, gallery, samples={1001, 1005})
    records = {r["frame"]: r for r in RECORDS}
    view = PageView("tst010", "9.9.9", [("plate", "plates/tst010.####.exr"), ("frames", "8")],
                    frames, shot_plots(list(spec.plate.frames), list(records.values()), QCSpec()),
                    "sRGB - Display", 23.976, "the plate's header", gallery, "shot.yaml",
                    aspect=2.0)
    for key, value in changes.items():
        setattr(view, key, value)
    return view


def test_the_page_shows_the_shot_its_frames_flags_decisions_and_crops(spec, tmp_path):
    path = tmp_path / "qc" / "index.html"
    path.parent.mkdir()
    write_index(path, _view(spec))
    page = _Page(path.read_text(encoding="utf-8")).root
    assert page.one("head").one("title").text == "faceplate QC: tst010"
    assert page.one("meta", name="faceplate-session").attrs["content"] == ""
    assert _words(page.one("p", cls="headline").text) == (
        "2 of 8 frames flagged · 1 frame with reviewer decisions · display sRGB - Display")
    assert "faceplate 9.9.9" in page.one("p", cls="notice").text
    assert page.one("p", id="mode-static").one("code").text == "faceplate review serve shot.yaml"
    assert page.one("div", id="fb-stage").attrs["style"] == "--aspect: 2.0000"
    strip = page.one("div", id="fb-strip")
    assert (strip.attrs["aria-valuemin"], strip.attrs["aria-valuemax"]) == ("1001", "1008")
    cells = {c.attrs["data-frame"]: c.attrs["class"].split() for c in strip.all("span")}
    assert list(cells) == [str(f) for f in range(1001, 1009)]
    assert cells["1002"] == ["cell", "flagged", "decided"] and cells["1003"] == ["cell", "flagged"]
    assert cells["1001"] == ["cell"] and cells["1004"] == cells["1008"] == ["cell", "absent"]
    assert strip.one("span", data_frame="1003").attrs["title"] == "1003: no_face"
    assert "at 23.976 fps (the plate's header)" in _words(page.one("section", cls="viewer").text)

    # a card for each frame with crops, flags or decisions
    cards = page.one("aside").all("div", cls="info")
    assert [c.attrs.get("data-frame") for c in cards] == ["1002", "1003", "1005", None]
    far = cards[0]
    assert _words(far.one("h2").text) == "Frame 1002 swapped"
    assert far.one("h2").one("span").attrs["class"] == "status status-swapped"
    assert _words(far.one("span", cls="measure").text) == (
        "identity distance to source: 0.7 · threshold > 0.68 (qc.max_identity_distance)")
    assert far.one("span", cls="reason").text == "swap 0: 0.7 > 0.68"
    assert _words(far.one("p", cls="run-note").text) == (
        "Frames 1002-1003 carry the same flags: these crops stand for all of them.")
    assert _words(far.one("ul", cls="decisions").text) == (
        "skip by ana at 2026-12-03 10:00:00 UTC via review.otio (frames 1002-1003) applied")
    passed = cards[1]
    assert _words(passed.one("h2").text) == "Frame 1003 passed through"
    assert passed.one("h2").one("span").attrs["class"] == "status status-passed-through"
    assert passed.all("span", cls="measure") == [] and passed.all("p", cls="ok") == []
    assert _words(passed.one("p", cls="run-note").text) == (
        "Frames 1002-1003 carry the same flags: the crops shown are frame 1002's.")
    assert _words(passed.one("ul", cls="decisions").text) == "none"
    sample = cards[2]
    assert _words(sample.one("h2").text) == "Frame 1005 swapped sample"
    assert _words(sample.one("p", cls="ok").text) == "Not flagged."
    assert sample.all("p", cls="run-note") == []

    nav = page.one("nav")
    assert [a.text for a in nav.one("ol", id="flagged-list").all("a")] == ["1002", "1003"]
    assert "Flagged frames (2)" in _words(nav.text) and "Samples, not flagged (2)" in _words(
        nav.text)
    assert [a.attrs["href"] for a in nav.all("ol")[1].all("a")] == ["#f1001", "#f1005"]
    assert "erode (0..0.5)" in page.one("form", id="decide").text

    # the crops at 1:1, their box's size, a wipe where there are plate and result
    crops = page.all("div", cls="crops")
    assert [c.attrs["data-frame"] for c in crops] == ["1002", "1005"]
    kinds = [(i.attrs["src"], i.attrs["width"], i.attrs["height"], i.attrs["alt"])
             for i in crops[0].all("img") if "data-kind" in i.attrs]
    assert kinds == [(f"review/crop/1002.{k}.png", "120", "120", f"frame 1002 {label}")
                     for k, label in (("plate", "plate"), ("result", "result"),
                                      ("matte", "matte"), ("diff", "difference ×4"))]
    assert len(crops[0].all("div", cls="wipe")) == 1 and crops[1].all("div", cls="wipe") == []
    assert [i.attrs["width"] for i in crops[1].all("img")] == ["96"]
    assert "for frames 1002-1003" in _words(crops[0].text)
    assert "96×80 plate pixels" in _words(crops[1].text)


def test_the_pages_table_summary_footer_and_data_are_the_records(spec, tmp_path):
    path = tmp_path / "index.html"
    write_index(path, _view(spec))
    page = _Page(path.read_text(encoding="utf-8")).root
    rows = page.one("table", id="frames").one("tbody").all("tr")
    assert [r.attrs["id"] for r in rows] == [f"frame-{f}" for f in range(1001, 1009)]
    assert [r.attrs.get("class") for r in rows[:3]] == [None, "flagged", "flagged"]
    cells = [[_words(td.text) for td in r.all("td")] for r in rows]
    assert cells[0] == ["1001", "swapped", "1", "0.900", "0.500", "0.750", "0.010", "2.500",
                        "1235", "1.000", "", ""]
    assert cells[1] == ["1002", "swapped", "2", "1,", "0.700, 0.300", ",", ",", ",", "2000", "",
                        "identity_far_from_source swap 0: 0.7 > 0.68",
                        "skip (ana, 2026-12-03 10:00:00 UTC)"]
    assert cells[3] == ["1004", "not rendered", "0", "", "", "", "", "", "0", "", "", ""]
    summary = page.one("section", cls="summary")
    assert [d.text for d in summary.all("dt")] == ["plate", "frames"]
    assert [d.text for d in summary.all("dd")] == ["plates/tst010.####.exr", "8"]
    keys = page.one("dl", cls="keys")
    assert [k.text for k in keys.all("kbd")][:2] == ["→ or .", "← or ,"]
    footer = _words(page.one("footer").text)
    assert "7 JPEGs at most 640 px wide (quality 85), 2.5 MB in all" in footer
    assert "baked into a 65³ LUT (within 3 code values" in footer
    assert "5 PNGs at 1:1, 1.0 MB" in footer  # 1,049,999 bytes: decimal megabytes
    assert "the first 3 of 5 frames (all are on this page)" in footer
    data = json.loads(page.one("script", id="shot-data").text)
    assert (data["shot"], data["rate"], data["spec"]) == ("tst010", 23.976, "shot.yaml")
    assert [f["frame"] for f in data["frames"]] == list(range(1001, 1009))
    assert data["frames"][1] == {"frame": 1002, "status": "swapped",
                                 "flags": ["identity_far_from_source"],
                                 "proxies": {"result": "review/proxy/1002.result.jpg"},
                                 "decided": ["skip"], "crops_of": 1002}
    # the plots: the default ones with values, then the flags without a number
    figures = page.one("section", cls="plots").all("figure")
    assert [f.attrs["id"] for f in figures] == [
        "plot-identity_distance_to_source", "plot-jitter", "plot-matte_area", "plot-events"]
    assert _words(figures[0].one("figcaption").text) == "identity distance to source 1 flagged"
    assert [s.text for s in figures[0].one("div", cls="legend").all("span")] == [
        "track 0", "track 1"]
    assert figures[2].all("div", cls="legend") == []


def test_a_sheet_of_every_frame_and_one_decision_each_are_said_so(spec, tmp_path):
    view = _view(spec)
    view.gallery.sheet_rows = view.gallery.sheet_of = 5
    decided = view.frames[4]
    decided.decisions = [dict(SKIP, frames="1005", via="", at="")]
    path = tmp_path / "index.html"
    write_index(path, view)
    page = _Page(path.read_text(encoding="utf-8")).root
    assert "all 5 frames with crops" in _words(page.one("footer").text)
    assert "2 frames with reviewer decisions" in _words(page.one("p", cls="headline").text)
    card = page.one("aside").one("div", data_frame="1005")
    assert _words(card.one("ul", cls="decisions").text) == "skip by ana applied"


def test_the_page_is_listed_as_written_and_its_templates_compiled_into_the_cache(spec,
                                                                                  tmp_path):
    cache = tmp_path / "cache" / "templates"
    write_index(tmp_path / "index.html", _view(spec), cache)
    assert "index.html" in Manifest(tmp_path).names()
    compiled = {p.name for p in cache.glob("*.jinja")}
    assert len(compiled) >= 2, "the page and the plot macro"
    assert Manifest(cache).names() == compiled
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.jinja")}
    write_index(tmp_path / "again.html", _view(spec), cache)
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("*.jinja")} == stamps
    assert (tmp_path / "again.html").read_bytes() == (tmp_path / "index.html").read_bytes()


# --- plots -----------------------------------------------------------------------------------

FRAMES = [1001, 1002, 1003, 1004, 1005]
X = {1001: 46.0, 1002: 147.0, 1003: 248.0, 1004: 349.0, 1005: 450.0}  # 46 + 101 a frame


def test_axis_labels_group_thousands_and_keep_three_digits():
    assert plots._tick(1000.0) == "1,000" and plots._tick(-1500.0) == "-1,500"
    assert plots._tick(12345.6) == "12,346"
    assert plots._tick(999.9) == "1e+03" and plots._tick(0.012345) == "0.0123"
    assert plots._tick(-999.0) == "-999"


@pytest.mark.parametrize(("low", "high", "axis"), [
    (0.0, 100.0, (0.0, 108.0)),      # 8% above; never below zero for a metric that is not
    (20.0, 70.0, (16.0, 74.0)),      # 8% either side
    (-1.0, 3.0, (-1.32, 3.32)),
    (0.5, 0.5, (0.0, 1.08)),         # flat: half a unit each side, not below zero
    (0.2, 0.2, (0.0, 0.756)),
    (-2.0, -2.0, (-2.58, -1.42)),
])
def test_the_value_axis_pads_the_values_by_8_percent(low, high, axis):
    axes = plots._Axes(FRAMES, low, high)
    assert (axes.low, axes.high) == pytest.approx(axis)
    assert (axes.y(axes.low), axes.y(axes.high)) == (128.0, 18.0)
    assert axes.y((axes.low + axes.high) / 2) == 73.0
    assert [axes.x(f) for f in FRAMES] == list(X.values())


def test_one_frame_sits_at_the_plots_left():
    axes = plots._Axes([1001], 0.0, 1.0)
    assert axes.x(1001) == 46.0 and axes.x(1002) == 450.0


def _faces(**values: Any) -> dict[str, Any]:
    return {"faces": [{"track": 0, **values}], "flags": [], "reasons": {}}


def test_a_frame_metrics_plot_in_svg_units():
    records = {f: {"frame": f, **_faces(), "matte_area": a}
               for f, a in zip(FRAMES, (0.0, 27.0, 54.0, 81.0, 100.0), strict=True)}
    plot = metric_plot(METRICS["matte_area"], FRAMES, records, QCSpec(), ())
    assert plot is not None and (plot.key, plot.title) == ("matte_area", "matte area (pixels)")
    (series,) = plot.series
    assert (series.label, series.colour) == ("matte area (pixels)", "#5cc8ff")
    assert series.lines == ["46.0,128.0 147.0,100.5 248.0,73.0 349.0,45.5 450.0,26.1"]
    assert series.dots == [] and plot.marks == [] and plot.shaded == []
    assert plot.thresholds == [] and plot.threshold_label == "" and plot.flagged == 0
    assert plot.y_labels == [(128.0, "0"), (73.0, "54"), (18.0, "108")]
    assert plot.x_labels == [(46.0, "1001", "start"), (248.0, "1003", "middle"),
                             (450.0, "1005", "end")]
    assert metric_plot(METRICS["matte_change"], FRAMES, records, QCSpec(), ()) is None


def test_a_metric_plot_draws_its_limits_marks_and_gaps():
    values = {1001: 1.0, 1002: -1.0, 1003: None, 1004: 2.0, 1005: -2.0}
    records = {f: {"frame": f, **(_faces(highlight=v) if v is not None else
                                  {"faces": [], "flags": [], "reasons": {}})}
               for f, v in values.items()}
    records[1004]["flags"] = ["highlight_mismatch", "no_face"]
    records[1005]["flags"] = ["seam_mismatch"]  # not this plot's flag: no mark
    plot = metric_plot(METRICS["highlight"], FRAMES, records, QCSpec(), ("highlight_mismatch",))
    assert plot is not None
    # the limits ±3 widen the axis to ±3.48: 0 at 73, 110/6.96 units a unit
    assert plot.thresholds == [120.4, 25.6]
    assert plot.threshold_label == "|x| > 3 (qc.max_highlight)"
    (series,) = plot.series
    assert series.lines == ["46.0,57.2 147.0,88.8", "349.0,41.4 450.0,104.6"]
    assert series.dots == []
    assert [(m.frame, m.x, m.y, m.text) for m in plot.marks] == [(1004, 349.0, 41.4, "1004: 2")]
    assert plot.flagged == 1
    assert plot.shaded == [(197.5, 101.0)]   # 1003 has no face: a frame wide around it
    assert plot.y_labels == [(128.0, "-3.48"), (73.0, "0"), (18.0, "3.48")]


def test_each_track_is_a_line_of_its_own_through_frames_it_was_not_measured_on():
    records = {
        1001: {"faces": [{"track": 0, "jitter": 0.0}]},
        1002: {"faces": [{"track": 0}]},                      # on the frame, not measured
        1003: {"faces": [{"track": 0, "jitter": 0.5}]},
        1004: {"faces": [{"track": 1, "jitter": 1.0}]},       # track 0 not there: a gap
        1005: {"faces": [{"track": 0, "jitter": 1.0}, {"track": 1}]},
    }
    for f, record in records.items():
        record.update(frame=f, flags=[], reasons={})
    records[1003]["flags"] = ["jitter_spike"]
    plot = metric_plot(METRICS["jitter"], FRAMES, records, QCSpec(max_jitter=1.0),
                       ("jitter_spike",))
    assert plot is not None
    # values 0..1 with the limit 1: the axis 0..1.08, y = 128 - v / 1.08 * 110
    zero, half, one = 128.0, 77.1, 26.1
    track0, track1 = plot.series
    assert (track0.label, track0.colour, track1.label, track1.colour) == (
        "track 0", "#5cc8ff", "track 1", "#ffb347")
    assert track0.lines == [f"46.0,{zero} 248.0,{half}"] and track0.dots == [(450.0, one)]
    assert track1.lines == [] and track1.dots == [(349.0, one)]  # not measured on 1005
    assert plot.thresholds == [one]
    assert [(m.frame, m.y, m.text) for m in plot.marks] == [(1003, half, "1003: 0.5")]
    assert plot.shaded == []


def test_five_colours_go_round_for_more_tracks():
    record = {"frame": 1001, "flags": [], "reasons": {},
              "faces": [{"track": t, "score": 0.5} for t in range(7)]}
    plot = metric_plot(METRICS["score"], [1001], {1001: record}, QCSpec(), ())
    assert plot is not None
    assert [s.colour for s in plot.series] == ["#5cc8ff", "#ffb347", "#b28dff", "#7ddf64",
                                               "#ff6f91", "#5cc8ff", "#ffb347"]
    assert all(s.dots == [(46.0, plot.series[0].dots[0][1])] for s in plot.series)


def test_flags_without_a_number_are_rows_of_ticks():
    records = {1001: {"faces": [{"track": 0}], "flags": []},
               1002: {"faces": [], "flags": ["no_face"]},
               1003: {"faces": [{"track": 0}], "flags": ["jitter_spike"]},
               1004: {"faces": [], "flags": ["missing_frame", "no_face"]}}
    plot = event_plot(FRAMES, records)  # 1005 has no record
    assert plot is not None and (plot.key, plot.left) == ("events", 150)
    # rows in FLAGS' order, 110 / 2 apart; x from 150 to 450, 75 a frame
    assert plot.rows == [(45.5, "no_face", [(225.0, 1002), (375.0, 1004)]),
                         (100.5, "missing_frame", [(375.0, 1004)])]
    assert plot.flagged == 2
    assert plot.x_labels == [(150.0, "1001", "start"), (300.0, "1003", "middle"),
                             (450.0, "1005", "end")]
    assert plot.shaded == [(187.5, 75.0), (337.5, 75.0), (412.5, 75.0)]
    assert event_plot(FRAMES, {1001: {"faces": [], "flags": ["jitter_spike"]}}) is None


def test_three_rows_of_ticks_share_the_plots_height():
    records = {1001: {"faces": [], "flags": ["unreadable_frame", "missing_frame", "no_face"]}}
    plot = event_plot(FRAMES, records)
    assert plot is not None
    # 110 / 3 apart from 18, half a row in: 36.33, 73, 109.67 to a tenth
    assert [(y, name) for y, name, _ in plot.rows] == [
        (36.3, "no_face"), (73.0, "missing_frame"), (109.7, "unreadable_frame")]


def test_a_gap_is_shaded_a_frame_wide_to_a_tenth_of_a_unit():
    frames = list(range(1001, 1010))  # 50.5 units a frame: a gap at 1003 from 121.75
    records = {f: {"frame": f, **_faces(), "matte_area": 1.0} for f in frames}
    records[1003]["faces"] = []
    plot = metric_plot(METRICS["matte_area"], frames, records, QCSpec(), ())
    assert plot is not None and plot.shaded == [(121.8, 50.5)]


def test_the_shots_plots_are_the_defaults_then_each_flagged_metric_once_then_events():
    records = [{"frame": 1001, "faces": [{"track": 0, "jitter": 0.01, "seam": 3.0,
                                          "score": 0.2}],
                "flags": ["jitter_spike", "low_score"], "reasons": {}, "matte_area": 5.0},
               {"frame": 1002, "faces": [{"track": 0, "jitter": 0.5, "seam": 20.0}],
                "flags": ["seam_mismatch", "jitter_spike", "pose_beyond_limit"],
                "reasons": {}, "matte_area": 6.0}]
    keys = [p.key for p in shot_plots([1001, 1002], records, QCSpec())]
    assert keys == ["jitter", "matte_area", "score", "seam", "events"]
    seam = shot_plots([1001, 1002], records, QCSpec())[3]
    assert [m.frame for m in seam.marks] == [1002]


# --- the review folder's list of its files -----------------------------------------------------


def _writes(data: bytes):
    def write(path: Path) -> bool:
        write_bytes(path, data, record=True)
        return True
    return write


def test_a_content_key_is_the_sha256_of_its_parts_as_sorted_json():
    expected = hashlib.sha256(b'{"a": 1, "b": "x/y"}').hexdigest()[:32]
    assert content_key(b=Path("x/y"), a=1) == expected == content_key(a=1, b="x/y")
    assert content_key(a=1, b="x/z") != expected and len(expected) == 32


def test_a_files_stamp_is_its_size_and_mtime(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(b"12345")
    assert file_stamp(path) == [5, path.stat().st_mtime_ns]
    assert file_stamp(tmp_path / "gone.jpg") is None


def test_a_file_is_current_while_its_key_and_stamp_match(tmp_path):
    folder = tmp_path / "review"
    first = WrittenFiles(folder)
    assert first.ensure("crop/a.png", "k1", _writes(b"abc"))
    assert first.ensure("crop/b.png", "k1", _writes(b"abc"))
    first.finish()
    again = WrittenFiles(folder)
    assert again.current("crop/a.png", "k1") and not again.current("crop/a.png", "k2")
    assert not again.current("crop/c.png", "k1")
    write_bytes(folder / "crop" / "b.png", b"abcd", record=True)
    assert not again.current("crop/b.png", "k1"), "rewritten since: its stamp differs"
    calls = []
    assert again.ensure("crop/a.png", "k2", lambda p: calls.append(p) or _writes(b"x")(p))
    assert calls == [folder / "crop" / "a.png"]


def test_a_file_not_written_or_not_there_is_not_listed(tmp_path):
    files = WrittenFiles(tmp_path / "review")
    assert not files.ensure("a.png", "k", lambda p: False)
    assert not files.ensure("b.png", "k", lambda p: True)  # said written, but not there
    assert not files.keep("a.png") and not files.keep("b.png") and files.count() == 0


def test_the_listed_files_sizes_and_counts_by_prefix(tmp_path):
    files = WrittenFiles(tmp_path / "review")
    for name, data in (("proxy/1.jpg", b"123"), ("proxy/2.jpg", b"12345"),
                       ("crop/1.png", b"1234567")):
        assert files.ensure(name, "k", _writes(data)) and files.keep(name)
    assert (files.bytes("proxy/"), files.bytes("crop/"), files.bytes()) == (8, 7, 15)
    assert (files.count("proxy/"), files.count("crop/"), files.count()) == (2, 1, 3)
    assert files.bytes("other/") == 0 and files.count("other/") == 0


def test_a_list_deleted_by_hand_is_written_again_and_stale_files_go_from_every_folder(tmp_path):
    folder = tmp_path / "review"
    first = WrittenFiles(folder)
    for name in ("proxy/1.jpg", "crop/1.png", "crop/2.png", "top.txt"):
        first.ensure(name, "k", _writes(b"x"))
    first.finish()
    unchanged = WrittenFiles(folder)
    for name in ("proxy/1.jpg", "crop/1.png", "crop/2.png", "top.txt"):
        assert unchanged.ensure(name, "k", lambda p: False)
    (folder / "written.json").unlink()
    assert unchanged.finish() == []
    assert (folder / "written.json").is_file(), "no list: written though nothing changed"
    shrunk = WrittenFiles(folder)
    assert shrunk.ensure("crop/1.png", "k", lambda p: False)
    assert shrunk.finish() == ["crop/2.png", "proxy/1.jpg", "top.txt"]
    assert sorted(p.name for p in folder.rglob("*.*") if not p.name.startswith(".")) == [
        "1.png", "written.json"]
    listed = json.loads((folder / "written.json").read_text())
    assert listed["schema"] == "faceplate.review-files/1" and list(listed["files"]) == [
        "crop/1.png"]
