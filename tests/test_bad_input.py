"""Bad input: a clear one-line error naming the key, file or frame, and nothing lost."""

import json

import numpy as np
import OpenImageIO as oiio
import pytest
import yaml
from conftest import make_shot, run_cli

from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, colour):
    """Frames 1001-1006: 1002 holds NaN/Inf in a corner, 1003 is missing, 1004 is not an
    EXR, 1005 holds no face."""
    shot = make_shot(tmp_path_factory.mktemp("bad"), colour, "1001-1006")
    frame = read_frame(shot.plate(1002), 1002)
    frame.pixels[:4, :4, 0] = np.float16("nan")
    frame.pixels[:4, :4, 1] = np.float16("inf")
    write_image(shot.plate(1002), frame.spec, frame.pixels)
    shot.plate(1003).unlink()
    shot.plate(1004).write_bytes(b"this is not an exr")
    faceless = read_frame(shot.plate(1005), 1005)
    faceless.pixels[..., :3] = np.float16(0.18)
    write_image(shot.plate(1005), faceless.spec, faceless.pixels)
    result = run_cli("run", str(shot.spec_path))
    qc = json.loads(shot.qc_json.read_text())
    return shot, result, {r["frame"]: r for r in qc["frames"]}


def test_exit_code_and_one_line_error_naming_the_frames(damaged):
    _, result, _ = damaged
    assert result.returncode == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1
    assert "1003-1004" in errors[0] and "qc.json" in errors[0]


def test_the_rest_of_the_shot_carries_on(damaged):
    shot, _, records = damaged
    for f in (1001, 1002, 1005, 1006):
        assert shot.output(f).is_file() and shot.matte(f).is_file()
    for f in (1003, 1004):
        assert not shot.output(f).exists()
    assert records[1001]["status"] == records[1006]["status"] == "swapped"


def test_missing_and_unreadable_frames_are_flagged_with_reasons(damaged):
    _, _, records = damaged
    assert records[1003]["status"] == "missing" and records[1003]["flags"] == ["missing_frame"]
    assert "tst010.1003.exr" in records[1003]["reasons"]["missing_frame"]
    assert records[1004]["status"] == "unreadable"
    assert records[1004]["flags"] == ["unreadable_frame"]


def test_non_finite_pixels_are_flagged_and_kept(damaged):
    shot, _, records = damaged
    assert "non_finite_pixels" in records[1002]["flags"]
    assert records[1002]["nonfinite_pixels"] == 32
    assert records[1002]["status"] == "swapped"
    out = oiio.ImageBuf(str(shot.output(1002))).get_pixels(oiio.HALF)
    assert np.isnan(out[:4, :4, 0]).all() and np.isinf(out[:4, :4, 1]).all()


def test_a_frame_without_a_face_passes_through_unchanged(damaged):
    shot, _, records = damaged
    assert records[1005]["status"] == "passthrough"
    assert records[1005]["flags"] == ["no_face"]
    plate = oiio.ImageBuf(str(shot.plate(1005))).get_pixels(oiio.HALF)
    out = oiio.ImageBuf(str(shot.output(1005))).get_pixels(oiio.HALF)
    np.testing.assert_array_equal(out.view(np.uint16), plate.view(np.uint16))
    matte = oiio.ImageBuf(str(shot.matte(1005))).get_pixels(oiio.FLOAT)
    assert not matte.any()


def test_summary_counts_what_happened(damaged):
    shot, _, _ = damaged
    summary = json.loads(shot.qc_json.read_text())["summary"]
    assert summary["missing"] == 1 and summary["unreadable"] == 1
    assert summary["passthrough"] == 1 and summary["swapped"] == 3
    assert summary["flags"]["no_face"] == 1


def _spec_error(tmp_path, colour, mutate):
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    data = yaml.safe_load(shot.spec_path.read_text())
    mutate(data, shot)
    shot.spec_path.write_text(yaml.safe_dump(data))
    result = run_cli("run", str(shot.spec_path))
    assert not (shot.folder / "out").exists(), "nothing may be written on a spec error"
    return result


@pytest.mark.parametrize("mutate,expected", [
    (lambda d, s: d["plate"].update(colourspace="ACEScg"), "ERROR: plate.colourspace: unknown key"),
    (lambda d, s: d["plate"].update(colorspace="ACEScgg"),
     "ERROR: plate.colorspace: unknown colourspace 'ACEScgg'"),
    (lambda d, s: d["sources"]["actor_a"].update(images=["refs/missing.jpg"]),
     "ERROR: sources.actor_a.images[0]: file not found"),
    (lambda d, s: d["output"].update(path="plates/tst010.####.exr"),
     "ERROR: output.path: would overwrite the plate"),
])
def test_spec_errors_stop_before_anything_is_written(tmp_path, colour, mutate, expected):
    result = _spec_error(tmp_path, colour, mutate)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr


def test_a_source_without_a_face_is_named(tmp_path, colour):
    def faceless_source(data, shot):
        blank = shot.folder / "refs" / "blank.png"
        spec = oiio.ImageSpec(64, 64, 3, oiio.UINT8)
        out = oiio.ImageOutput.create(str(blank))
        out.open(str(blank), spec)
        out.write_image(np.full((64, 64, 3), 128, np.uint8))
        out.close()
        data["sources"]["actor_a"]["images"] = ["refs/blank.png"]
    result = _spec_error(tmp_path, colour, faceless_source)
    assert result.returncode == 2
    assert "sources.actor_a.images[0]: no face found in" in result.stderr
    assert "blank.png" in result.stderr


def test_frames_outside_the_plate_range_are_refused(tmp_path, colour):
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    result = run_cli("run", str(shot.spec_path), "--frames", "990-1001")
    assert result.returncode == 2
    assert "ERROR: frames: frames 990-1000 are outside the plate range 1001-1002" in result.stderr
    assert not (shot.folder / "out").exists()


def test_render_and_report_print_their_json_document_before_exiting_3(damaged):
    """``--json`` still gives the document when frames fail: render's names the failed frames
    (the others already complete), report's summary names them, each before the exit 3."""
    shot, _, _ = damaged
    render = run_cli("render", str(shot.spec_path), "--json")
    assert render.returncode == 3, render.stderr
    done = json.loads(render.stdout)
    assert done["failed"] == "1003-1004" and done["reused"] == "1001-1002,1005-1006"
    assert done["rendered"] == "1003-1004"  # tried again (as run's document counts them)
    report = run_cli("report", str(shot.spec_path), "--json")
    assert report.returncode == 3, report.stderr
    summary = json.loads(report.stdout)["summary"]
    assert summary["failed_frames"] == "1003-1004"
    assert json.loads(report.stdout)["qc"] == str(shot.qc_json)


def test_a_run_with_failed_frames_prints_its_lines_and_document_before_exiting_3(damaged):
    """``run`` too: its three lines, or with ``--json`` its document (the failed frames, the
    report written), before the exit 3 and its one error line."""
    shot, _, _ = damaged
    text = run_cli("run", str(shot.spec_path))
    assert text.returncode == 3
    assert text.stdout.splitlines()[1:] == [f"qc: {shot.qc_json}",
                                            f"report: {shot.qc_json.parent / 'index.html'}"]
    assert text.stdout.startswith("frames rendered: 2; already complete: 4; flagged in shot:")
    document = run_cli("run", str(shot.spec_path), "--json")
    assert document.returncode == 3
    done = json.loads(document.stdout)
    assert done["failed"] == "1003-1004" and done["reused"] == "1001-1002,1005-1006"
    assert done["qc"] == str(shot.qc_json)
    assert len([line for line in document.stderr.splitlines() if line.startswith("ERROR:")]) == 1
