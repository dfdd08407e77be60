"""The stage files a long shot holds a mesh per frame in: tracks.json's upgrade from the schema
before (the rest shape on every face), meshes and vertex motions read as arrays, files written a
piece at a time, and the report's stage times read from the files' heads. Expected values are
the literal numbers written here, never the code's own output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import spec_dict

from faceplate.errors import StageError
from faceplate.pipeline.stage_files.analysis import (
    AnalysisWriter,
    FaceObservation,
    FrameAnalysis,
    ShotAnalysis,
    analysis_seconds,
    face_counts,
    read_analysis,
    stored_analysis,
    vertex_array,
    vertex_rows,
    write_analysis,
)
from faceplate.pipeline.stage_files.jsonfile import read_json_value
from faceplate.pipeline.stage_files.paths import analysis_path, tracks_path
from faceplate.pipeline.stage_files.tracks import (
    SolveByFrame,
    SolvedFace,
    SolvedSwap,
    load_solve,
    read_tracks_body,
    solve_seconds,
    write_tracks,
)
from faceplate.spec import ShotSpec, parse_spec

POINTS = 478


@pytest.fixture
def spec(tmp_path: Path) -> ShotSpec:
    return parse_spec(spec_dict(), base=tmp_path)


def _mesh(frame: int) -> list[list[float]]:
    """A mesh whose every value says which frame and vertex it is (frame.vertex, 2 decimals)."""
    return [[frame + v / 1000, v + 0.25, -v / 100] for v in range(POINTS)]


def _rest() -> list[list[float]]:
    return [[v * 0.5, -v * 0.125, 0.0625] for v in range(POINTS)]


def _face_5(frame: int) -> dict:
    return {"frame": frame, "track": 0, "bbox": [1.0, 2.0, 3.0, 4.0], "score": 0.9,
            "landmarks": _mesh(frame), "pose": [1.5, 0.0, -2.0], "skin": None,
            "origin": "tracked", "jitter": 0.0125, "params": {}, "override": None,
            "descriptor": None, "unsure": None, "rest": _rest()}


def test_a_tracks_5_file_is_upgraded_as_it_is_read(spec):
    """A ``faceplate.tracks/5`` file (rest shape repeated on every face) reads as the same
    faces, each mesh the numbers written, the rest shape the one written, shared."""
    old = {"schema": "faceplate.tracks/5", "seconds": 1.5, "analysis_key": {},
           "swaps": [{"swap": 0, "source": "actor_a", "track": 0,
                      "faces": [_face_5(f) for f in (1001, 1002, 1004)],
                      "skipped": [{"frame": 1003, "reason": "yaw"}], "lost": [],
                      "segments": [[1001, 1002], [1004, 1004]]}]}
    tracks_path(spec).parent.mkdir(parents=True)
    tracks_path(spec).write_text(json.dumps(old))
    body = read_tracks_body(spec)
    assert body is not None and body["schema"] == "faceplate.tracks/7"
    assert all("rest" not in face for face in body["swaps"][0]["faces"])
    assert np.array_equal(body["swaps"][0]["rest"], np.array(_rest()))
    (swap,) = load_solve(spec)
    assert sorted(swap.faces) == [1001, 1002, 1004]
    assert swap.skipped == {1003: "yaw"} and swap.segments == [[1001, 1002], [1004, 1004]]
    for frame, face in swap.faces.items():
        assert isinstance(face.landmarks, np.ndarray) and face.landmarks.shape == (POINTS, 3)
        assert face.landmarks[7].tolist() == [frame + 0.007, 7.25, -0.07]
        assert face.origin == "tracked" and face.jitter == 0.0125 and face.pose == [1.5, 0, -2]
        assert face.rest is swap.faces[1001].rest  # one array for the track
    assert swap.faces[1001].rest is not None
    assert swap.faces[1001].rest[10].tolist() == [5.0, -1.25, 0.0625]
    assert solve_seconds(spec) == 1.5


def test_a_tracks_6_file_on_one_line_is_upgraded_as_it_is_read(spec):
    old = {"schema": "faceplate.tracks/6", "seconds": 0.75, "swaps": [
        {"swap": 0, "source": "actor_a", "track": 2, "rest": _rest(), "skipped": [],
         "lost": [{"frame": 1003, "reason": "gone"}], "segments": [[1001, 1002]],
         "faces": [{k: v for k, v in _face_5(f).items() if k != "rest"} for f in (1001, 1002)]}]}
    tracks_path(spec).parent.mkdir(parents=True)
    tracks_path(spec).write_text(json.dumps(old))
    (swap,) = load_solve(spec, [1002])
    assert sorted(swap.faces) == [1002] and swap.span() == (1001, 1002) and swap.track == 2
    assert swap.lost == {1003: "gone"}
    assert swap.faces[1002].landmarks[4].tolist() == [1002.004, 4.25, -0.04]
    assert solve_seconds(spec) == 0.75


def test_tracks_are_written_a_face_a_line_each_swap_before_its_faces(spec):
    faces = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)))
             for f in (1001, 1002)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, faces), SolvedSwap(1, "actor_b", 1, {})],
                 seconds=1.0)
    lines = tracks_path(spec).read_text().splitlines()
    assert len(lines) == 8  # head, swap 0, 2 faces, its close, swap 1, its close, the close
    assert lines[0] == '{"schema":"faceplate.tracks/7","seconds":1.0,"swaps":['
    assert lines[1].startswith('{"swap":0,"source":"actor_a"') and lines[1].endswith('"faces":[')
    assert [json.loads(line.lstrip(","))["frame"] for line in lines[2:4]] == [1001, 1002]
    assert lines[4] == "]}" and lines[5].startswith(',{"swap":1') and lines[6:] == ["]}", "]}"]
    first, second = load_solve(spec)
    assert sorted(first.faces) == [1001, 1002] and second.source == "actor_b"
    assert not second.faces
    tracks_path(spec).write_text("\n".join(lines[:5]) + "\n")  # cut after swap 0
    with pytest.raises(StageError, match="cut short"):
        load_solve(spec)


def test_an_older_tracks_file_is_still_refused_by_name(spec):
    tracks_path(spec).parent.mkdir(parents=True)
    tracks_path(spec).write_text(json.dumps({"schema": "faceplate.tracks/4", "swaps": []}))
    with pytest.raises(StageError, match="faceplate.tracks/7, found 'faceplate.tracks/4'"):
        load_solve(spec)


def test_tracks_hold_the_rest_shape_once_per_swap_and_read_back_whole(spec):
    rest = np.array(_rest())
    faces = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)), rest=rest)
             for f in range(1001, 1011)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, faces, {}, {1011: "gone"}, [[1001, 1010]])],
                 analysis_key={"a": 1}, seconds=2.25)
    text = tracks_path(spec).read_text()
    assert text.count('"rest"') == 1  # on the swap, not on each of the 10 faces
    raw = json.loads(text)
    assert raw["schema"] == "faceplate.tracks/7" and raw["analysis_key"] == {"a": 1}
    assert raw["swaps"][0]["faces"][3]["landmarks"][5] == [1004.005, 5.25, -0.05]
    assert list(raw)[:2] == ["schema", "seconds"]  # small keys first: read from the head
    assert read_json_value(tracks_path(spec), "faceplate.tracks/7", "seconds") == 2.25
    (swap,) = load_solve(spec)
    assert swap.lost == {1011: "gone"}
    assert swap.faces[1010].landmarks[477].tolist() == [1010.477, 477.25, -4.77]
    assert swap.faces[1005].rest is not None and swap.faces[1005].rest[2].tolist() == [
        1.0, -0.25, 0.0625]


def _analysis(frames: int) -> ShotAnalysis:
    out = {}
    for f in range(1001, 1001 + frames):
        moves = np.array([[v / 8, -v / 16] for v in range(POINTS)])
        moves[3] = np.nan  # a vertex whose flow check failed
        face = FaceObservation([0.0, 0.0, 9.0, 9.0], 0.75, np.array(_mesh(f)),
                               origin="tracked", tracked_from=0, motion=[1.0, 0.0, 0.5, 0.25],
                               vertices=moves)
        out[f] = FrameAnalysis(f, "ok", [face], seconds=0.125)
    return ShotAnalysis({"k": 1}, out)


def test_analysis_vertex_motions_are_arrays_and_a_failed_one_is_null_in_the_file(spec):
    write_analysis(spec, _analysis(4))
    raw = json.loads(analysis_path(spec).read_text())
    face = raw["frames"][2]["faces"][0]
    assert face["vertices"][3] is None and face["vertices"][8] == [1.0, -0.5]
    assert face["landmarks"][1] == [1003.001, 1.25, -0.01]
    read = read_analysis(spec, {"k": 1})
    assert read is not None
    moves = read.frames[1003].faces[0].vertices
    assert isinstance(moves, np.ndarray) and moves.shape == (POINTS, 2)
    assert np.isnan(moves[3]).all() and moves[8].tolist() == [1.0, -0.5]
    assert analysis_seconds(spec) == 0.5  # 4 frames of 0.125 s


def test_analysis_is_written_a_frame_a_line_and_read_back_from_its_lines(spec):
    write_analysis(spec, _analysis(3))
    lines = analysis_path(spec).read_text().splitlines()
    assert len(lines) == 5  # the head, three frames, the close
    assert lines[0].startswith('{"schema":"faceplate.analysis/5","seconds":0.375,"key":{"k":1}')
    assert [json.loads(line.lstrip(","))["frame"] for line in lines[1:4]] == [1001, 1002, 1003]
    assert lines[4] == "]}"
    read = read_analysis(spec, {"k": 1})
    assert read is not None and list(read.frames) == [1001, 1002, 1003]
    assert read.frames[1002].faces[0].landmarks[9].tolist() == [1002.009, 9.25, -0.09]
    assert not any(frame.cut for frame in read.frames.values())  # none was marked a cut
    assert read_analysis(spec, {"k": 2}) is None  # stale


def test_an_analysis_4_file_on_one_line_is_upgraded_as_it_is_read(spec):
    face = {"bbox": [0.0, 0.0, 9.0, 9.0], "score": 0.5, "landmarks": _mesh(1001),
            "vertices": [None] + [[0.5, 0.25]] * (POINTS - 1)}
    body = {"schema": "faceplate.analysis/4", "seconds": 0.5, "key": {"k": 1},
            "frames": [{"frame": 1001, "status": "ok", "faces": [face], "lost": [],
                        "seconds": 0.5, "cut": True}]}
    analysis_path(spec).parent.mkdir(parents=True)
    analysis_path(spec).write_text(json.dumps(body))
    read = read_analysis(spec, {"k": 1})
    assert read is not None and read.frames[1001].cut
    (observed,) = read.frames[1001].faces
    assert observed.landmarks[2].tolist() == [1001.002, 2.25, -0.02]
    assert observed.vertices is not None and np.isnan(observed.vertices[0]).all()
    assert read.frames[1001].nonfinite_pixels == 0  # not stored: none counted
    assert analysis_seconds(spec) == 0.5


def test_analysis_writer_holds_no_frame_and_reads_them_back_when_looked_into(spec):
    with AnalysisWriter(spec, {"k": 1}) as out:
        for frame in _analysis(4).frames.values():
            out.add(frame)
        assert not analysis_path(spec).exists()  # written whole when finished
        done = out.finish()
    assert face_counts(done) == {1001: 1, 1002: 1, 1003: 1, 1004: 1} and len(done.frames) == 4
    assert done.frames[1004].faces[0].landmarks[1].tolist() == [1004.001, 1.25, -0.01]
    assert analysis_seconds(spec) == 0.5
    with AnalysisWriter(spec, {"k": 2}) as out:
        out.add(_analysis(1).frames[1001])
        other = out.finish()
    analysis_path(spec).unlink()
    assert face_counts(other) == {1001: 1}  # held: counted without the file
    with pytest.raises(StageError, match="gone"):
        other.frames[1001]  # its faces are in the file only


def test_a_reused_analysis_is_counted_and_its_faces_read_only_when_looked_into(spec):
    """A stage that re-uses the stored analysis without looking into it (``run``'s analyse)
    holds none of its meshes: counted from the file, read back when first looked into."""
    write_analysis(spec, _analysis(3))
    assert stored_analysis(spec, {"k": 2}) is None  # stale
    reused = stored_analysis(spec, {"k": 1})
    assert reused is not None and list(reused.frames) == [1001, 1002, 1003]
    assert face_counts(reused) == {1001: 1, 1002: 1, 1003: 1}
    frames = analysis_path(spec).read_text().splitlines()
    analysis_path(spec).write_text("\n".join(frames[:2] + frames[3:]) + "\n")  # 1002 gone
    assert list(reused.frames) == [1001, 1002, 1003]  # counted when reused, not read again
    assert reused.frames[1001].faces[0].landmarks[2].tolist() == [1001.002, 2.25, -0.02]
    with pytest.raises(KeyError):
        reused.frames[1002]  # its faces read from the file only when looked into


def test_an_outlines_mesh_is_empty_and_read_only(spec):
    """One empty mesh stands for every outline's face mesh (held for the whole shot): none
    may write into it."""
    write_analysis(spec, _analysis(2))
    reused = stored_analysis(spec, {"k": 1})
    assert reused is not None
    for frame in reused.outlines().values():
        (face,) = frame.faces
        assert face.landmarks.shape == (0, 3) and not face.landmarks.flags.writeable
        assert face.vertices is None
        with pytest.raises(ValueError, match="read-only"):
            face.landmarks[...] = 1.0


def test_a_stale_analysis_is_refused_by_its_key_before_its_frames_are_read(spec):
    """Made under another key: None, even where its frames are damaged (they are not read);
    under its own key the damage is an error."""
    write_analysis(spec, _analysis(3))
    lines = analysis_path(spec).read_text().splitlines(keepends=True)
    analysis_path(spec).write_text(lines[0] + ",{not a frame}\n" + "".join(lines[2:]))
    assert read_analysis(spec, {"k": 2}) is None
    assert stored_analysis(spec, {"k": 2}) is None
    with pytest.raises(StageError):
        read_analysis(spec, {"k": 1})


def test_an_analysis_whose_head_names_no_key_is_refused_under_a_key(spec):
    """A file whose key is null (made by hand, or damaged) is not taken for the analysis of
    any key, though its frames read."""
    write_analysis(spec, _analysis(2))
    text = analysis_path(spec).read_text()
    assert text.count('"key":{"k":1}') == 1
    analysis_path(spec).write_text(text.replace('"key":{"k":1}', '"key":null'))
    assert read_analysis(spec, {"k": 1}) is None
    assert stored_analysis(spec, {"k": 1}) is None


def test_a_reused_analysis_whose_file_goes_or_is_cut_before_it_is_looked_into_is_refused(spec):
    """The frames are read when first looked into: a file removed or cut short meanwhile is a
    StageError naming analysis.json, not a frame silently missing."""
    write_analysis(spec, _analysis(3))
    reused = stored_analysis(spec, {"k": 1})
    assert reused is not None
    lines = analysis_path(spec).read_text().splitlines(keepends=True)
    analysis_path(spec).write_text("".join(lines[:-1]))  # the list's end gone
    with pytest.raises(StageError, match="cut short") as cut:
        reused.frames[1001]
    assert cut.value.path == str(analysis_path(spec))
    with pytest.raises(StageError, match="cut short"):
        stored_analysis(spec, {"k": 1})  # nor counted again
    write_analysis(spec, _analysis(3))
    reused = stored_analysis(spec, {"k": 1})
    assert reused is not None
    analysis_path(spec).unlink()
    with pytest.raises(StageError, match="is gone"):
        reused.outlines()


def test_an_unfinished_analysis_leaves_the_stored_one_as_it_was(spec):
    write_analysis(spec, _analysis(2))
    before = analysis_path(spec).read_bytes()
    with pytest.raises(KeyboardInterrupt), AnalysisWriter(spec, {"k": 9}) as out:
        out.add(_analysis(1).frames[1001])
        raise KeyboardInterrupt  # a stop before the last frame
    assert analysis_path(spec).read_bytes() == before
    assert sorted(p.name for p in analysis_path(spec).parent.iterdir()) == [
        ".faceplate-written", "analysis.json"]  # the spool is gone


@pytest.mark.parametrize("cut", [-1, -3])
def test_an_analysis_file_cut_short_is_refused(spec, cut):
    write_analysis(spec, _analysis(3))
    lines = analysis_path(spec).read_text().splitlines(keepends=True)
    analysis_path(spec).write_text("".join(lines[:cut]))
    with pytest.raises(StageError, match="cut short"):
        read_analysis(spec, {"k": 1})


def test_analysis_seconds_of_a_file_without_the_total_are_summed_from_its_frames(spec):
    body = {"schema": "faceplate.analysis/4", "key": {},
            "frames": [{"frame": 1001, "status": "ok", "faces": [], "lost": [], "seconds": 0.5},
                       {"frame": 1002, "status": "ok", "faces": [], "lost": [], "seconds": 1.25}]}
    analysis_path(spec).parent.mkdir(parents=True)
    analysis_path(spec).write_text(json.dumps(body))
    assert analysis_seconds(spec) == 1.75
    assert solve_seconds(spec) is None  # not solved
    for frame, seconds in zip(body["frames"], (0.1, 0.2)):
        frame["seconds"] = seconds
    body["frames"].append({"frame": 1003, "status": "ok", "faces": [], "lost": [],
                           "seconds": 0.1254})
    analysis_path(spec).write_text(json.dumps(body))
    assert analysis_seconds(spec) == 0.425  # to the ms, as a /5 head holds it (sum 0.4254...)


def test_a_value_past_the_head_is_not_guessed(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"schema": "s/1", "big": list(range(5000)), "seconds": 3}))
    assert read_json_value(path, "s/1", "seconds", head=256) is None
    assert read_json_value(path, "s/1", "seconds") == 3
    assert read_json_value(path, "s/2", "seconds") is None  # another schema


def test_a_chunk_reads_only_its_own_frames_meshes_and_keeps_the_tracks_span(spec):
    """Render's identity cadence counts from a track's first frame and checks its last: a chunk
    that holds only its own faces must still know both."""
    rest = np.array(_rest())
    faces = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)), rest=rest)
             for f in range(1003, 1021)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, faces)], seconds=0.5)
    (chunk,) = load_solve(spec, [1001, 1010, 1011])
    assert sorted(chunk.faces) == [1010, 1011]
    assert chunk.span() == (1003, 1020)
    assert chunk.faces[1011].landmarks[3].tolist() == [1011.003, 3.25, -0.03]
    (whole,) = load_solve(spec)
    assert len(whole.faces) == 18 and whole.span() == (1003, 1020) and whole.bounds is None


def test_the_solve_read_a_frame_at_a_time_gives_each_swap_that_frames_face_alone(spec):
    """Render reads tracks.json a frame at a time: each swap's face on that frame (the numbers
    written), the swap's whole span, skips and losses, and nothing of the other frames."""
    rest = np.array(_rest())
    first = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)), rest=rest,
                           origin="tracked") for f in range(1003, 1009)}
    second = {f: SolvedFace(f, 3, [5.0, 6.0, 7.0, 8.0], 0.75, np.array(_mesh(f + 100)))
              for f in (1005, 1006)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, first, skipped={1009: "yaw"}),
                        SolvedSwap(1, "actor_b", 3, second, lost={1007: "gone"})],
                 seconds=0.5)
    with SolveByFrame(spec, [1004, 1005, 1009]) as solve:
        _check_frames_alone(solve)
    with SolveByFrame(spec) as solve:
        (whole,) = [s for s in solve.on(1008) if s.swap == 0]
    assert whole.faces[1008].landmarks[0].tolist() == [1008.0, 0.25, 0.0]


def test_the_solve_read_a_frame_at_a_time_finds_a_face_line_whose_frame_is_not_first(spec):
    """A face line of ``faceplate.tracks/7`` whose keys another tool reordered (its frame not
    first, spaced) is still found by its frame: only the quick read of the frame differs."""
    faces = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)), jitter=0.5)
             for f in (1001, 1002, 1003)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, faces)], seconds=1.0)
    lines = tracks_path(spec).read_text().splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.lstrip(",").startswith('{"frame":1002')]
    comma = "," if lines[at].startswith(",") else ""
    face = json.loads(lines[at].removeprefix(","))
    del face["jitter"]  # a line from before the field: the default
    lines[at] = comma + json.dumps(dict(reversed(face.items())))  # frame last, ", " spaced
    tracks_path(spec).write_text("\n".join(lines) + "\n")
    with SolveByFrame(spec) as solve:
        (swap,) = solve.on(1002)
        assert sorted(swap.faces) == [1002] and swap.span() == (1001, 1003)
        assert swap.faces[1002].landmarks[7].tolist() == [1002.007, 7.25, -0.07]
        assert solve.has_faces([1002]) and not solve.has_faces([1004])
        assert swap.faces[1002].jitter == 0.0 and solve.on(1001)[0].faces[1001].jitter == 0.5


def test_the_solve_read_a_frame_at_a_time_knows_a_swaps_span_off_its_faces_frames(spec, tmp_path):
    """A swap of one face has that frame's span on every frame; one with no face has none;
    a read the file system fails is a StageError naming tracks.json."""
    one = {1002: SolvedFace(1002, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(1002)))}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, one),
                        SolvedSwap(1, "actor_b", 1, {}, skipped={1001: "yaw"})], seconds=1.0)
    with SolveByFrame(spec) as solve:
        single, empty = solve.on(1001)
        assert not single.faces and single.span() == (1002, 1002)
        assert empty.bounds is None and empty.skipped == {1001: "yaw"}
        folder = os.open(tmp_path, os.O_RDONLY)  # reading a folder fails: EISDIR
        try:
            assert solve._file is not None
            os.dup2(folder, solve._file.fileno())
        finally:
            os.close(folder)
        with pytest.raises(StageError, match="corrupt stage file") as caught:
            solve.on(1002)
    assert caught.value.path == str(tracks_path(spec))


def _check_frames_alone(solve: SolveByFrame) -> None:
    a, b = solve.on(1005)
    assert sorted(a.faces) == [1005] and sorted(b.faces) == [1005]
    assert a.faces[1005].landmarks[9].tolist() == [1005.009, 9.25, -0.09]
    assert b.faces[1005].landmarks[9].tolist() == [1105.009, 9.25, -0.09]
    assert a.faces[1005].origin == "tracked" and b.faces[1005].score == 0.75
    assert a.faces[1005].rest is not None and a.faces[1005].rest[10].tolist() == [5.0, -1.25,
                                                                                  0.0625]
    assert b.faces[1005].rest is None
    assert a.span() == (1003, 1008) and b.span() == (1005, 1006)
    assert a.skipped == {1009: "yaw"} and b.lost == {1007: "gone"}
    a, b = solve.on(1004)
    assert sorted(a.faces) == [1004] and not b.faces
    assert all(not s.faces for s in solve.on(1006))  # not among the frames asked for
    assert solve.has_faces([1009, 1004]) and not solve.has_faces([1009])  # 1009: skipped
    assert not solve.has_faces([1006, 1010])  # 1006 not asked for, 1010 beyond both spans


def test_the_solve_read_a_frame_at_a_time_reads_the_file_it_indexed_if_solved_again(spec):
    """A solve written again while a render reads (the file replaced) leaves the render
    reading the file it started with, never one file's lines at another's places."""
    faces = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)))
             for f in (1001, 1002)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, faces)], seconds=1.0)
    with SolveByFrame(spec) as solve:
        again = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f + 50)),
                               params={"feather": 2.5}) for f in (1000, 1001, 1002)}
        write_tracks(spec, [SolvedSwap(0, "actor_a", 0, again)], seconds=1.0)
        (swap,) = solve.on(1002)
        assert swap.faces[1002].landmarks[5].tolist() == [1002.005, 5.25, -0.05]
        assert swap.faces[1002].params == {} and swap.span() == (1001, 1002)
    with pytest.raises(StageError, match="closed"):
        solve.on(1002)


def test_the_solve_read_a_frame_at_a_time_reads_a_schema_before_and_refuses_a_cut_file(spec):
    old = {"schema": "faceplate.tracks/6", "seconds": 0.75, "swaps": [
        {"swap": 0, "source": "actor_a", "track": 2, "rest": _rest(), "skipped": [],
         "lost": [], "segments": [[1001, 1002]],
         "faces": [{k: v for k, v in _face_5(f).items() if k != "rest"} for f in (1001, 1002)]}]}
    tracks_path(spec).parent.mkdir(parents=True)
    tracks_path(spec).write_text(json.dumps(old))
    (swap,) = SolveByFrame(spec, [1002]).on(1002)
    assert SolveByFrame(spec).has_faces([1000, 1001]) and not SolveByFrame(spec).has_faces([1003])
    assert swap.faces[1002].landmarks[4].tolist() == [1002.004, 4.25, -0.04]
    assert swap.span() == (1001, 1002)
    faces = {f: SolvedFace(f, 0, [1.0, 2.0, 3.0, 4.0], 0.5, np.array(_mesh(f)))
             for f in (1001, 1002)}
    write_tracks(spec, [SolvedSwap(0, "actor_a", 0, faces)], seconds=1.0)
    lines = tracks_path(spec).read_text().splitlines()
    tracks_path(spec).write_text("\n".join(lines[:3]) + "\n")  # cut after the first face
    with pytest.raises(StageError, match="cut short"):
        SolveByFrame(spec)
    tracks_path(spec).unlink()
    with pytest.raises(StageError, match="not solved yet"):
        SolveByFrame(spec)


def test_qc_json_holds_a_frame_record_a_line_and_reads_back_whole(spec):
    from faceplate.pipeline.stage_files.paths import qc_json_path
    from faceplate.pipeline.stage_files.records import write_qc
    frames = [{"frame": f, "status": "swapped", "flags": ["a"] if f % 2 else [],
               "faces": [{"landmarks": [[1.5, 2.25]] * 68}]} for f in range(1001, 1006)]
    write_qc(spec, {"shot": "tst010", "summary": {"frames": 5, "seconds": {"render": 1.0}},
                    "frames": frames})
    text = qc_json_path(spec).read_text()
    body = json.loads(text)
    assert body["schema"] == "faceplate.qc/1" and body["summary"]["seconds"] == {"render": 1.0}
    assert body["frames"] == frames
    lines = text.splitlines()
    assert sum(line.lstrip().startswith('{"frame": ') for line in lines) == 5


def test_a_record_read_with_its_points_as_arrays_writes_back_the_same_numbers(spec):
    from faceplate.pipeline.stage_files.paths import qc_json_path
    from faceplate.pipeline.stage_files.records import (
        FaceRecord,
        FrameRecord,
        read_record,
        write_qc,
        write_record,
    )
    points = [[1001 + i / 8, i * 0.375] for i in range(68)]
    face = FaceRecord(0, "actor_a", 0, [1.0, 2.0, 3.0, 4.0], points, 0.5, None, False)
    write_record(spec, FrameRecord(1001, "swapped", faces=[face]))
    plain, held = read_record(spec, 1001), read_record(spec, 1001, arrays=True)
    assert plain is not None and held is not None
    assert plain["faces"][0]["landmarks"] == points  # lists unless asked
    assert isinstance(held["faces"][0]["landmarks"], np.ndarray)
    assert held["faces"][0]["landmarks"][5].tolist() == [1001.625, 1.875]
    held.pop("schema")
    write_qc(spec, {"shot": "tst010", "frames": [held]})
    assert json.loads(qc_json_path(spec).read_text())["frames"][0]["faces"][0]["landmarks"] == [
        [1001 + i / 8, i * 0.375] for i in range(68)]


def test_a_small_mattes_crop_is_its_channel_in_grey_with_zeros_outside_its_data_window(tmp_path):
    """A matte is written small (its data window the matte's box, its display window the
    plate's): its crop shows the channel in all three, zeros where the file holds nothing."""
    import OpenImageIO as oiio

    from faceplate.pipeline.report.images import face_crop, read_display
    from faceplate.plateio.frame import Box
    spec = oiio.ImageSpec(10, 6, 1, oiio.HALF)
    spec.x, spec.y = 20, 10
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, 64, 48
    buf = oiio.ImageBuf(spec)
    buf.set_pixels(buf.roi, np.full((6, 10, 1), 0.75, np.float32))
    path = tmp_path / "matte.exr"
    assert buf.write(str(path))
    image = read_display(path, 1001, grey=True)
    assert image is not None and image.rgb.shape == (48, 64, 1)
    crop = face_crop(image, Box(16, 8, 32, 20), None)
    expected = np.zeros((12, 16, 3), np.float32)
    expected[2:8, 4:14] = 0.75  # rows 10-15, columns 20-29 of the frame
    assert np.array_equal(crop, expected)


def test_vertex_rows_are_null_where_either_coordinate_is_not_measured():
    """The other rows are the array's values as they are (Python floats, every bit: the
    rounding is analysis's, before), and read back the same."""
    moves = np.array([[0.5, -1.25], [np.nan, 2.0], [3.0, np.nan], [np.nan, np.nan], [7.0, 8.5],
                      [1 / 3, -2 / 7]])
    rows = vertex_rows(moves)
    assert rows == [[0.5, -1.25], None, None, None, [7.0, 8.5], [1 / 3, -2 / 7]]
    back = vertex_array(rows)
    assert np.isnan(back[1:4]).all()
    assert back[[0, 4, 5]].tolist() == [[0.5, -1.25], [7.0, 8.5], [1 / 3, -2 / 7]]


def test_analysis_stores_vertex_motions_rounded_as_python_rounds_them():
    """To 0.001 px by Python's ``round`` (the decimal value nearest; NumPy's ``round`` gives
    -47.168 for -47.1675 where Python gives -47.167), NaN rows where either coordinate is
    not measured."""
    from faceplate.pipeline.analyse.flow import FaceMotion
    from faceplate.pipeline.analyse.stage import _vertices
    moves = np.array([[-47.1675, 49.7215], [np.nan, 1.0], [9.4305, -13.4885], [2.0, np.nan]])
    stored = _vertices(FaceMotion(None, 0, 0, vertices=moves))
    assert stored is not None and stored.shape == (4, 2)
    assert stored[0].tolist() == [-47.167, 49.721] and stored[2].tolist() == [9.431, -13.489]
    assert np.isnan(stored[[1, 3]]).all()
    assert _vertices(FaceMotion(None, 0, 0)) is None
    none_measured = _vertices(FaceMotion(None, 0, 0, vertices=np.full((3, 2), np.nan)))
    assert none_measured is not None and np.isnan(none_measured).all()
