"""The review's parts without a shot run: overrides and their audit lines, what the page
says of a flag, plots with gaps, crop boxes, the review folder's own file list, and the
decisions an OTIO marker states."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import PyOpenColorIO as ocio
import pytest
import yaml

from faceplate.errors import SpecError
from faceplate.ocio import ColourManager
from faceplate.ocio import display as display_module
from faceplate.ocio.display import proxy_display_processor
from faceplate.pipeline.report.flags import METRICS, flag_views, threshold_text
from faceplate.pipeline.report.gallery import (
    SAMPLES,
    close_look_frames,
    flagged_runs,
)
from faceplate.pipeline.report.images import crop_box, difference
from faceplate.pipeline.report.plots import metric_plot, shot_plots
from faceplate.pipeline.report.timeline import parse_marker_name
from faceplate.pipeline.report.written import WrittenFiles
from faceplate.pipeline.stage_files.display_tables import ShotTables
from faceplate.spec import QCSpec, SolveSpec
from faceplate.spec.overrides import (
    Override,
    add_override,
    load_overrides,
    overridden_frames,
)
from faceplate.written import Manifest, write_bytes

PLATE = tuple(range(1001, 1011))


def _write(path):
    write_bytes(path, b"x", record=True)
    return True


def test_a_version_1_file_is_read_and_written_back_as_version_2(tmp_path):
    path = tmp_path / "overrides.yaml"
    path.write_text("schema: faceplate.overrides/1\noverrides:\n"
                    "  - {frames: 1002-1003, skip: true}\n")
    (old,) = load_overrides(path, PLATE)
    assert old.action == "skip" and old.by is None
    assert old.describe() == "skip (pass through unswapped), by an unrecorded reviewer"
    add_override(path, Override((1005,), "approve", by="bob", at="2025-06-01T14:02:11Z",
                                via="review mark"), PLATE)
    data = yaml.safe_load(path.read_text())
    assert data["schema"] == "faceplate.overrides/2"
    assert data["overrides"] == [
        {"frames": "1002-1003", "skip": True},
        {"frames": "1005", "approve": True, "by": "bob", "at": "2025-06-01T14:02:11Z",
         "via": "review mark"}]
    assert load_overrides(path, PLATE)[1].describe() == (
        "approve as rendered, by bob at 2025-06-01 14:02:11 UTC via review mark")


def test_approvals_render_nothing_again():
    decisions = [Override((1002,), "skip"), Override((1004, 1005), "approve"),
                 Override((1005, 1006), "set", values={"feather": 0.2})]
    assert overridden_frames(decisions) == [1002, 1005, 1006]


@pytest.mark.parametrize(("entry", "key", "message"), [
    ({"frames": "1002", "skip": True, "at": "yesterday"}, "overrides[0].at", "UTC time"),
    ({"frames": "1002", "skip": True, "by": ""}, "overrides[0].by", "short text"),
    ({"frames": "1002", "approve": "yes"}, "overrides[0].approve", "expected true"),
    ({"frames": "1002", "skip": True, "approve": True}, "overrides[0]", "exactly one"),
    ({"frames": "1002", "set": {"feather": True}}, "overrides[0].set.feather", "a number"),
    ({"frames": "1002", "set": {"feather": float("nan")}}, "overrides[0].set.feather", "outside"),
    ({"frames": "1002", "who": "x", "skip": True}, "overrides[0].who", "unknown key"),
])
def test_bad_entries_name_their_key(tmp_path, entry, key, message):
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump({"schema": "faceplate.overrides/2", "overrides": [entry]}))
    with pytest.raises(SpecError) as caught:
        load_overrides(path, PLATE)
    assert caught.value.key == key and message in caught.value.message
    assert str(caught.value).count(key) == 1 and str(tmp_path) in str(caught.value)


def test_a_flag_shows_its_metric_value_threshold_and_meaning():
    record = {"frame": 1004, "flags": ["identity_far_from_source", "no_face"],
              "reasons": {"identity_far_from_source": "swap 0: 0.712 > 0.68",
                          "no_face": "passed through"},
              "faces": [{"track": 0, "identity_distance_to_source": 0.5},
                        {"track": 1, "identity_distance_to_source": 0.712}]}
    far, none = flag_views(record, QCSpec(max_identity_distance=0.68), SolveSpec())
    assert (far.metric, far.value, far.threshold) == (
        "identity distance to source", "0.712", "> 0.68 (qc.max_identity_distance)")
    assert far.reason == "swap 0: 0.712 > 0.68" and "source person" in far.explanation
    assert (none.value, none.threshold) == ("–", "–") and "unswapped" in none.explanation
    close = flag_views({"flags": ["identity_close_to_original"], "reasons": {},
                        "faces": [{"track": 0, "identity_distance_to_original": 0.2},
                                  {"track": 1, "identity_distance_to_original": 0.1}]},
                       QCSpec(), SolveSpec())[0]
    assert (close.value, close.threshold) == ("0.1", "< 0.3 (qc.min_distance_to_original)")
    pose = flag_views({"flags": ["pose_beyond_limit"], "reasons": {}, "faces": []},
                      QCSpec(), SolveSpec(max_yaw=45))[0]
    assert pose.threshold == "|yaw| > 45° (solve.max_yaw)"


def _record(frame, distance=None, flags=()):
    faces = [] if distance is None else [{"track": 0, "identity_distance_to_source": distance}]
    return {"frame": frame, "faces": faces, "flags": list(flags), "reasons": {},
            "matte_area": 100.0 if faces else 0.0}


def test_plots_break_where_there_is_no_face_and_mark_flagged_frames():
    frames = list(range(1001, 1010))
    records = {f: _record(f, 0.5 + (f - 1001) * 0.01) for f in frames}
    records[1003] = _record(1003)          # no face: a gap, shaded
    records[1006] = _record(1006)
    del records[1008]                      # not rendered: a gap too
    records[1009] = _record(1009, 0.9, ["identity_far_from_source"])
    plot = metric_plot(METRICS["identity_distance_to_source"], frames, records, QCSpec(),
                       ("identity_far_from_source",))
    (series,) = plot.series
    runs = [line.split() for line in series.lines]
    assert [len(r) for r in runs] == [2, 2]        # 1001-1002, 1004-1005
    assert len(series.dots) == 2                    # 1007 and 1009 stand alone
    assert len(plot.shaded) == 3 and [m.frame for m in plot.marks] == [1009]
    xs = [float(p.split(",")[0]) for r in runs for p in r]
    assert xs == sorted(xs)
    (threshold_y,) = plot.thresholds
    assert plot.threshold_label == "> 0.68 (qc.max_identity_distance)"
    flagged_y = plot.marks[0].y
    assert flagged_y < threshold_y, "0.9 is drawn above the 0.68 line (SVG y grows down)"
    area = metric_plot(METRICS["matte_area"], frames, records, QCSpec(), ())
    assert sum(len(line.split()) for line in area.series[0].lines) + len(
        area.series[0].dots) == 6, "no flat zero where there is no face"


def test_each_flagged_metric_gets_a_plot():
    frames = [1001, 1002]
    records = [_record(1001, 0.5), {**_record(1002, 0.5, ["seam_mismatch", "no_face"]),
                                    "faces": [{"track": 0, "identity_distance_to_source": 0.5,
                                               "seam": 14.0}]}]
    keys = [p.key for p in shot_plots(frames, records, QCSpec())]
    assert keys == ["identity_distance_to_source", "matte_area", "seam", "events"]


def test_crop_boxes_are_squares_around_the_face_inside_the_frame():
    box = crop_box([100, 100, 200, 180], (640, 360))
    assert (box.width, box.height) == (160, 160)
    assert (box.x0 + box.x1) / 2 == 150 and (box.y0 + box.y1) / 2 == 140
    corner = crop_box([0, 300, 50, 360], (640, 360))
    assert (corner.x0, corner.y1) == (0, 360) and corner.width == corner.height == 96
    huge = crop_box([0, 0, 600, 350], (640, 360))
    assert (huge.x0, huge.y0, huge.x1, huge.y1) == (0, 0, 640, 360)


def test_difference_scales_the_change_by_its_gain():
    plate = np.zeros((1, 3, 3), np.float32)
    result = plate.copy()
    result[0, 1] = 0.1
    result[0, 2] = 0.5
    heat = difference(plate, result, gain=4.0)
    assert heat[0, 0].tolist() == [4, 0, 0] or heat[0, 0].sum() < 10   # inferno's black
    assert heat[0, 1].sum() < heat[0, 2].sum()                           # 0.4 below 1.0


def test_the_review_folder_deletes_only_files_on_its_list(tmp_path):
    folder = tmp_path / "review"
    first = WrittenFiles(folder)
    for name in ("proxy/1.jpg", "proxy/2.jpg"):
        assert first.ensure(name, "k1", _write)
    # on the review list, but written without the folder's manifest knowing: not faceplate's
    assert first.ensure("proxy/3.jpg", "k1", lambda p: p.write_bytes(b"x") > 0)
    first.finish()
    assert Manifest(folder / "proxy").names() == {"1.jpg", "2.jpg"}
    (folder / "proxy" / "mine.jpg").write_bytes(b"someone else's")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    listed = json.loads((folder / "written.json").read_text())
    listed["files"]["../outside.txt"] = {"key": "x", "stamp": [4, 0]}
    (folder / "written.json").write_text(json.dumps(listed))
    second = WrittenFiles(folder)
    calls = []
    assert second.ensure("proxy/1.jpg", "k1", lambda p: calls.append(p) or True)
    assert calls == [], "a current file is kept, not written again"
    assert second.finish() == ["proxy/2.jpg"], "only what the folder's manifest lists"
    assert not (folder / "proxy" / "2.jpg").exists()
    assert (folder / "proxy" / "3.jpg").exists(), "not in the manifest: never deleted"
    assert (folder / "proxy" / "mine.jpg").exists() and outside.read_text() == "keep"


def test_the_review_folders_list_is_saved_by_name_whatever_order_its_files_were_made_in(
        tmp_path):
    made = ["crop/1009.plate.png", "crop/1002.diff.png", "proxy/1001.result.jpg",
            "crop/1002.plate.png"]
    lists = []
    for order in (made, made[::-1]):
        folder = tmp_path / f"review{len(lists)}"
        files = WrittenFiles(folder)
        for name in order:
            assert files.ensure(name, "k", _write)
        files.finish()
        lists.append(list(json.loads((folder / "written.json").read_text())["files"]))
    assert lists[0] == lists[1] == sorted(made)


@pytest.mark.parametrize(("name", "expected"), [
    ("skip", ("skip", None, ())), ("Approve", ("approve", None, ())),
    ("hold 1003", ("hold", 1003, ())),
    ("set feather=0.2, erode=0.1", ("set", None, ("feather=0.2", "erode=0.1"))),
])
def test_marker_names_state_decisions(name, expected):
    decision = parse_marker_name(name, (1004,), "on clip 'x' at 1004")
    assert (decision.action, decision.hold, decision.assignments) == expected


@pytest.mark.parametrize("name", ["hold", "hold soon", "skip now", "set"])
def test_a_bad_decision_marker_is_refused_by_name(name):
    with pytest.raises(SpecError) as caught:
        parse_marker_name(name, (1004,), "on clip 'x' at 1004")
    assert caught.value.key == f"marker {name!r} on clip 'x' at 1004"


def test_other_markers_are_not_decisions():
    assert parse_marker_name("check the eyes", (1004,), "") is None
    assert parse_marker_name("no_face", (1004,), "") is None


def test_an_unchanged_list_is_not_written_again(tmp_path):
    folder = tmp_path / "review"
    first = WrittenFiles(folder)
    first.ensure("a.jpg", "k", _write)
    first.finish()
    stamp = (folder / "written.json").stat().st_mtime_ns
    again = WrittenFiles(folder)
    assert again.ensure("a.jpg", "k", lambda p: False)
    assert again.finish() == []
    assert (folder / "written.json").stat().st_mtime_ns == stamp


def _written(frame, flags=(), decisions=(), output=True):
    return {"frame": frame, "flags": list(flags), "decisions": list(decisions),
            "output": f"out.{frame}.exr" if output else None}


def test_crops_go_to_the_first_frame_of_each_run_of_the_same_flags():
    records = [_written(1001, ["no_face"]), _written(1002, ["no_face"]),
               _written(1003, ["no_face"]),
               _written(1004, ["no_face", "matte_jump"]),  # other flags: a run of its own
               _written(1005, ["matte_jump", "no_face"]),  # the same set, another order
               _written(1006, ["no_face"], decisions=[{"action": "skip"}]),  # decided: own
               _written(1007, ["no_face"]),
               _written(1008, ["no_face"], output=None),  # not written: no crops, ends a run
               _written(1009, ["no_face"]),
               _written(1011, ["no_face"])]  # 1010 has no record: a gap ends a run
    records += [_written(f) for f in range(1012, 1030)]  # unflagged: samples
    assert flagged_runs(records) == [[1001, 1002, 1003], [1004, 1005], [1007], [1009], [1011]]
    chosen = close_look_frames(records)
    flagged_chosen = [f for f in chosen if f < 1012]
    assert flagged_chosen == [1001, 1004, 1006, 1007, 1009, 1011]
    samples = [f for f in chosen if f >= 1012]
    assert len(samples) == SAMPLES and samples == [1012, 1015, 1018, 1021, 1024, 1027]


def _shown(processor, image):
    out = image.copy()
    processor.applyRGB(out)
    return np.rint(np.clip(out, 0, 1) * 255)


def test_proxies_go_through_a_baked_display_transform_within_three_code_values(colour,
                                                                                monkeypatch,
                                                                                tmp_path):
    """Scene-linear greys, skin-like and sky-like colours from deep shadow to highlights, and
    noise around black, through the exact ACES output transform (OCIO's own processor) and
    through the proxies' baked one."""
    config = colour.config
    display = config.getDefaultDisplay()
    view = config.getDefaultView(display)
    exact = config.getProcessor(ocio.DisplayViewTransform(
        src="ACEScg", display=display, view=view)).getDefaultCPUProcessor()
    stops = np.exp2(np.linspace(-10, 4, 400, dtype=np.float32))[None, :, None]
    tints = np.array([[1, 1, 1], [0.9, 0.55, 0.4], [0.35, 0.5, 0.9], [0.2, 0.6, 0.25]],
                     np.float32)[:, None, :]
    rng = np.random.default_rng(2)
    noise = rng.normal(0.002, 0.004, (1, 400, 3)).astype(np.float32)  # below black too
    image = np.ascontiguousarray(np.vstack([tints * stops, noise]))
    proxy = proxy_display_processor(colour, "ACEScg", display, view)
    difference = np.abs(_shown(proxy, image) - _shown(exact, image))
    assert difference.max() <= 3 and difference.mean() < 0.5
    assert difference.max() > 0, "the baked transform, not the exact one"
    baked: list[str] = []
    bake = display_module.bake_table
    monkeypatch.setattr(display_module, "bake_table",
                        lambda *args: baked.append(args[1]) or bake(*args))
    assert proxy_display_processor(colour, "lin_ap1", display, view) is proxy, \
        "baked once per colour manager (a run), whatever the colourspace's alias"
    assert baked == []

    # a table kept in a shot's cache is read by the next process (a fresh manager), not baked
    tables = ShotTables(SimpleNamespace(output=SimpleNamespace(cache=tmp_path)))
    first = proxy_display_processor(ColourManager(colour.config, colour.choice), "ACEScg",
                                    display, view, tables=tables)
    assert baked == ["ACEScg"] and len(list((tmp_path / "display").glob("*.npy"))) == 1
    second = proxy_display_processor(ColourManager(colour.config, colour.choice), "ACEScg",
                                     display, view, tables=tables)
    assert baked == ["ACEScg"], "read from the cache, not baked again"
    assert np.array_equal(_shown(second, image), _shown(first, image))
    assert np.array_equal(_shown(second, image), _shown(proxy, image))
    other = proxy_display_processor(ColourManager(colour.config, colour.choice), "ACEScg",
                                    display, config.getViews(display)[1], tables=tables)
    assert baked == ["ACEScg"] * 2 and other is not None, "another view: its own table"

    monkeypatch.setattr(display_module, "PROXY_LUT_TOLERANCE", -1)  # never close enough
    fresh = ColourManager(colour.config, colour.choice)  # another run: baked again
    fallback = proxy_display_processor(fresh, "ACEScg", display, view)
    assert baked == ["ACEScg"] * 3
    assert np.array_equal(_shown(fallback, image), _shown(exact, image))


def test_the_page_templates_compile_once_per_shot_and_are_listed_as_written(tmp_path):
    """A report keeps its compiled templates in the shot's cache (TemplateCache): the next
    report's environment uses them and compiles nothing; the files are listed as faceplate's."""
    import jinja2

    from faceplate.pipeline.report.page import TemplateCache

    def environment():
        return jinja2.Environment(loader=jinja2.DictLoader({"t.j2": "{{ a }} and {{ b }}"}),
                                  bytecode_cache=TemplateCache(tmp_path / "templates"))
    assert environment().get_template("t.j2").render(a=1, b=2) == "1 and 2"
    names = {p.name for p in (tmp_path / "templates").glob("*.jinja")}
    assert len(names) == 1 and Manifest(tmp_path / "templates").names() == names
    again = environment()
    again.compile = lambda *a, **k: pytest.fail("compiled again")
    assert again.get_template("t.j2").render(a=3, b=4) == "3 and 4"


# --- flags checked both ways (too high and too low) read as render checks them ---------------

#: (metric, two faces' values, the worse one, the page's threshold, where flagging starts) with
#: the default thresholds (docs/qc.md): worked out by hand from render's checks.
TWO_SIDED = [
    ("highlight", [2.0, -4.0], -4.0, "|x| > 3 (qc.max_highlight)", [-3.0, 3.0]),
    ("detail_ratio", [1.2, 0.5], 0.5,
     "< 0.8 or > 1.25 (qc.min_detail_ratio, qc.max_detail_ratio)", [0.8, 1.25]),
    ("detail_ratio", [1.5, 0.9], 1.5,
     "< 0.8 or > 1.25 (qc.min_detail_ratio, qc.max_detail_ratio)", [0.8, 1.25]),
    ("detail_ratio", [1.1, 0.0], 0.0,
     "< 0.8 or > 1.25 (qc.min_detail_ratio, qc.max_detail_ratio)", [0.8, 1.25]),
    ("grain_ratio", [1.1, 0.7], 0.7, "|x - 1| > 0.2 (qc.max_grain_difference)", [0.8, 1.2]),
    ("eye_difference", [0.03, -0.08], -0.08, "|x| > 0.06 (qc.max_eye_difference)",
     [-0.06, 0.06]),
    ("mouth_difference", [-0.01, 0.05], 0.05, "|x| > 0.04 (qc.max_mouth_difference)",
     [-0.04, 0.04]),
]


@pytest.mark.parametrize("key, values, worse, text, limits", TWO_SIDED)
def test_a_flag_checked_both_ways_shows_the_worse_face_and_both_limits(key, values, worse, text,
                                                                       limits):
    metric = METRICS[key]
    record = {"frame": 1001, "faces": [{"track": t, key: v} for t, v in enumerate(values)]}
    assert metric.value(record) == worse
    assert metric.value(record, track=0) == values[0]
    assert threshold_text(metric, QCSpec()) == text
    assert metric.limits(QCSpec()) == pytest.approx(limits)


@pytest.mark.parametrize("field, key", [("highlight", "highlight"), ("detail", "detail_ratio"),
                                        ("grain", "grain_ratio"), ("eye", "eye_difference"),
                                        ("mouth", "mouth_difference"), ("edge", "hard_edge")])
def test_the_page_flags_the_values_render_flags_and_no_others(field, key):
    from faceplate.pipeline.render.plate_match import PlateMatch
    from faceplate.pipeline.render.stage import _check_plate_match
    from faceplate.pipeline.stage_files.records import FrameRecord
    metric, qc = METRICS[key], QCSpec()
    low, high = metric.limits(qc)[0], metric.limits(qc)[-1]
    for value in (-5.0, -0.1, -0.05, 0.0, 0.03, 0.5, 0.79, 0.81, 0.9, 1.0, 1.1, 1.19, 1.21, 1.3,
                  2.9, 3.1, 7.0, low - 1e-6, low + 1e-6, high - 1e-6, high + 1e-6):
        if key in ("detail_ratio", "grain_ratio", "hard_edge") and value < 0:
            continue  # ratios and an excess are never negative
        record = FrameRecord(1001, "swapped")
        _check_plate_match(record, PlateMatch(**{field: value}), qc, "swap 0")
        outside = value > high if len(metric.limits(qc)) == 1 else not low <= value <= high
        assert bool(record.flags) == outside, (key, value, record.flags)


def test_a_plot_of_a_flag_checked_both_ways_draws_both_limits():
    frames = [1001, 1002, 1003]
    records = {f: {"frame": f, "faces": [{"track": 0, "highlight": v}], "flags": [],
                   "reasons": {}} for f, v in zip(frames, (1.0, -4.0, 0.5), strict=True)}
    records[1002]["flags"] = ["highlight_mismatch"]
    plot = metric_plot(METRICS["highlight"], frames, records, QCSpec(), ("highlight_mismatch",))
    assert plot is not None and len(plot.thresholds) == 2
    lower, upper = plot.thresholds  # -3 then +3: SVG y grows down
    assert lower > upper and plot.threshold_label == "|x| > 3 (qc.max_highlight)"
    (mark,) = plot.marks
    assert mark.frame == 1002 and mark.y > lower, "-4 is drawn below the -3 line"
    assert mark.text == "1002: -4"
