"""The review page in a real headless Chromium (Debian's, through Playwright), decisions taken
from it through ``faceplate review serve``, and ``review.otio`` through OpenTimelineIO.

The shot: 8 frames; 1003 has no face (a grey card: ``no_face``), 1006 four NaN values in a
corner (``non_finite_pixels``, its face still swapped), so two flagged frames a reviewer steps
between, one of them with a face to wipe across."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
import yaml
from conftest import BIN, make_shot, run_cli

from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shot(tmp_path_factory, colour):
    shot = make_shot(tmp_path_factory.mktemp("page"), colour, "1001-1008", overscan=0,
                     depth_channel=False)
    grey = read_frame(shot.plate(1003), 1003)
    grey.pixels[..., :3] = np.float16(0.18)
    write_image(shot.plate(1003), grey.spec, grey.pixels)
    nan = read_frame(shot.plate(1006), 1006)
    nan.pixels[2:4, 2:4, 0] = np.float16(np.nan)
    write_image(shot.plate(1006), nan.spec, nan.pixels)
    result = run_cli("run", str(shot.spec_path))
    assert result.returncode == 0, result.stderr
    return shot


def _qc(shot):
    return json.loads(shot.qc_json.read_text())


def _page(shot) -> Path:
    return shot.folder / "out" / "qc" / "index.html"


class Server:
    """``faceplate review serve`` running for a test, stopped with Ctrl-C (SIGINT)."""

    def __init__(self, spec: Path, by: str) -> None:
        exe = shutil.which("faceplate", path=str(BIN))
        env = {k: v for k, v in os.environ.items() if k != "OCIO"}
        self.proc = subprocess.Popen([exe, "review", "serve", str(spec), "--by", by],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)
        first = self.proc.stdout.readline()
        assert first.startswith("review page: http://127.0.0.1:"), (
            first + self.proc.stderr.read())
        self.url = first.split(": ", 1)[1].strip()
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stop(self, how: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(how)
        out, _ = self.proc.communicate(timeout=30)
        return self.proc.returncode, out

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def _stamps(shot):
    records = shot.folder / "out" / "qc" / "frames"
    return {f: (shot.output(f).stat().st_mtime_ns, shot.matte(f).stat().st_mtime_ns,
                (records / f"{f}.json").stat().st_mtime_ns) for f in shot.frames}


def _element_png(locator) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(locator.screenshot(), np.uint8), cv2.IMREAD_COLOR)


def test_review_in_chromium_then_only_the_skipped_frame_renders_again(shot, browser_page):
    """Open a flagged frame, look at its crops at 1:1 and 2:1, wipe, step to the next flagged
    frame, skip it through `review serve`; then `run --only overridden` renders just it."""
    page = browser_page
    qc = _qc(shot)
    flagged = [r["frame"] for r in qc["frames"] if r["flags"]]
    assert 1003 in flagged and 1006 in flagged
    server = Server(shot.spec_path, "tester")
    try:
        page.goto(server.url)
        assert page.locator("#decide").is_visible(), "served: the decision controls show"
        assert not page.locator("#mode-static").is_visible()

        # open a flagged frame from the list
        page.click('#flagged-list a[data-frame="1003"]')
        assert page.get_attribute("body", "data-frame") == "1003"
        info = page.locator('.info[data-frame="1003"]')
        assert info.is_visible() and "no_face" in info.inner_text()
        assert "passed through unswapped" in info.inner_text()  # the one-line explanation
        assert page.locator('.crops[data-frame="1003"]').is_visible()

        # next flagged frame: the one after 1003 in qc.json
        expected_next = min(f for f in flagged if f > 1003)
        page.keyboard.press("n")
        assert page.get_attribute("body", "data-frame") == str(expected_next) == "1006"
        crops = page.locator('.crops[data-frame="1006"]')
        assert crops.is_visible() and not page.locator('.crops[data-frame="1003"]').is_visible()
        info = page.locator('.info[data-frame="1006"]')
        assert "non_finite_pixels" in info.inner_text()
        assert "NaN/Inf values in the plate's RGB: 4" in info.inner_text()  # metric: value
        plate_img = crops.locator('figure.crop img[data-kind="plate"]')
        plate_img.evaluate("i => i.decode()")
        natural, shown = plate_img.evaluate("i => [i.naturalWidth, i.clientWidth]")
        assert natural > 160 and shown == natural, "1:1: one image pixel per CSS pixel"
        page.keyboard.press("z")
        assert plate_img.evaluate("i => i.clientWidth") == 2 * natural, "2:1"
        page.keyboard.press("z")
        assert plate_img.evaluate("i => i.clientWidth") == natural

        # wipe: left of the divider is the plate, right of it the result
        wipe = crops.locator(".wipe")
        for img in wipe.locator("img").all():
            img.evaluate("i => i.decode()")
        crop_dir = shot.folder / "out" / "qc" / "review" / "crop"
        plate = cv2.imread(str(crop_dir / "1006.plate.png")).astype(float)
        result = cv2.imread(str(crop_dir / "1006.result.png")).astype(float)
        assert np.abs(plate - result).mean() > 3, "the swap changed the face"
        box = wipe.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
        position = float(wipe.evaluate("w => w.style.getPropertyValue('--pos')").rstrip("%"))
        assert 48 <= position <= 52
        h, w = plate.shape[:2]
        seen = cv2.resize(_element_png(wipe), (w, h), interpolation=cv2.INTER_AREA).astype(float)
        # columns where the swap changed the picture, on either side of the divider at 50%
        # (the face, centred in the crop)
        changed = np.abs(plate - result).mean(axis=(0, 2)) > 8
        columns = np.arange(w)
        left = columns[changed & (columns < 0.5 * w - 3)]
        right = columns[changed & (columns > 0.5 * w + 3)]
        assert len(left) > 20 and len(right) > 3

        def off(a, b, cols):
            return np.abs(a[:, cols] - b[:, cols]).mean()

        assert off(seen, plate, left) < off(seen, result, left) / 2, "plate left of the wipe"
        assert off(seen, result, right) < off(seen, plate, right) / 2, "result right of it"
        crops.locator(".wipe-pos").fill("20")
        assert wipe.evaluate("w => w.style.getPropertyValue('--pos')") == "20%"
        assert "20%" in wipe.locator("img.over").evaluate("i => getComputedStyle(i).clipPath")

        # skip frame 1006 from the page
        assert page.input_value("#decide-frames") == "1006"
        page.click('#decide button[data-action="skip"]')
        page.wait_for_selector("#decide-status.done")
        status = page.inner_text("#decide-status")
        assert "frames 1006: skip (pass through unswapped), by tester" in status
        assert "--only overridden" in status
        assert "skip (pass through unswapped)" in info.inner_text()
    finally:
        code, out = server.stop()
    assert code == 0 and "frames 1006: skip (pass through unswapped), by tester" in out
    entries = yaml.safe_load((shot.folder / "overrides.yaml").read_text())["overrides"]
    assert len(entries) == 1
    entry = entries[0]
    assert {k: entry[k] for k in ("frames", "skip", "by", "via")} == {
        "frames": "1006", "skip": True, "by": "tester", "via": "review serve"}
    assert entry["at"].endswith("Z") and len(entry["at"]) == 20

    before = _stamps(shot)
    again = run_cli("run", str(shot.spec_path), "--only", "overridden")
    assert again.returncode == 0, again.stderr
    assert "frames rendered: 1; already complete: 0" in again.stdout
    after = _stamps(shot)
    changed = sorted(f for f in shot.frames if after[f] != before[f])
    assert changed == [1006]
    assert all(a != b for a, b in zip(after[1006], before[1006])), "output, matte and record"
    record = json.loads((shot.folder / "out" / "qc" / "frames" / "1006.json").read_text())
    assert record["status"] == "passthrough" and record["faces"] == []
    assert any("skip" in o and "by tester" in o for o in record["overrides"])
    decisions = {r["frame"]: r["decisions"] for r in _qc(shot)["frames"]}
    assert decisions[1006][0]["by"] == "tester" and decisions[1006][0]["state"] == "applied"
    assert decisions[1005] == []


def test_the_static_page_is_read_only_and_steps_through_the_shot(shot, browser_page):
    page = browser_page
    page.clock.install(time=1_000_000)
    page.clock.pause_at(1_001_000)  # time stands still but for run_for: no test on timing
    page.goto(_page(shot).as_uri() + "#f1001")
    assert not page.locator("#decide").is_visible()
    assert page.locator("#mode-static").is_visible()
    assert "faceplate review serve" in page.inner_text("#mode-static")
    assert page.get_attribute("body", "data-frame") == "1001"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("body", "data-frame") == "1003"
    assert page.get_attribute("#fb-img", "src") == "review/proxy/1003.result.jpg"
    page.keyboard.press("t")
    assert page.get_attribute("#fb-img", "src") == "review/proxy/1003.plate.jpg"
    page.keyboard.press("t")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("body", "data-frame") == "1002"
    flagged = [r["frame"] for r in _qc(shot)["frames"] if r["flags"]]
    page.keyboard.press("End")
    page.keyboard.press("p")
    assert page.get_attribute("body", "data-frame") == str(max(flagged))

    # play at the plate's 24 fps: 5 ticks of a fake clock are 5 frames
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    page.clock.run_for(5 * 1000 / 24 + 1)
    assert page.get_attribute("body", "data-frame") == "1006"
    page.keyboard.press(" ")
    page.clock.run_for(1000)
    assert page.get_attribute("body", "data-frame") == "1006", "paused"

    # loop between marks 1002 and 1004: from 1004, ticks go 1002, 1003, 1004, 1002
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    page.keyboard.press("l")
    page.keyboard.press(" ")
    seen = []
    for _ in range(4):
        page.clock.run_for(1000 / 24)
        seen.append(page.get_attribute("body", "data-frame"))
    assert seen == ["1002", "1003", "1004", "1002"]
    page.keyboard.press(" ")


def test_the_page_shows_every_flag_and_plots_with_gaps(shot, browser_page):
    page = browser_page
    page.goto(_page(shot).as_uri())
    qc = _qc(shot)
    flagged = [r for r in qc["frames"] if r["flags"]]
    chips = page.locator("#flagged-list a").all_inner_texts()
    assert chips == [str(r["frame"]) for r in flagged], "every flagged frame, none left out"
    rows = page.locator("#frames tbody tr")
    assert rows.count() == len(shot.frames)
    for r in flagged:
        text = page.locator(f"#frame-{r['frame']}").inner_text()
        for name, reason in r["reasons"].items():
            assert name in text and reason in text, "reasons on the page, not in tooltips"
    # identity over the shot: a line broken where there is no face (1003, and 1006 once the
    # other test has skipped it), going on through faces whose identity was not measured (QC
    # measures it on a cadence): one polyline per run of frames with a face that has two or
    # more measured values, a dot for a run with one
    with_face = [bool(r["faces"]) for r in qc["frames"]]
    marks = "".join(" " if not r["faces"] else
                    "m" if r["faces"][0]["identity_distance_to_source"] is not None else "-"
                    for r in qc["frames"])
    runs = [run.count("m") for run in marks.split()]
    assert not all(with_face) and "-" in marks
    identity = page.locator("#plot-identity_distance_to_source")
    assert identity.locator("polyline").count() == sum(n > 1 for n in runs) >= 1
    assert identity.locator("circle.series-dot").count() == sum(n == 1 for n in runs)
    assert identity.locator("rect.no-face").count() == with_face.count(False)
    # a plot per flagged metric, and the flags without a number
    nonfinite = page.locator("#plot-nonfinite_pixels")
    assert nonfinite.locator("circle.flagged-point").count() == 1
    assert "no_face" in page.locator("#plot-events").inner_text()
    summary = page.locator(".summary").inner_text()
    assert '""' not in summary and "{}" not in summary
    assert "1002-1003,1006" in summary or qc["summary"]["flagged_frames"] in summary


def test_face_crops_are_cut_from_the_full_resolution_frame_at_one_to_one(shot, colour):
    """The result crop of 1005 (a sample frame no other test changes) is found, pixel for pixel,
    in the whole output frame shown through the same display and view (computed here with OCIO
    directly), around its face."""
    qc = _qc(shot)
    record = next(r for r in qc["frames"] if r["frame"] == 1005)
    crop = cv2.imread(str(shot.folder / "out/qc/review/crop/1005.result.png"))
    buf = oiio.ImageBuf(str(shot.output(1005)))
    rgb = np.asarray(buf.get_pixels(oiio.FLOAT))[..., :3].copy()
    config = colour.config
    display = config.getDefaultDisplay()
    transform = ocio.DisplayViewTransform(src="ACEScg", display=display,
                                          view=config.getDefaultView(display))
    config.getProcessor(transform).getDefaultCPUProcessor().applyRGB(rgb)
    full = cv2.cvtColor(np.clip(np.rint(np.clip(rgb, 0, 1) * 255), 0, 255).astype(np.uint8),
                        cv2.COLOR_RGB2BGR)
    x0, y0, x1, y1 = record["faces"][0]["bbox"]
    assert crop.shape[0] >= (y1 - y0) and crop.shape[1] >= (x1 - x0)
    scores = cv2.matchTemplate(full, crop, cv2.TM_SQDIFF)
    best, _, (bx, by), _ = cv2.minMaxLoc(scores)
    assert best / crop.size < 1.0, "the crop is the frame's own pixels at 1:1"
    assert bx <= x0 and by <= y0 and bx + crop.shape[1] >= x1 and by + crop.shape[0] >= y1


def test_review_otio_round_trips_with_a_marker_per_flagged_frame(shot):
    path = shot.folder / "out" / "qc" / "review.otio"
    timeline = otio.adapters.read_from_file(str(path))
    again = otio.adapters.read_from_string(otio.adapters.write_to_string(timeline))
    assert otio.adapters.write_to_string(again) == otio.adapters.write_to_string(timeline)
    assert [t.name for t in timeline.tracks] == ["plate", "result"]
    for track, first_file in zip(timeline.tracks, (shot.plate(1001), shot.output(1001))):
        (clip,) = list(track)
        ref = clip.media_reference
        assert isinstance(ref, otio.schema.ImageSequenceReference)
        assert ref.rate == 24 and ref.start_frame == 1001 and ref.frame_zero_padding == 4
        assert ref.number_of_images_in_sequence() == 8
        assert ref.target_url_for_image_number(0) == first_file.as_uri()
        assert clip.source_range.start_time.value == 1001
        assert clip.source_range.duration.value == 8
    assert timeline.global_start_time.value == 1001
    qc = _qc(shot)
    flagged = {r["frame"]: r for r in qc["frames"] if r["flags"]}
    markers = list(timeline.tracks[1][0].markers)
    assert sorted(int(m.marked_range.start_time.value) for m in markers) == sorted(flagged)
    for m in markers:
        record = flagged[int(m.marked_range.start_time.value)]
        assert m.name == ", ".join(record["flags"])
        for reason in record["reasons"].values():
            assert reason in m.comment


def test_markers_a_reviewer_added_come_back_as_decisions(shot, tmp_path):
    copy = tmp_path / "shot"
    shutil.copytree(shot.folder, copy, ignore=shutil.ignore_patterns("overrides.yaml"))
    timeline = otio.adapters.read_from_file(str(copy / "out" / "qc" / "review.otio"))
    timeline.metadata["faceplate"]["spec"] = str(copy / "shot.yaml")
    rate = 24

    def marker(name, start, length=1):
        span = otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                       otio.opentime.RationalTime(length, rate))
        return otio.schema.Marker(name=name, marked_range=span)

    plate_track, result_track = timeline.tracks
    result_track[0].markers.extend([marker("skip", 1004), marker("HOLD 1002", 1007, 2),
                                    marker("check the eyes", 1005)])
    plate_track.markers.append(marker("set feather=0.2", 1))  # track time: 1002
    timeline.tracks.markers.append(marker("approve", 0))       # the stack's time: 1001
    edited = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(edited))

    result = run_cli("review", "import-otio", str(edited), "--by", "sup")
    assert result.returncode == 0, result.stderr
    assert "not a decision, left out: marker 'check the eyes'" in result.stdout
    assert "4 decision(s) imported" in result.stdout
    overrides = copy / "overrides.yaml"
    entries = yaml.safe_load(overrides.read_text())["overrides"]
    got = sorted((e["frames"], next(k for k in ("skip", "hold", "set", "approve") if k in e),
                  e.get("hold"), e.get("set")) for e in entries)
    assert got == [("1001", "approve", None, None), ("1002", "set", None, {"feather": 0.2}),
                   ("1004", "skip", None, None), ("1007-1008", "hold", 1002, None)]
    assert {(e["by"], e["via"]) for e in entries} == {("sup", "otio edited.otio")}

    text = overrides.read_text()
    twice = run_cli("review", "import-otio", str(edited), "--by", "sup")
    assert twice.returncode == 0 and "0 decision(s) imported" in twice.stdout
    assert overrides.read_text() == text
    document = json.loads(run_cli("review", "import-otio", str(edited), "--json").stdout)
    assert document["imported"] == [] and len(document["already"]) == 4
    (left_out,) = document["left_out"]
    assert left_out.startswith("marker 'check the eyes' on clip")

    result_track[0].markers.append(marker("hold soon", 1003))
    otio.adapters.write_to_file(timeline, str(edited))
    bad = run_cli("review", "import-otio", str(edited))
    assert bad.returncode == 2
    assert "ERROR: marker 'hold soon' on clip" in bad.stderr and "hold N" in bad.stderr
    assert overrides.read_text() == text

    result_track[0].markers.pop()
    result_track[0].markers.append(marker("set sharpness=2", 1003))
    otio.adapters.write_to_file(timeline, str(edited))
    unknown = run_cli("review", "import-otio", str(edited))
    assert unknown.returncode == 2
    assert "ERROR: marker 'set sharpness=2' on clip" in unknown.stderr
    assert ".sharpness: unknown parameter" in unknown.stderr
    assert overrides.read_text() == text


def test_the_server_refuses_what_is_not_a_decision_of_its_session(shot, tmp_path):
    copy = tmp_path / "shot"
    shutil.copytree(shot.folder, copy, ignore=shutil.ignore_patterns("overrides.yaml"))
    server = Server(copy / "shot.yaml", "guard")
    try:
        status, page = server.request("GET", "/")
        assert status == 200
        meta = page.decode().split('name="faceplate-session" content="')[1].split('"')[0]
        token = json.loads(meta.replace("&quot;", '"'))["token"]
        host = f"127.0.0.1:{server.port}"
        good = {"Host": host, "Content-Type": "application/json", "X-Faceplate-Token": token}

        def post(body, **changes):
            headers = {**good, **changes}
            headers = {k: v for k, v in headers.items() if v is not None}
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            return server.request("POST", "/api/mark", data, headers)

        skip = {"frames": "1004", "action": "skip"}
        assert post(skip, **{"X-Faceplate-Token": None})[0] == 403
        assert post(skip, **{"X-Faceplate-Token": "x" * 43})[0] == 403
        assert post(skip, Host="evil.example:80")[0] == 403
        assert post(skip, Origin="http://evil.example")[0] == 403
        assert post(skip, **{"Content-Type": "text/plain"})[0] == 415
        assert post(b"{not json")[0] == 400
        assert post({"frames": "1004", "action": "delete"})[0] == 400
        assert post({"frames": "1004", "action": "skip", "extra": 1})[0] == 400
        assert post({"frames": "1004", "action": "hold", "hold": "soon"})[0] == 400
        status, body = post({"frames": "900", "action": "skip"})
        assert status == 400 and "outside the plate range" in json.loads(body)["error"]
        status, body = post({"frames": "1004", "action": "set", "set": "feather=9"})
        assert status == 400 and "outside 0..1" in json.loads(body)["error"]
        assert post(b"x" * 5000)[0] == 413
        assert server.request("GET", "/../shot.yaml", headers={"Host": host})[0] == 404
        assert server.request("GET", "/review/written.json", headers={"Host": host})[0] == 404
        assert server.request("GET", "/frames/1001.json", headers={"Host": host})[0] == 404
        assert server.request("GET", "/", headers={"Host": "evil.example"})[0] == 403
        assert not (copy / "overrides.yaml").exists(), "nothing refused was written"
        status, body = post({"frames": "1004-1005", "action": "approve"})
        assert status == 200, body
        assert json.loads(body)["decision"]["state"] == "recorded"
        assert json.loads(body)["hint"] is None, "an approval needs no re-render"
    finally:
        code, out = server.stop(signal.SIGTERM)
    assert code == 0 and out.rstrip().endswith("stopped")
    entries = yaml.safe_load((copy / "overrides.yaml").read_text())["overrides"]
    assert [(e["frames"], e.get("approve"), e["by"]) for e in entries] == [
        ("1004-1005", True, "guard")]
