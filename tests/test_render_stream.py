"""The render stage as a stream (read-ahead, write-behind) and the identity descriptor on a
cadence: the same files as rendering one frame at a time, records in frame order, and the
descriptor measured on the track's keyframes and on frames another check flags."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterable
from dataclasses import replace

import pytest
from render_rig import RenderRig, make_rig

from faceplate.pipeline.render.stage import IDENTITY_EVERY, identity_due
from faceplate.pipeline.stage_files.tracks import SolvedSwap


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("streamrig"), colour)


def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.exr"))}


def test_streamed_render_writes_the_files_one_frame_at_a_time_would(rig, tmp_path):
    one = rig.spec_for(tmp_path / "one")
    for f in (1001, 1002, 1003):
        rig.render_one(one, f)
    streamed = rig.render_stage(rig.spec_for(tmp_path / "stream"), [1001, 1002, 1003],
                                force=True)
    assert [r.frame for r in streamed.records] == [1001, 1002, 1003]
    assert [r.status for r in streamed.records] == ["swapped"] * 3
    one_files, stream_files = _files(tmp_path / "one"), _files(tmp_path / "stream")
    assert len(one_files) == 6  # three frames, three mattes
    assert stream_files == one_files


def test_streamed_render_records_a_missing_frame_between_written_ones(rig, tmp_path):
    plates = tmp_path / "plates"
    for f in (1001, 1003):
        rig.write_plate(plates, rig.plate(f))
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    result = rig.render_stage(spec, [1001, 1002, 1003], force=True)
    assert [(r.frame, r.status) for r in result.records] == [
        (1001, "swapped"), (1002, "missing"), (1003, "swapped")]
    assert result.records[1].flags == ["missing_frame"]
    assert sorted(p.name for p in (tmp_path / "out").glob("fp.*.exr")) == [
        "fp.tst010.1001.exr", "fp.tst010.1003.exr"]


def test_identity_keyframes_are_the_first_last_and_every_nth_frame_of_the_track(rig):
    face = rig.face(1001)
    swap = replace(rig.solved[0], faces=dict.fromkeys(range(1001, 1021), face))
    due = [f for f in range(1001, 1021) if identity_due(f, swap)]
    assert IDENTITY_EVERY == 8
    assert due == [1001, 1009, 1017, 1020]
    later = replace(swap, faces=dict.fromkeys(range(1005, 1015), face))
    assert [f for f in range(1005, 1015) if identity_due(f, later)] == [1005, 1013, 1014]


def test_identity_is_measured_on_keyframes_and_flagged_frames_only(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    first, middle = rig.render_one(spec, 1001), rig.render_one(spec, 1002)
    assert first.flags == [] and middle.flags == []
    assert first.faces[0].identity_distance_to_source is not None
    assert first.faces[0].identity_distance_to_original is not None
    assert middle.faces[0].identity_distance_to_source is None
    assert middle.faces[0].identity_distance_to_original is None
    jittery = rig.render_one(spec, 1002, rig.with_face(1002, jitter=0.5))
    assert jittery.flags == ["jitter_spike"]
    assert 0.0 < jittery.faces[0].identity_distance_to_source < 0.68
    # measured there, the identity check itself can flag the frame (its flag first, as before)
    strict = rig.render_one(rig.spec_for(tmp_path / "strict", qc={"max_identity_distance": 0.0}),
                            1002, rig.with_face(1002, jitter=0.5))
    assert strict.flags == ["identity_far_from_source", "jitter_spike"]
    unmeasured = rig.render_one(rig.spec_for(tmp_path / "off", qc={"max_identity_distance": 0.0}),
                                1002)
    assert unmeasured.flags == []


def test_the_warm_up_pays_the_reference_swappers_source_layers_only(rig):
    from faceplate.face.swapper import ReferenceSwapper, SourceFace
    from faceplate.pipeline.render.swap import warm_up

    def fresh(s: SourceFace) -> SourceFace:  # its layers not yet made
        return SourceFace(s.name, s.texture, s.landmarks, s.descriptor, s.skin)

    made = next(iter(rig.node.sources().values()))
    learned, reference = fresh(made), fresh(made)
    warm_up(object(), [learned])  # type: ignore[arg-type]  # any other swapper
    assert "layers" not in vars(learned)
    warm_up(ReferenceSwapper(), [reference])
    assert "layers" in vars(reference)
    assert (vars(reference)["layers"] == made.layers).all()


class _WatchedSolve:
    """A solve handed to render a frame at a time, each frame's faces fresh objects, noting at
    each request which frames' faces handed out before are still alive (held by render)."""

    def __init__(self, solved: list[SolvedSwap]) -> None:
        self.solved = solved
        self.asked: list[int] = []
        self.alive: list[set[int]] = []
        self._handed: list[tuple[int, weakref.ref]] = []

    def still_held(self) -> set[int]:
        gc.collect()
        return {f for f, ref in self._handed if ref() is not None}

    def on(self, frame: int) -> list[SolvedSwap]:
        self.alive.append(self.still_held())
        self.asked.append(frame)
        swaps = [replace(s, faces={frame: replace(s.faces[frame])} if frame in s.faces else {},
                         bounds=s.span()) for s in self.solved]
        self._handed += [(frame, weakref.ref(face)) for s in swaps for face in s.faces.values()]
        return swaps

    def has_faces(self, frames: Iterable[int]) -> bool:
        return any(f in s.faces for s in self.solved for f in frames)


def test_a_whole_shot_render_asks_for_one_frames_faces_at_a_time_and_lets_them_go(rig, tmp_path):
    """The whole shot in one process holds the solved faces of the frames in flight only (the
    one being swapped, the one being written): never the shot's, and none once it is done.
    Each frame's faces are asked for once, as it is swapped, when no record is stored; a frame
    whose record is stored is asked for once more, ahead, for its key (kept if current)."""
    watched = _WatchedSolve(rig.solved)
    frames = [1001, 1002, 1003]
    spec = rig.spec_for(tmp_path / "out")
    result = rig.render_stage(spec, frames, watched, force=True)
    assert [r.status for r in result.records] == ["swapped"] * 3
    assert watched.asked == frames  # once each, as swapped
    assert all(len(alive) <= 2 for alive in watched.alive), watched.alive
    assert watched.still_held() == set()
    again = _WatchedSolve(rig.solved)
    resumed = rig.render_stage(spec, frames, again)
    assert resumed.reused == frames and again.asked == frames  # the keys alone
    assert again.alive[-1] == set()  # the keys computed, no face of theirs kept
    (tmp_path / "out" / "fp.tst010.1002.exr").unlink()  # its record stored, no longer current
    redone = _WatchedSolve(rig.solved)
    result = rig.render_stage(spec, frames, redone)
    assert result.reused == [1001, 1003]
    assert redone.asked == frames + [1002]  # the keys, then the frame rendered again
    forced = _WatchedSolve(rig.solved)
    result = rig.render_stage(spec, [1003], forced, force=True)
    assert result.reused == [] and forced.asked == [1003]  # its stored record not looked at


def test_a_float32_plates_nan_and_inf_outside_the_matte_survive_its_flipbook_proxy(rig, tmp_path):
    """The plate's proxy is made from the frame as it is read; on a float32 plate its bands are
    the frame's own memory, so cleaning them for the proxy once zeroed the plate's NaN and Inf,
    and the frame was written so. Every pixel outside the matte must stay the plate's, bit for
    bit, NaN and Inf included."""
    import numpy as np
    import OpenImageIO as oiio
    from conftest import read_pixels
    plate = rig.plate(1002)  # R, G, B and a depth channel, half: made R, G, B alone, float
    spec = oiio.ImageSpec(plate.spec.width, plate.spec.height, 3, oiio.FLOAT)
    spec.x, spec.y = plate.spec.x, plate.spec.y
    spec.full_x, spec.full_y = plate.spec.full_x, plate.spec.full_y
    spec.full_width, spec.full_height = plate.spec.full_width, plate.spec.full_height
    spec.attribute("oiio:ColorSpace", plate.spec.getattribute("oiio:ColorSpace") or "")
    pixels = np.ascontiguousarray(plate.pixels[..., :3], np.float32)
    y, x = 20 - spec.y, 22 - spec.x  # data-window rows and columns of display pixels near the
    nan, inf, ninf = (y, x, 0), (y + 2, x + 3, 1), (y + 4, x + 1, 2)  # corner, far from the face
    pixels[nan], pixels[inf], pixels[ninf] = np.nan, np.inf, -np.inf
    folder = tmp_path / "plates"
    path = rig.write_plate(folder, replace(plate, spec=spec, pixels=pixels))
    written = read_pixels(path)
    assert written.dtype == np.float32 and np.isnan(written[nan])
    out = rig.spec_for(tmp_path / "out", plates=folder)
    (record,) = rig.render_stage(out, [1002], force=True).records
    assert record.status == "swapped" and set(record.proxies) >= {"plate", "result"}
    result = read_pixels(out.output.path.frame(1002))
    matte = read_pixels(out.output.matte.frame(1002), fmt=oiio.FLOAT)[..., 0]
    outside = np.ones(written.shape[:2], bool)
    mspec = oiio.ImageInput.open(str(out.output.matte.frame(1002))).spec()
    y0, x0 = mspec.y - spec.y, mspec.x - spec.x  # the matte is written over its box only
    outside[y0:y0 + matte.shape[0], x0:x0 + matte.shape[1]] = matte == 0
    assert result.dtype == np.float32
    assert np.array_equal(result[outside].view(np.uint32), written[outside].view(np.uint32))
    assert np.isnan(result[nan]) and result[inf] == np.inf and result[ninf] == -np.inf
