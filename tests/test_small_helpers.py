"""Small helpers the bigger stages lean on: the 8-bit views of working-space pixels, the head pose
from 68 landmarks, a render's result and the one spec builder. Expected values are worked by
hand (or projected through a camera written here), never asked of the code under test."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pytest
import yaml

from faceplate.face.image8 import finite_to_uint8
from faceplate.face.pose import Pose, estimate_pose
from faceplate.pipeline.render.result import FrameOutcome, RenderResult
from faceplate.pipeline.stage_files.records import FrameRecord, write_record
from faceplate.spec import parse_spec, save_spec, spec_data, with_absolute_paths

# --- 8-bit views ---------------------------------------------------------------------------


def test_finite_pixels_in_8_bits_are_x_times_255_rounded_and_clipped() -> None:
    # 0.6 * 255 = 153 and 0.2 * 255 = 51 exactly (x * 0 added or 1 added would move them);
    # 100.4 / 255 and 100.6 / 255 round to 100 and 101; below 0 and above 1 clip.
    values = np.array([0.0, 0.6, 0.2, 100.4 / 255, 100.6 / 255, 1.0, -0.3, 1.7], np.float32)
    rgb = np.stack([values, values[::-1], values], axis=-1).reshape(2, 4, 3)
    out = finite_to_uint8(rgb)
    want = np.array([0, 153, 51, 100, 101, 255, 0, 255])
    assert out.dtype == np.uint8 and out.shape == (2, 4, 3)
    assert out[..., 0].ravel().tolist() == want.tolist()
    assert out[..., 1].ravel().tolist() == want[::-1].tolist()
    assert out[..., 2].ravel().tolist() == want.tolist()


# --- head pose -----------------------------------------------------------------------------

#: The generic head in the camera's axes (x right, y down, z away from the camera): nose tip,
#: chin, outer eye corners (image left, right), mouth corners; the nose nearest the camera.
_HEAD = np.array([(0.0, 0.0, 0.0), (0.0, 330.0, 65.0), (-225.0, -170.0, 135.0),
                  (225.0, -170.0, 135.0), (-150.0, 150.0, 125.0), (150.0, 150.0, 125.0)])
_MARKS = [30, 8, 36, 45, 48, 54]  # nose tip, chin, eye corners, mouth corners of dlib's 68


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rz(roll) @ Ry(yaw) @ Rx(pitch), degrees."""
    p, y, r = np.radians([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _landmarks(yaw: float, pitch: float, roll: float, width: int, height: int,
               at: tuple[float, float, float]) -> np.ndarray:
    """68 points: the head turned and moved to ``at``, seen by a pinhole camera of focal
    length ``width`` centred on the image; the other 62 points scattered."""
    seen = _HEAD @ _rotation(yaw, pitch, roll).T + np.array(at)
    points = np.random.default_rng(7).uniform(0, min(width, height), (68, 2))
    points[_MARKS] = seen[:, :2] / seen[:, 2:] * width + (width / 2, height / 2)
    return points.astype(np.float32)


@pytest.mark.parametrize(("yaw", "pitch", "roll", "at"), [
    (20.0, -10.0, 5.0, (40.0, -30.0, 2500.0)),
    (-35.0, 15.0, -12.0, (-120.0, 60.0, 3000.0)),
    (8.0, 40.0, 170.0, (0.0, 0.0, 2200.0)),
    (5.0, -170.0, 3.0, (10.0, 20.0, 2600.0)),  # nodded past the vertical: never wrapped
])
def test_pose_is_the_turn_the_landmarks_were_projected_with(yaw, pitch, roll, at) -> None:
    # An odd-sized image: the principal point is at (320.5, 240.5), not (320, 240).
    pose = estimate_pose(_landmarks(yaw, pitch, roll, 641, 481, at), (641, 481))
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((yaw, pitch, roll), abs=1e-3)


def test_a_frontal_upright_face_has_no_turn_and_its_pose_is_a_value() -> None:
    pose = estimate_pose(_landmarks(0.0, 0.0, 0.0, 1920, 1080, (0.0, 0.0, 4000.0)), (1920, 1080))
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((0.0, 0.0, 0.0), abs=1e-3)
    with pytest.raises(FrozenInstanceError):
        pose.yaw = 5.0  # type: ignore[misc]
    assert len({pose, Pose(pose.yaw, pose.pitch, pose.roll)}) == 1  # hashable, by value


# --- a render's result ---------------------------------------------------------------------


def _spec(folder: Path, **kwargs):
    data = spec_data(shot="h010", plate="plates/h010.####.exr", frames="1001-1005",
                     sources={"a": "refs/a.jpg"}, output="out/h010_fp.####.exr",
                     qc="out/qc", **kwargs)
    return parse_spec(data, base=folder)


def test_an_outcome_states_what_its_record_or_stored_body_says() -> None:
    record = FrameRecord(1002, "swapped", "/o/f.1002.exr", "/o/m.1002.exr", seconds=1.5)
    assert FrameOutcome.of(record) == FrameOutcome(1002, "swapped", "/o/f.1002.exr",
                                                   "/o/m.1002.exr")
    body = {"frame": "1003", "status": "unwritten", "output": "/o/f.1003.exr", "seconds": 2}
    outcome = FrameOutcome.of(body)
    assert outcome == FrameOutcome(1003, "unwritten", "/o/f.1003.exr", None)
    assert type(outcome.frame) is int
    assert FrameOutcome.of({"frame": 7, "status": "passthrough"}) == FrameOutcome(7, "passthrough")


def test_failed_frames_are_the_missing_unreadable_and_unwritten_in_render_order() -> None:
    outcomes = [FrameOutcome(1005, "unwritten"), FrameOutcome(1001, "swapped"),
                FrameOutcome(1002, "missing"), FrameOutcome(1003, "passthrough"),
                FrameOutcome(1004, "unreadable")]
    assert RenderResult(outcomes).failed == [1005, 1002, 1004]
    assert RenderResult([FrameOutcome(1, "swapped"), FrameOutcome(2, "passthrough")]).failed == []


def test_records_are_read_back_for_the_outcomes_that_have_one(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    write_record(spec, FrameRecord(1003, "passthrough", seconds=0.25))
    write_record(spec, FrameRecord(1001, "swapped", flags=["seam"], reasons={"seam": "ΔE 9"}))
    outcomes = [FrameOutcome(1003, "passthrough"), FrameOutcome(1002, "missing"),
                FrameOutcome(1001, "swapped")]
    records = RenderResult(outcomes, spec=spec).records
    assert [(r.frame, r.status) for r in records] == [(1003, "passthrough"), (1001, "swapped")]
    assert records[0].seconds == 0.25 and records[1].reasons == {"seam": "ΔE 9"}
    assert RenderResult(outcomes).records == []  # no spec: nothing to read


# --- the spec builder ----------------------------------------------------------------------


def test_the_builder_writes_each_optional_key_only_when_given(tmp_path: Path) -> None:
    data = spec_data(shot="b010", plate="p/b.####.exr", frames=1001,
                     sources={"a": ["a1.jpg", Path("a2.jpg")], "b": Path("b.jpg"),
                              "c": {"images": ["c.jpg"], "colorspace": "sRGB"}},
                     output="o/b.####.exr", qc=Path("o/qc"))
    assert data["plate"] == {"path": "p/b.####.exr", "frames": 1001}
    assert data["sources"] == {"a": {"images": ["a1.jpg", "a2.jpg"]}, "b": {"images": ["b.jpg"]},
                               "c": {"images": ["c.jpg"], "colorspace": "sRGB"}}
    assert data["swaps"] == [{"source": "a", "target": "largest"}]  # the first source only
    assert data["output"] == {"path": "o/b.####.exr", "qc": "o/qc"}
    assert "qc" not in data and "qc_settings" not in data
    swaps = [{"source": "b", "target": "all"}]
    full = spec_data(shot="b010", plate="p/b.####.exr", frames="1-3", sources={"a": "a.jpg"},
                     output="o/b.####.exr", qc="o/qc", matte="o/m.####.exr",
                     plate_colorspace="ACEScg", swaps=swaps, solve={"smoothing": 0})
    assert full["plate"] == {"path": "p/b.####.exr", "frames": "1-3", "colorspace": "ACEScg"}
    assert full["output"] == {"path": "o/b.####.exr", "qc": "o/qc", "matte": "o/m.####.exr"}
    assert full["swaps"] == swaps and full["swaps"][0] is not swaps[0]
    assert full["solve"] == {"smoothing": 0} and "qc" not in full


def test_saved_spec_keeps_the_key_order_and_makes_its_folders(tmp_path: Path) -> None:
    data = spec_data(shot="b010", plate="p/b.####.exr", frames="1-3", sources={"a": "a.jpg"},
                     output="o/b.####.exr", qc="o/qc")
    target = tmp_path / "deep" / "er" / "b.yaml"
    path = save_spec(data, target)
    assert path == target and path.is_absolute()
    keys = [line.split(":")[0] for line in path.read_text(encoding="utf-8").splitlines()
            if line[:1].isalpha()]
    assert keys == ["version", "shot", "plate", "sources", "swaps", "output"]
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == data
    again = save_spec({**data, "shot": "b020"}, tmp_path / "deep" / "er" / "c.yaml")
    assert yaml.safe_load(again.read_text(encoding="utf-8"))["shot"] == "b020"


def test_absolute_paths_replace_every_relative_one(tmp_path: Path) -> None:
    swaps = [{"source": "a", "target": {"reference": "refs/who.jpg"}},
             {"source": "a", "target": "largest"}, {"source": "a", "target": {"track": 2}},
             {"source": "a", "target": "all"}]
    data = spec_data(shot="b010", plate="p/b.####.exr", frames="1-3", sources={"a": "a.jpg"},
                     output="o/b.####.exr", qc="o/qc", matte="o/m.####.exr", swaps=swaps)
    out = with_absolute_paths(data, parse_spec(data, base=tmp_path))
    assert out["plate"] == {"path": str(tmp_path / "p" / "b.####.exr"), "frames": "1-3"}
    assert out["sources"] == {"a": {"images": [str(tmp_path / "a.jpg")]}}
    assert out["output"] == {"path": str(tmp_path / "o" / "b.####.exr"),
                             "qc": str(tmp_path / "o" / "qc"),
                             "matte": str(tmp_path / "o" / "m.####.exr")}
    who = {"reference": str(tmp_path / "refs" / "who.jpg")}
    assert out["swaps"] == [{"source": "a", "target": who}, *swaps[1:]]  # only a reference
    assert data["plate"]["path"] == "p/b.####.exr"  # the data given is left as it was
    cached = {**data, "output": {**data["output"], "cache": "elsewhere/cache"}}
    del cached["output"]["matte"]
    out = with_absolute_paths(cached, parse_spec(cached, base=tmp_path))
    assert out["output"] == {"path": str(tmp_path / "o" / "b.####.exr"),
                             "qc": str(tmp_path / "o" / "qc"),
                             "cache": str(tmp_path / "elsewhere" / "cache")}
