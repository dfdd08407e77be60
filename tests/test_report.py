"""The QC report: metrics and flags in qc.json, and the page as a real browser shows it."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import make_shot, run_cli

from faceplate.pipeline.report.html import svg_plot
from faceplate.pipeline.report.stage import check_matte_jumps
from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image


def test_matte_jumps_are_flagged_with_value_and_threshold():
    records = [{"frame": 1001, "matte_area": 1000.0, "flags": [], "reasons": {}},
               {"frame": 1002, "matte_area": 1100.0, "flags": [], "reasons": {}},
               {"frame": 1003, "matte_area": 1600.0, "flags": [], "reasons": {}},
               {"frame": 1005, "matte_area": 100.0, "flags": [], "reasons": {}}]
    check_matte_jumps(records, 0.25)
    assert records[1]["flags"] == [] and records[1]["matte_change"] == pytest.approx(0.1)
    assert records[2]["flags"] == ["matte_jump"]
    assert "0.455 > 0.25" in records[2]["reasons"]["matte_jump"]
    assert records[3]["flags"] == []  # 1004 is not there: no neighbour to compare


def test_svg_plot_scales_points_into_the_box():
    svg = svg_plot("identity", [(1001, 0.5), (1002, 0.7), (1003, 0.6)], threshold=0.68)
    assert svg.startswith("<svg") and "stroke-dasharray" in svg
    points = svg.split('points="')[1].split('"')[0].split()
    xs = [float(p.split(",")[0]) for p in points]
    assert xs == sorted(xs) and len(points) == 3


@pytest.fixture(scope="module")
def flagged_shot(tmp_path_factory, colour):
    shot = make_shot(tmp_path_factory.mktemp("report"), colour, "1001-1005")
    faceless = read_frame(shot.plate(1003), 1003)
    faceless.pixels[..., :3] = np.float16(0.18)
    write_image(shot.plate(1003), faceless.spec, faceless.pixels)
    result = run_cli("run", str(shot.spec_path))
    assert result.returncode == 0, result.stderr
    return shot


def test_qc_json_holds_the_metrics(flagged_shot):
    qc = json.loads(flagged_shot.qc_json.read_text())
    assert qc["thresholds"]["max_identity_distance"] == 0.68
    summary = qc["summary"]
    assert summary["flagged_frames"] == "1003"
    assert summary["worst_frames"][0]["frame"] == 1003
    assert set(summary["seconds"]) == {"analyse", "solve", "render"}
    assert summary["execution_provider"]
    face = qc["frames"][0]["faces"][0]
    for key in ("score", "identity_distance_to_source", "identity_distance_to_original",
                "jitter", "pose", "matte_area", "seam"):
        assert face[key] is not None, key
    assert len(face["pose"]) == 3 and abs(face["pose"][0]) < 30
    assert face["identity_distance_to_original"] > 0.3
    assert 0 < face["seam"] < 12
    assert qc["frames"][0]["matte_area"] == pytest.approx(face["matte_area"], rel=1e-3)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium on this machine (Debian package chromium): browser check skipped")


_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--virtual-time-budget=5000"]


def test_the_page_renders_its_flagged_frames_in_a_browser(flagged_shot, tmp_path):
    browser = _chromium()
    page = (flagged_shot.folder / "out" / "qc" / "index.html").as_uri()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([browser, *_FLAGS, *profile, "--dump-dom", page], capture_output=True,
                         text=True, timeout=120).stdout
    assert 'id="sheet-1003"' in dom and "no_face" in dom
    loaded = int(dom.split('data-images-loaded="')[1].split('"')[0])
    total = int(dom.split('data-images="')[1].split('"')[0])
    assert total >= 6 and loaded == total
    shot = tmp_path / "page.png"
    subprocess.run([browser, *_FLAGS, *profile, "--window-size=1200,1600",
                    f"--screenshot={shot}", page], capture_output=True, timeout=120)
    import cv2
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (1600, 1200)
    assert image.std() > 10, "the page should not be blank"
