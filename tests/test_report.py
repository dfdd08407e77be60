"""The QC report: metrics and flags in qc.json, and the page as a real browser shows it."""

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from conftest import make_shot, run_cli

from faceplate.nodes import ShotNode
from faceplate.pipeline.report import gallery
from faceplate.pipeline.report.stage import check_matte_jumps
from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image
from faceplate.written import Manifest


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


def test_report_of_a_shot_never_rendered_says_so(tmp_path, colour):
    shot = make_shot(tmp_path / "shot", colour, "1001-1002", overscan=0, depth_channel=False)
    result = run_cli("report", str(shot.spec_path))
    assert result.returncode == 5, result.stdout + result.stderr
    assert "nothing rendered yet" in result.stderr and "0 frames flagged" not in result.stdout
    assert not shot.qc_json.exists()


def test_the_page_lists_its_images_and_sizes(flagged_shot):
    qc = flagged_shot.folder / "out" / "qc"
    page = (qc / "index.html").read_text()
    proxies = sorted(p.name for p in (qc / "review" / "proxy").glob("*.jpg"))
    assert proxies == sorted(Manifest(qc / "review" / "proxy").names()), "all listed as written"
    assert proxies == sorted(f"{f}.{k}.jpg" for f in flagged_shot.frames
                             for k in ("plate", "result"))
    width = {cv2.imread(str(qc / "review" / "proxy" / n)).shape[1] for n in proxies}
    assert width == {640}, "the plate is 640 wide: proxies at most 640"
    assert f"Flipbook proxies: {len(proxies)} JPEGs at most 640 px wide" in page
    crops = sorted(p.name for p in (qc / "review" / "crop").glob("*.png"))
    assert "1003.plate.png" in crops and "1003.diff.png" in crops
    assert "<script" in page and "{{" not in page and "{%" not in page


def test_a_shot_with_no_face_gets_one_set_of_crops_and_lists_every_frame(tmp_path, colour):
    """Four frames of a grey card: every frame flagged ``no_face``, one run, so one set of
    crops (its first frame's); the page still lists each flagged frame and says whose crops
    it shows; a frame passed through unchanged shows the plate's proxy as its result."""
    shot = make_shot(tmp_path / "shot", colour, "1001-1004", overscan=0, depth_channel=False)
    for f in shot.frames:
        grey = read_frame(shot.plate(f), f)
        grey.pixels[..., :3] = np.float16(0.18) + np.float16(0.01) * (f - 1001)
        write_image(shot.plate(f), grey.spec, grey.pixels)
    result = run_cli("run", str(shot.spec_path))
    assert result.returncode == 0, result.stderr
    qc = shot.folder / "out" / "qc"
    frames = json.loads(shot.qc_json.read_text())["frames"]
    assert [r["flags"] for r in frames] == [["no_face"]] * 4
    crops = sorted(p.name for p in (qc / "review" / "crop").glob("*.png"))
    assert crops == sorted(f"1001.{k}.png" for k in ("plate", "result", "matte", "diff"))
    page = (qc / "index.html").read_text()
    for f in shot.frames:
        assert f'<a href="#f{f}" data-frame="{f}"' in page, f"flagged frame {f} listed"
    assert page.count("the crops shown are frame 1001") == 3
    assert '"crops_of": 1001' in page and '"crops_of": 1002' not in page
    for f in shot.frames:  # each frame's own grey: the plate's proxy is its own frame's
        plate = cv2.imread(str(qc / "review" / "proxy" / f"{f}.plate.jpg"))
        shown = cv2.imread(str(qc / "review" / "proxy" / f"{f}.result.jpg"))
        assert np.array_equal(plate, shown)
        out = read_frame(shot.output(f), f).pixels[..., :3]
        assert np.array_equal(out, read_frame(shot.plate(f), f).pixels[..., :3])
    levels = [float(cv2.imread(str(qc / "review" / "proxy" / f"{f}.result.jpg")).mean())
              for f in shot.frames]
    assert levels == sorted(levels) and levels[0] < levels[-1]


def test_crops_are_made_in_threads_no_more_frames_at_once_than_the_workers(
        flagged_shot, monkeypatch):
    """The report's crops are made CROP_WORKERS frames at a time, each frame's images dropped
    once its crops are made; every frame due for crops gets all four."""
    qc = flagged_shot.folder / "out" / "qc"
    shutil.rmtree(qc / "review")
    lock, started, released = threading.Lock(), [], []
    together = threading.Event()  # set once the first CROP_WORKERS frames' crops have started
    real_make, real_release = gallery._make_crops, gallery._Sources.release

    def make(*args, **kwargs):
        with lock:
            started.append(args[0])
            first = len(started) <= gallery.CROP_WORKERS
            if len(started) == gallery.CROP_WORKERS:
                together.set()
        # the first frames wait for each other: they can only all start if they run at once
        # (the timeout only ends a test whose crops run one after another)
        if first and not together.wait(timeout=60):
            raise AssertionError("the first frames' crops did not run at the same time")
        return real_make(*args, **kwargs)

    def release(self):
        with lock:
            released.append(self.frame)
        return real_release(self)

    outstanding, most_outstanding = [0], [0]

    class Counted(ThreadPoolExecutor):
        """Counts the crop tasks handed over and not finished (queued ones too)."""

        def submit(self, fn, *args, **kwargs):
            if fn is not gallery._crops:
                return super().submit(fn, *args, **kwargs)
            with lock:
                outstanding[0] += 1
                most_outstanding[0] = max(most_outstanding[0], outstanding[0])

            def counted():
                try:
                    return fn(*args, **kwargs)
                finally:  # before its future is done: no waiter sees it still counted
                    with lock:
                        outstanding[0] -= 1
            return super().submit(counted)

    monkeypatch.setattr(gallery, "_make_crops", make)
    monkeypatch.setattr(gallery._Sources, "release", release)
    monkeypatch.setattr(gallery, "ThreadPoolExecutor", Counted)
    ShotNode.from_file(flagged_shot.spec_path).report()
    crops = sorted(p.name for p in (qc / "review" / "crop").glob("*.png"))
    framed = sorted({name.split(".")[0] for name in crops})
    assert len(framed) >= 3, crops
    assert crops == sorted(f"{f}.{k}.png" for f in framed for k in gallery.CROP_KINDS)
    assert sorted(started) == [int(f) for f in framed]
    # no more frames handed over (their images held) than are being cropped
    assert most_outstanding[0] == gallery.CROP_WORKERS
    assert sorted(released) == list(range(1001, 1006))  # every frame's images, once
