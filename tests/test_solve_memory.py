"""The solve of a long shot holds none of its meshes: a stored analysis is read once, a frame
at a time (outlines held for linking, whole frames kept on disk and read back when their
segment is solved), and the solved faces are kept on disk until ``tracks.json`` is written.
Sizes are counted by hand: a mesh is 478 x 3 float64, 11,472 bytes."""

from __future__ import annotations

import gc
import json
import logging
import resource
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import spec_dict

from faceplate.errors import OutputError
from faceplate.pipeline.solve import solve
from faceplate.pipeline.solve.spool import SpooledFaces
from faceplate.pipeline.stage_files.analysis import (
    FaceObservation,
    FrameAnalysis,
    ShotAnalysis,
    stored_analysis,
    write_analysis,
)
from faceplate.pipeline.stage_files.paths import analysis_path, tracks_path
from faceplate.pipeline.stage_files.spool import PickleSpool
from faceplate.pipeline.stage_files.tracks import SolvedFace
from faceplate.spec import ShotSpec, parse_spec

MESH_BYTES = 478 * 3 * 8
#: Frames between cuts: the longest segment, whatever the shot's length.
SEGMENT = 10


def _spec(folder: Path, frames: int) -> ShotSpec:
    data = spec_dict(swaps=[{"source": "actor_a", "target": "all"}])
    data["plate"]["frames"] = f"1001-{1000 + frames}"
    return parse_spec(data, base=folder)


def _face(f: int, followed: bool) -> FaceObservation:
    """A face moving 2 px a frame to the right, followed by flow from the frame before; its
    identity measured where it is detected (the same person after every cut: one track)."""
    x = 100.0 + 2.0 * ((f - 1001) % SEGMENT)
    points = np.random.default_rng(f).random((478, 3)) * 100 + (x, 100.0, 0.0)
    points[[33, 263]] = [(x, 140.0, 0.0), (x + 100.0, 140.0, 0.0)]  # the outer eye corners
    return FaceObservation([x, 100.0, x + 100.0, 200.0], 1.0, points,
                           descriptor=None if followed else [0.5] * 128, pose=[0.0, 0.0, 0.0],
                           origin="tracked" if followed else "detected",
                           tracked_from=0 if followed else None,
                           motion=[1.0, 0.0, 2.0, 0.0] if followed else None,
                           vertices=np.full((478, 2), [2.0, 0.0]) if followed else None)


def _stored(spec: ShotSpec, frames: int) -> ShotAnalysis:
    """A shot of one face, a cut every :data:`SEGMENT` frames, written and re-used."""
    shot = {f: FrameAnalysis(f, "ok", [_face(f, (f - 1001) % SEGMENT > 0)],
                             cut=(f - 1001) % SEGMENT == 0 and f > 1001)
            for f in range(1001, 1001 + frames)}
    write_analysis(spec, ShotAnalysis({"k": 1}, shot))
    stored = stored_analysis(spec, {"k": 1})
    assert stored is not None
    return stored


def _solve_peak(folder: Path, frames: int) -> int:
    """The most memory (bytes, Python's allocations) solving a shot of ``frames`` took."""
    spec = _spec(folder, frames)
    analysis = _stored(spec, frames)
    gc.collect()
    tracemalloc.start()
    try:
        solved = solve(spec, analysis, SimpleNamespace(log=logging.getLogger("test")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [len(s.faces) for s in solved] == [frames]  # one track, every frame solved
    assert tracks_path(spec).read_text().count('"landmarks"') == frames
    return peak


def test_solving_ten_times_the_frames_takes_less_than_a_third_of_a_mesh_a_frame_more(tmp_path):
    """One track over the shot. Held, the extra 180 frames' meshes (analysed, vertex motions,
    solved) would take 180 x ~30 KB = 5.4 MB more, and the rest shape's unposed meshes another
    2 x 180 x 11.5 KB; read a frame at a time, summed a mesh at a time and spooled, each extra
    frame keeps only its outline (a few numbers)."""
    short = _solve_peak(tmp_path / "short", 2 * SEGMENT)
    long = _solve_peak(tmp_path / "long", 20 * SEGMENT)
    assert long - short < 18 * SEGMENT * MESH_BYTES / 3, (short, long)


def test_a_stored_analysis_holds_outlines_and_reads_a_whole_frame_back_each_time(tmp_path):
    spec = _spec(tmp_path, 3)
    analysis = _stored(spec, 3)
    outline = analysis.outlines()[1002].faces[0]
    assert outline.landmarks.size == 0 and outline.vertices is None  # no mesh held
    assert outline.bbox == [102.0, 100.0, 202.0, 200.0] and outline.tracked_from == 0
    analysis_path(spec).unlink()  # read once: the frames are the ones outlined
    first, again = analysis.frames[1002], analysis.frames[1002]
    assert first is not again  # read back each time, not kept
    assert first.faces[0].landmarks.shape == (478, 3) and first.faces[0].vertices is not None
    assert first.faces[0].landmarks[33].tolist() == [102.0, 140.0, 0.0]
    assert first.faces[0].vertices[5].tolist() == [2.0, 0.0]
    assert first.faces[0].bbox == outline.bbox and first.faces[0].motion == [1.0, 0.0, 2.0, 0.0]
    with pytest.raises(KeyError):
        analysis.frames[1004]


def _solved(frame: int) -> SolvedFace:
    mesh = np.random.default_rng(frame).random((478, 3)) * 1000
    return SolvedFace(frame, 0, [1.0, 2.0, 3.0, 4.0], 0.1 + frame / 3, mesh,
                      pose=[frame / 7, 0.0, -1.5], params={"feather": 0.25})


def test_spooled_faces_read_back_bit_for_bit_in_a_dicts_order(tmp_path):
    folder = tmp_path / "cache"
    faces = SpooledFaces(PickleSpool(folder))
    expected: dict[int, Any] = {}
    for f in (1003, 1001, 1002):
        faces[f] = expected[f] = _solved(f)
    faces[1001] = expected[1001] = _solved(1009)  # replaced: its place kept
    assert list(faces) == list(expected) == [1003, 1001, 1002]
    del faces[1003], expected[1003]
    faces[1003] = expected[1003] = _solved(1003)  # back: last
    assert list(faces) == list(expected) == [1001, 1002, 1003]
    assert faces.pop(1002).frame == 1002 and expected.pop(1002).frame == 1002
    assert list(faces) == list(expected) == [1001, 1003] and len(faces) == 2
    assert list(folder.iterdir()) == []  # the spool's file has no name
    assert 1002 not in faces and 1001 in faces
    for f, face in faces.items():
        want = expected[f]
        assert face.landmarks.tobytes() == want.landmarks.tobytes()
        assert face.score == want.score and face.pose == want.pose and face.params == want.params
        assert json.dumps(face.pose) == json.dumps(want.pose)


def test_a_spool_makes_its_folder_and_a_write_that_fails_is_an_output_error(tmp_path):
    """The spool's folder is made with its parents; a write the file system refuses (here a
    file-size limit, as a full quota would) is an OutputError naming the folder, not a crash."""
    folder = tmp_path / "shot" / "cache"
    spool = PickleSpool(folder)
    small = spool.put([1, 2, 3])
    assert folder.is_dir() and spool.get(small) == [1, 2, 3]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OutputError, match="cannot write") as caught:
            spool.put(np.zeros(100_000))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert caught.value.path == str(folder)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be")
    with pytest.raises(OutputError):
        PickleSpool(blocked / "cache")
