"""A real shot run through the installed CLI: real faces, real EXRs, real models."""

import hashlib
import json
import os
import subprocess

import numpy as np
import OpenImageIO as oiio
import pytest
from colour_reference import acescg_to_srgb_encoded
from conftest import OBAMA, make_shot, read_header, read_pixels, run_cli, tool

from faceplate.face.image8 import to_uint8
from faceplate.models.dlib_pack import identity_distance
from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.context import RunContext
from faceplate.plateio.write import read_matte
from faceplate.written import MANIFEST_NAME

pytestmark = pytest.mark.slow


def _read(path):
    return read_header(path), read_pixels(path)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, colour):
    shot = make_shot(tmp_path_factory.mktemp("e2e"), colour, "1001-1008")
    before = {f: (_digest(shot.plate(f)), shot.plate(f).stat().st_mtime_ns) for f in shot.frames}
    result = run_cli("run", str(shot.spec_path))
    return shot, result, before


def test_run_succeeds_and_writes_every_frame(rendered):
    shot, result, _ = rendered
    assert result.returncode == 0, result.stderr
    assert str(shot.qc_json) in result.stdout
    for f in shot.frames:
        assert shot.output(f).is_file() and shot.matte(f).is_file()
    leftovers = [n for n in os.listdir(shot.folder / "out") if n.startswith(".")]
    assert leftovers == [MANIFEST_NAME]  # no temporary; the manifest lists none
    assert json.loads((shot.folder / "out" / MANIFEST_NAME).read_text())["temporaries"] == []


def test_plate_is_never_written(rendered):
    shot, _, before = rendered
    after = {f: (_digest(shot.plate(f)), shot.plate(f).stat().st_mtime_ns) for f in shot.frames}
    assert after == before


def test_pixels_outside_the_matte_are_bit_identical(rendered):
    shot, _, _ = rendered
    for f in shot.frames:
        _, plate = _read(shot.plate(f))
        _, out = _read(shot.output(f))
        matte = read_matte(shot.matte(f), read_header(shot.plate(f)))[..., None]
        assert out.dtype == np.float16 and out.shape == plate.shape
        outside = matte[..., 0] == 0
        assert outside.mean() > 0.8
        np.testing.assert_array_equal(out.view(np.uint16)[outside], plate.view(np.uint16)[outside])
        # The depth AOV is carried through untouched everywhere.
        np.testing.assert_array_equal(out[..., 3].view(np.uint16), plate[..., 3].view(np.uint16))
        inside = matte[..., 0] > 0.9
        assert inside.sum() > 500
        change = np.abs(out[..., :3].astype(np.float32) - plate[..., :3].astype(np.float32))
        assert change[inside].mean() > 0.01


def _info(path):
    text = subprocess.run([tool("oiiotool"), "--info", "-v", str(path)], capture_output=True,
                          text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines() if not line.startswith("Reading ")]
    return [lines[0].split(" : ", 1)[1], *lines[1:]]


def test_header_survives_and_provenance_is_added(rendered):
    shot, _, _ = rendered
    plate_info, out_info = _info(shot.plate(1004)), _info(shot.output(1004))
    ours = ("faceplate/", "ImageDescription")
    kept = [line for line in out_info if not line.startswith(ours)]
    assert sorted(kept) == sorted(plate_info)
    assert any("data window" in line.lower() or "origin" in line.lower() for line in plate_info)
    spec, _ = _read(shot.output(1004))
    assert spec.getattribute("faceplate/aiAssisted") == 1
    assert spec.getattribute("faceplate/facesReplaced") == 1
    assert "actor_a.jpg (sha256 " in spec.get_string_attribute("faceplate/sources")
    models = spec.get_string_attribute("faceplate/models")
    assert "mediapipe-face-mesh" in models and "dlib-resnet-descriptor" in models
    assert "dlib-68" not in models  # the default run uses only commercially licensed models
    assert spec.get_string_attribute("faceplate/version")
    assert "AI-assisted face replacement" in spec.get_string_attribute("ImageDescription")
    assert (spec.x, spec.y, spec.full_width, spec.full_height) == (-16, -16, 640, 360)
    assert spec.get_string_attribute("compression") == "zip"


def test_matte_is_one_on_the_face_and_soft_at_the_edge(rendered):
    shot, _, _ = rendered
    qc = json.loads(shot.qc_json.read_text())
    record = qc["frames"][2]
    spec = read_header(shot.matte(record["frame"]))
    matte = read_matte(shot.matte(record["frame"]), read_header(shot.plate(record["frame"])))
    matte = matte[..., None]
    assert spec.nchannels == 1 and spec.format == oiio.FLOAT
    nose = np.round(record["faces"][0]["landmarks"][29]).astype(int)  # nose bridge
    # landmarks are display-window pixels; the data window starts at -16.
    assert matte[nose[1] + 16, nose[0] + 16, 0] == pytest.approx(1.0, abs=1e-3)
    values = matte[..., 0]
    assert values.min() == 0.0 and values.max() <= 1.0
    assert ((values > 0.05) & (values < 0.95)).sum() > 200


def test_qc_json_records_every_frame(rendered):
    shot, _, _ = rendered
    qc = json.loads(shot.qc_json.read_text())
    assert qc["schema"] == "faceplate.qc/1"
    assert [r["frame"] for r in qc["frames"]] == shot.frames
    assert qc["summary"]["frames"] == 8 and qc["summary"]["swapped"] == 8
    for record in qc["frames"]:
        assert record["status"] == "swapped"
        face = record["faces"][0]
        assert len(face["landmarks"]) == 68
        xs, ys = np.array(face["landmarks"]).T
        assert xs.min() > 0 and xs.max() < 640 and ys.min() > 0 and ys.max() < 360
        x0, y0, x1, y1 = face["bbox"]
        assert x0 < xs.mean() < x1 and y0 < ys.mean() < y1
        assert face["score"] > 0
    html = (shot.folder / "out" / "qc" / "index.html").read_text()
    assert "faceplate QC: tst010" in html and html.count("<tr") >= 8
    assert (shot.folder / "out" / "qc" / "contact_sheet.png").is_file()


def test_output_face_is_nearer_the_source_than_the_plate_face_was(rendered):
    shot, _, _ = rendered
    ctx = RunContext.create(None, environ={})
    source = find_face(OBAMA, "sRGB Encoded Rec.709 (sRGB)", ctx, key="test").descriptor
    qc = json.loads(shot.qc_json.read_text())
    measured = [r for r in qc["frames"]  # QC measures identity on the track's keyframes
                if r["faces"][0]["identity_distance_to_source"] is not None]
    assert measured[0] is qc["frames"][0] and measured[-1] is qc["frames"][-1]
    for record in measured:
        points = np.array(record["faces"][0]["landmarks"])
        _, plate = _read(shot.plate(record["frame"]))
        rgb = acescg_to_srgb_encoded(plate[16:-16, 16:-16, :3])  # not through faceplate.ocio
        original = identity_distance(ctx.face_pack.descriptor(to_uint8(rgb), points), source)
        swapped = record["faces"][0]["identity_distance_to_source"]
        assert swapped < original - 0.05, (record["frame"], swapped, original)


def test_a_chunk_rerender_is_bit_identical(rendered):
    shot, _, _ = rendered
    before = {f: _digest(shot.output(f)) for f in (1003, 1004)}
    result = run_cli("run", str(shot.spec_path), "--frames", "1003-1004", "--force")
    assert result.returncode == 0, result.stderr
    assert {f: _digest(shot.output(f)) for f in (1003, 1004)} == before
    assert "frames rendered: 2;" in result.stdout


def test_analysis_is_cached_until_the_plate_changes(rendered):
    shot, _, _ = rendered
    cache = shot.folder / "out" / "qc" / "cache" / "analysis.json"
    stamp = cache.stat().st_mtime_ns
    assert json.loads(cache.read_text())["schema"] == "faceplate.analysis/5"
    again = run_cli("analyse", str(shot.spec_path))
    assert again.returncode == 0, again.stderr
    assert cache.stat().st_mtime_ns == stamp
    plate = shot.plate(1002)
    times = (plate.stat().st_atime_ns, plate.stat().st_mtime_ns)
    os.utime(plate, ns=(times[0], times[1] + 10**9))
    try:
        changed = run_cli("analyse", str(shot.spec_path))
    finally:
        os.utime(plate, ns=times)
    assert changed.returncode == 0, changed.stderr
    assert cache.stat().st_mtime_ns != stamp


def test_default_run_lists_only_commercially_licensed_models(rendered):
    from faceplate.models.manifest import load_manifest
    shot, _, _ = rendered
    qc = json.loads(shot.qc_json.read_text())
    manifest = load_manifest()
    assert qc["models"][:4] == ["mediapipe-face-detection-full-range",
                                "mediapipe-face-detection-short-range", "mediapipe-face-mesh",
                                "mediapipe-iris"]
    assert all(manifest[m].commercial_use for m in qc["models"]), qc["models"]


def test_stage_files_of_the_68_point_version_are_rebuilt_never_misread(tmp_path, colour):
    """An analysis or sources file of the old schema (68 landmarks) is made again; an old
    tracks file is refused by name by a stage that only reads it."""
    shot = make_shot(tmp_path / "old", colour, "1001-1002")
    assert run_cli("run", str(shot.spec_path)).returncode == 0
    cache = shot.folder / "out" / "qc" / "cache"
    old = {"schema": "faceplate.analysis/1", "key": {}, "frames": []}
    (cache / "analysis.json").write_text(json.dumps(old))
    (cache / "sources.json").write_text(json.dumps({"schema": "faceplate.sources/1",
                                                    "sources": {}}))
    (cache / "tracks.json").write_text(json.dumps({"schema": "faceplate.tracks/3",
                                                   "swaps": []}))
    render = run_cli("render", str(shot.spec_path))
    assert render.returncode == 5 and "faceplate.tracks/7" in render.stderr, render.stderr
    result = run_cli("run", str(shot.spec_path))
    assert result.returncode == 0, result.stderr
    for name, schema in (("analysis", "faceplate.analysis/5"), ("sources", "faceplate.sources/2"),
                         ("tracks", "faceplate.tracks/7")):
        assert json.loads((cache / f"{name}.json").read_text())["schema"] == schema
    body = json.loads((cache / "analysis.json").read_text())
    assert np.array(body["frames"][0]["faces"][0]["landmarks"]).shape == (478, 3)
