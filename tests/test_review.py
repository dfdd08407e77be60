"""The review loop: reviewer overrides, re-rendering only what changed, and A/B pages."""

import json
import shutil
from datetime import datetime, timedelta, timezone

import numpy as np
import OpenImageIO as oiio
import pytest
import yaml
from conftest import make_shot, read_pixels, run_cli

pytestmark = pytest.mark.slow


def _pixels(path):
    return read_pixels(path, fmt=oiio.FLOAT)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, colour):
    shot = make_shot(tmp_path_factory.mktemp("review"), colour, "1001-1006", overscan=0,
                     depth_channel=False)
    first = run_cli("run", str(shot.spec_path))
    assert first.returncode == 0, first.stderr
    shutil.copytree(shot.folder / "out" / "qc", shot.folder / "v001")
    before = {f: shot.output(f).stat().st_mtime_ns for f in shot.frames}
    mattes = {f: _pixels(shot.matte(f)) for f in shot.frames}
    marks = [("1002", "--skip"), ("1004", "--hold", "1003"), ("1005", "--set", "feather=0.2"),
             ("1006", "--approve")]
    printed = []
    for mark in marks:
        result = run_cli("review", "mark", str(shot.spec_path), *mark, "--by", "alice")
        assert result.returncode == 0, result.stderr
        printed.append(result.stdout)
    again = run_cli("run", str(shot.spec_path), "--only", "overridden")
    assert again.returncode == 0, again.stderr
    qc = json.loads(shot.qc_json.read_text())
    return shot, before, mattes, {r["frame"]: r for r in qc["frames"]}, again, printed


def test_overrides_file_is_versioned_and_readable(reviewed):
    shot, *_ = reviewed
    data = yaml.safe_load((shot.folder / "overrides.yaml").read_text())
    assert data["schema"] == "faceplate.overrides/2"
    decisions = [{k: v for k, v in e.items() if k not in ("by", "at", "via")}
                 for e in data["overrides"]]
    assert decisions == [{"frames": "1002", "skip": True}, {"frames": "1004", "hold": 1003},
                         {"frames": "1005", "set": {"feather": 0.2}},
                         {"frames": "1006", "approve": True}]
    now = datetime.now(timezone.utc)
    for entry in data["overrides"]:
        assert entry["by"] == "alice" and entry["via"] == "review mark"
        at = datetime.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert timedelta(0) <= now - at < timedelta(hours=1)


def test_review_mark_prints_a_readable_line(reviewed):
    shot, *_, printed = reviewed
    path = shot.folder / "overrides.yaml"
    lines = [p.splitlines() for p in printed]
    assert lines[0][0].startswith("frames 1002: skip (pass through unswapped), by alice at ")
    assert lines[0][0].endswith(f" UTC via review mark → {path}")
    assert lines[1][0].startswith("frames 1004: hold frame 1003's alignment, by alice")
    assert lines[2][0].startswith("frames 1005: set feather=0.2, by alice")
    assert lines[3][0].startswith("frames 1006: approve as rendered, by alice")
    assert all("{" not in line for block in lines for line in block), "no Python dicts"
    assert lines[0][1] == f"re-render with: faceplate run {shot.spec_path} --only overridden"
    assert len(lines[3]) == 1, "an approval needs no re-render"


def test_only_overridden_frames_are_rendered_again(reviewed):
    shot, before, _, _, again, _ = reviewed
    assert "frames rendered: 3; already complete: 0" in again.stdout  # not the approval
    for f in shot.frames:
        changed = shot.output(f).stat().st_mtime_ns != before[f]
        assert changed == (f in (1002, 1004, 1005)), f


def test_skip_passes_the_frame_through(reviewed):
    shot, _, _, records, *_ = reviewed
    assert records[1002]["status"] == "passthrough" and records[1002]["faces"] == []
    assert "no_face" not in records[1002]["flags"]
    applied = records[1002]["overrides"][0]
    assert "skip (pass through unswapped), by alice at " in applied and "{" not in applied
    assert records[1002]["decisions"][0]["state"] == "applied"
    assert records[1006]["decisions"][0]["action"] == "approve"
    assert records[1006]["decisions"][0]["state"] == "recorded"
    plate = oiio.ImageBuf(str(shot.plate(1002))).get_pixels(oiio.HALF)
    out = oiio.ImageBuf(str(shot.output(1002))).get_pixels(oiio.HALF)
    np.testing.assert_array_equal(out.view(np.uint16), plate.view(np.uint16))


def test_hold_uses_the_other_frames_alignment(reviewed):
    _, _, _, records, *_ = reviewed
    assert records[1004]["faces"][0]["landmarks"] == records[1003]["faces"][0]["landmarks"]
    assert records[1004]["faces"][0]["origin"] == "held"


def test_set_changes_the_parameter_on_those_frames(reviewed):
    shot, _, mattes, *_ = reviewed

    def soft(m):
        return int(((m > 0.02) & (m < 0.98)).sum())

    assert soft(_pixels(shot.matte(1005))) > 1.5 * soft(mattes[1005])
    np.testing.assert_array_equal(_pixels(shot.matte(1006)), mattes[1006])


def test_bad_marks_are_refused_with_the_key(reviewed):
    shot, *_ = reviewed
    bad = run_cli("review", "mark", str(shot.spec_path), "1003", "--set", "sharpness=2")
    assert bad.returncode == 2 and "--set.sharpness: unknown parameter" in bad.stderr
    outside = run_cli("review", "mark", str(shot.spec_path), "900", "--skip")
    assert outside.returncode == 2 and "outside the plate range" in outside.stderr
    data = yaml.safe_load((shot.folder / "overrides.yaml").read_text())
    assert len(data["overrides"]) == 4
    both = run_cli("review", "mark", str(shot.spec_path), "1003", "--skip", "--approve")
    assert both.returncode == 2 and "exactly one of" in both.stderr


def test_only_flagged_renders_the_flagged_frames(reviewed):
    shot, *_ = reviewed
    qc = json.loads(shot.qc_json.read_text())
    flagged = [r["frame"] for r in qc["frames"] if r["flags"]]
    result = run_cli("run", str(shot.spec_path), "--only", "flagged", "--force")
    assert result.returncode == 0, result.stderr
    assert f"frames rendered: {len(flagged)}; already complete: 0" in result.stdout
    unchanged = run_cli("run", str(shot.spec_path), "--only", "flagged")
    assert unchanged.returncode == 0, unchanged.stderr
    assert f"frames rendered: 0; already complete: {len(flagged)}" in unchanged.stdout


def test_compare_shows_two_versions_side_by_side(reviewed):
    shot, *_ = reviewed
    result = run_cli("report", str(shot.spec_path), "--compare", str(shot.folder / "v001"),
                     str(shot.folder / "out" / "qc"))
    assert result.returncode == 0, result.stderr
    page = shot.folder / "out" / "qc" / "compare_v001_out" / "index.html"
    text = page.read_text()
    assert "v001 vs out" in text
    images = [p for p in page.parent.iterdir() if p.suffix == ".jpg"]
    assert len(images) >= 3
    rows = text.count('<tr id="frame-')
    assert rows == len({p.name.split("_")[0] for p in images})
    assert "Showing the first" not in text, "nothing left out on a short shot"


def test_review_mark_speaks_json_and_keeps_quiet(reviewed):
    shot, *_ = reviewed
    result = run_cli("review", "mark", str(shot.spec_path), "1001", "--approve", "--by", "bob",
                     "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["decision"]["frames"] == "1001"
    assert document["decision"]["action"] == "approve" and document["decision"]["by"] == "bob"
    assert document["rerender"] is None
    assert document["overrides"] == str(shot.folder / "overrides.yaml")
    quiet = run_cli("-q", "review", "mark", str(shot.spec_path), "1001", "--skip")
    assert quiet.returncode == 0 and quiet.stdout == ""
    entries = yaml.safe_load((shot.folder / "overrides.yaml").read_text())["overrides"]
    assert [(e["frames"], "approve" in e, "skip" in e) for e in entries[-2:]] == [
        ("1001", True, False), ("1001", False, True)]
