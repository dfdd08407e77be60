"""Render in several processes (``--workers``, :mod:`faceplate.nodes.pool`): the same files and
records as one process, one progress report per frame, the parent's stop and a worker's full
disk or death passed on to the shot, and how many workers ``auto`` gives."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import cv2
import OpenImageIO as oiio
import pytest
from render_rig import RenderRig, make_rig

from faceplate.errors import (
    DiskFullError,
    FaceplateError,
    IncompleteShotError,
    OutputError,
    RunStopped,
    SpecError,
    StageError,
)
from faceplate.frames import format_frames
from faceplate.nodes import ShotNode
from faceplate.nodes.pool import (
    CORES_PER_WORKER,
    FRAMES_PER_WORKER,
    MOST_WORKERS,
    Share,
    WorkerStop,
    _Gathered,
    _raise_for,
    _render_share,
    auto_workers,
    library_threads,
    resolve_workers,
)
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.stop import StopFlag
from faceplate.spec import ShotSpec

FRAMES = [1001, 1002, 1003]
#: What differs between two renders of the same frame: how long it took.
TIMINGS = {"seconds"}


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("workersrig"), colour)


def _node(rig: RenderRig, spec: ShotSpec, reports: list[Progress] | None = None,
          stop: StopFlag | None = None) -> ShotNode:
    """A node of ``spec`` with the rig's context, its progress kept in ``reports``."""
    progress = reports.append if reports is not None else rig.node.ctx.progress
    return ShotNode(spec, replace(rig.node.ctx, progress=progress, stop=stop or StopFlag()))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.exr"))}


def _records(spec: ShotSpec) -> dict[int, dict]:
    """The stored frame records by frame, without their timings and with their files' stamps
    (size, modification time) cut to the size."""
    folder = spec.output.qc / "frames"
    bodies = {int(p.stem): json.loads(p.read_text()) for p in folder.glob("*.json")}
    for body in bodies.values():
        body["outputs"] = {path: stamp[0] for path, stamp in body.get("outputs", {}).items()}
        body["proxies"] = {kind: stamp if kind == "look" else stamp[0]
                           for kind, stamp in body.get("proxies", {}).items()}
    return {f: {k: v for k, v in body.items() if k not in TIMINGS}
            for f, body in sorted(bodies.items())}


def test_two_processes_write_the_bytes_and_records_one_process_writes(rig, tmp_path):
    one = rig.spec_for(tmp_path / "one")
    _node(rig, one).render(FRAMES, force=True)
    reports: list[Progress] = []
    spec = rig.spec_for(tmp_path / "two")
    result = _node(rig, spec, reports).render(FRAMES, force=True, workers=2)
    assert [o.frame for o in result.outcomes] == FRAMES  # in frame order, whoever rendered it
    assert [o.status for o in result.outcomes] == ["swapped"] * 3 and result.reused == []
    assert [o.output for o in result.outcomes] == [str(spec.output.path.frame(f)) for f in FRAMES]
    one_files, two_files = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert len(one_files) == 6 and two_files == one_files  # three frames, three mattes
    ones, twos = _records(one), _records(spec)
    assert list(twos) == FRAMES
    for f in FRAMES:  # the same record but where each was written
        assert twos[f] == json.loads(json.dumps(ones[f]).replace("/one/", "/two/"))
    # one report per frame, counted over the shot, each frame once
    assert [(p.stage, p.done, p.total) for p in reports] == [("render", i, 3) for i in (1, 2, 3)]
    assert sorted(p.frame for p in reports) == FRAMES


def test_a_resumed_render_in_processes_keeps_the_frames_already_done(rig, tmp_path):
    spec = rig.spec_for(tmp_path / "out")
    _node(rig, spec).render([1002])
    before = (tmp_path / "out" / "fp.tst010.1002.exr").stat().st_mtime_ns
    result = _node(rig, spec).render(FRAMES, workers=2)
    assert result.reused == [1002]
    assert [(o.frame, o.status) for o in result.outcomes] == [
        (1001, "swapped"), (1002, "swapped"), (1003, "swapped")]
    assert (tmp_path / "out" / "fp.tst010.1002.exr").stat().st_mtime_ns == before


def test_a_stop_asked_before_the_workers_start_ends_each_after_its_frame_in_flight(rig, tmp_path):
    spec = rig.spec_for(tmp_path / "out")
    flag = StopFlag()
    flag.watched = True
    flag.request(signal.SIGTERM)
    with pytest.raises(RunStopped) as stopped:
        # worker 0 has 1001 and 1003, worker 1 has 1002: each renders its first frame (the one
        # in flight when it first looks at the flag), then stops
        _node(rig, spec, stop=flag).render(FRAMES, force=True, workers=2)
    assert stopped.value.exit_code == 128 + signal.SIGTERM and stopped.value.name == "SIGTERM"
    assert stopped.value.message == ("stopped after frames 1001-1002; frames not rendered: "
                                     "1003")
    assert sorted(_files(tmp_path / "out")) == [
        "fp.tst010.1001.exr", "fp.tst010.1002.exr", "fp_matte.1001.exr", "fp_matte.1002.exr"]
    assert list(_records(spec)) == [1001, 1002]


def test_a_full_disk_in_one_worker_stops_the_shot_naming_what_no_worker_rendered(rig, tmp_path):
    from test_safety import mounted
    spec = rig.spec_for(tmp_path / "out")
    records = rig.spec_for(tmp_path / "room")  # the records on a disk with room
    spec = replace(spec, output=replace(spec.output, qc=records.output.qc))
    room = rig.spec.plate.path.frame(1001).stat().st_size + 400 * 1024
    reports: list[Progress] = []
    with mounted(tmp_path / "out", f"size={room}"), pytest.raises(DiskFullError) as full:
        _node(rig, spec, reports).render(FRAMES, force=True, workers=2)
    stored = {f: body["status"] for f, body in _records(spec).items()}
    assert stored[full.value.frame] == "unwritten"
    done = sorted(f for f, status in stored.items() if status == "swapped")
    assert sorted(p.frame for p in reports) == done  # reported is what was rendered
    left = [f for f in FRAMES if f not in done and f != full.value.frame]
    assert full.value.message == ("no space left on the device: the shot stopped; frames not "
                                  f"rendered: {format_frames(left) or 'none'}")
    assert full.value.path == str(spec.output.path.frame(full.value.frame))


#: After ``argv[2]`` seconds, gives every read of the FIFO ``argv[1]`` a few bytes and the end of
#: the file, until killed: a process of its own, as OpenImageIO opens a file holding Python's
#: GIL (a thread of the test's process would wait with the rest of it).
_END_FIFO_READS = """
import os, sys, time
fifo = sys.argv[1]
time.sleep(float(sys.argv[2]))
while True:
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # no reader has it open
        time.sleep(0.05)
        continue
    try:
        os.write(fd, b"not an image")
    except OSError:
        pass
    os.close(fd)
    time.sleep(0.05)
"""


def test_a_worker_that_dies_stops_the_shot_with_an_output_error(rig, tmp_path):
    plates = tmp_path / "plates"
    for f in (1001, 1003):
        rig.write_plate(plates, rig.plate(f))
    os.mkfifo(plates / "tst010.1002.exr")  # worker 1's only frame: its read waits for a writer
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    killed: list[int] = []
    done = threading.Event()

    def kill_worker_1() -> None:
        while not killed and not done.is_set():
            for child in multiprocessing.active_children():
                if child.name == "faceplate-render-1" and child.pid is not None:
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
            threading.Event().wait(0.05)

    killer = threading.Thread(target=kill_worker_1)
    killer.start()
    # should the frame be read in this process (no worker 1 to kill), its read ends after a
    # minute and the test fails, rather than waiting for ever
    ender = subprocess.Popen([sys.executable, "-c", _END_FIFO_READS,
                              str(plates / "tst010.1002.exr"), "60"])
    try:
        with pytest.raises(OutputError) as died:
            _node(rig, spec).render(FRAMES, force=True, workers=2)
    finally:
        done.set()
        killer.join()
        ender.kill()
        ender.wait()
    assert killed
    assert not isinstance(died.value, DiskFullError)
    assert died.value.exit_code == 3
    head, _, left = died.value.message.partition("; frames not rendered: ")
    assert head == "render process 1 ended before its frames were done (exit code -9)"
    stored = {f: body["status"] for f, body in _records(spec).items()}
    assert 1002 not in stored and stored[1001] == "swapped"
    assert left == format_frames([f for f in FRAMES if stored.get(f) != "swapped"])


# --- the worker and what the parent makes of it, without a process --------------------------


def test_a_workers_own_bug_reaches_the_parent_as_its_traceback(rig):
    receive, send = multiprocessing.Pipe(duplex=False)
    asked = multiprocessing.Event()
    signum = multiprocessing.Value("i", 0)
    share = Share(0, None, FRAMES, False, rig.node.ctx.colour.choice, 2,  # type: ignore[arg-type]
                  os.getppid())
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    threads = (oiio.get_int_attribute("threads"), oiio.get_int_attribute("exr_threads"),
               cv2.getNumThreads(), os.environ.get("OMP_NUM_THREADS"))
    try:
        _render_share(share, asked, signum, send)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # the parent stops a worker
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        assert (oiio.get_int_attribute("threads"), oiio.get_int_attribute("exr_threads"),
                cv2.getNumThreads(), os.environ["OMP_NUM_THREADS"]) == (2, 2, 2, "2")
    finally:  # this process is not a worker: its handlers and threads put back
        for s, handler in handlers.items():
            signal.signal(s, handler)
        oiio.attribute("threads", threads[0])
        oiio.attribute("exr_threads", threads[1])
        cv2.setNumThreads(threads[2])
        if threads[3] is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = threads[3]
    kind, text = receive.recv()
    assert kind == "crash" and "AttributeError" in text and "Traceback" in text
    with pytest.raises(RuntimeError,
                       match="(?s)render process 0 failed:\nTraceback.*AttributeError"):
        _raise_for(_Gathered([], {}, {}, {0: text}), FRAMES, rig.node.ctx)


def test_a_workers_faceplate_error_is_raised_as_it_was_and_before_the_stops_it_caused(rig):
    own = StageError("shot not solved yet", path="/shots/x/tracks.json")
    stopped = RunStopped("stopped after frame 1001; frames not rendered: 1003", signal=15,
                         name="SIGTERM")
    heard = _Gathered([1001], {}, {0: stopped, 1: own}, {})
    with pytest.raises(StageError) as raised:
        _raise_for(heard, FRAMES, rig.node.ctx)
    assert raised.value is own
    # the parent's stop, when only stops were heard: the frames finished and those left
    flag = StopFlag()
    flag.request(signal.SIGINT)
    ctx = replace(rig.node.ctx, stop=flag)
    with pytest.raises(RunStopped) as parent:
        _raise_for(_Gathered([1002, 1001], {}, {0: stopped}, {}), FRAMES, ctx)
    assert parent.value.message == "stopped after frames 1001-1002; frames not rendered: 1003"
    assert parent.value.exit_code == 130
    # a full disk goes before another worker's error, its frames named for the shot
    full = DiskFullError("no space left on the device: the shot stopped; frames not rendered: "
                         "1003", path="/out/a.1002.exr", frame=1002)
    with pytest.raises(DiskFullError) as disk:
        _raise_for(_Gathered([1001], {}, {0: own, 1: full}, {}), [*FRAMES, 1004], rig.node.ctx)
    assert disk.value.message == ("no space left on the device: the shot stopped; frames not "
                                  "rendered: 1003-1004")
    assert (disk.value.path, disk.value.frame) == ("/out/a.1002.exr", 1002)
    # nothing heard but results: nothing raised
    _raise_for(_Gathered(FRAMES, {0: ([], []), 1: ([], [])}, {}, {}), FRAMES, ctx)


@pytest.mark.parametrize("error", [
    RunStopped("stopped after frame 1001", signal=15, name="SIGTERM"),
    IncompleteShotError("2 frame(s) not written: 1002-1003", frames=[1002, 1003],
                        path="/qc/qc.json"),
    SpecError("must be a number", key="qc.max_swim"),
    DiskFullError("no space left on the device", path="/out/a.1002.exr", frame=1002),
])
def test_every_error_crosses_a_process_boundary_whole(error: FaceplateError):
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert vars(back) == vars(error) and back.args == error.args
    assert str(back) == str(error) and back.exit_code == error.exit_code


def test_a_workers_stop_flag_follows_the_parent_and_its_life():
    asked = multiprocessing.Event()
    signum = multiprocessing.Value("i", 0)
    here = WorkerStop(asked, signum, os.getppid())
    assert not here.requested and here.watched
    here.check("frame 1001")  # nothing asked: no error
    signum.value = signal.SIGINT
    asked.set()
    assert here.requested and here.signal == signal.SIGINT
    with pytest.raises(RunStopped, match="stopped after frame 1001") as stopped:
        here.check("frame 1001")
    assert stopped.value.exit_code == 130
    # asked by the parent for an error (no signal): stopped as by SIGTERM
    asked_for_error = multiprocessing.Event()
    asked_for_error.set()
    error_stop = WorkerStop(asked_for_error, multiprocessing.Value("i", 0), os.getppid())
    assert error_stop.requested and error_stop.signal == signal.SIGTERM
    # the parent gone (this process's parent is not the one it was started by)
    orphan = WorkerStop(multiprocessing.Event(), multiprocessing.Value("i", 0), os.getpid())
    assert orphan.requested and orphan.signal == signal.SIGTERM


# --- how many workers ------------------------------------------------------------------------


def test_auto_gives_one_worker_for_two_cores_each_with_enough_frames_and_at_most_the_cap():
    assert (CORES_PER_WORKER, FRAMES_PER_WORKER, MOST_WORKERS) == (2, 8, 8)
    assert auto_workers(48, 2) == 1 and auto_workers(48, 3) == 1  # one process fills 2 cores
    assert auto_workers(48, 4) == 2 and auto_workers(48, 5) == 2
    assert auto_workers(16, 4) == 2 and auto_workers(15, 4) == 1  # 8 frames each at least
    assert auto_workers(12, 16) == 1 and auto_workers(0, 4) == 1
    assert auto_workers(480, 64) == 8 and auto_workers(480, 1) == 1
    assert auto_workers(40, 32) == 5 and auto_workers(480, 12) == 6


def test_workers_asked_for_are_kept_up_to_the_frames_and_bad_counts_refused():
    assert resolve_workers(2, 48) == 2 and resolve_workers(4, 3) == 3
    assert resolve_workers(1, 0) == 1 and resolve_workers(3, 1) == 1
    for bad in (0, -2, True, 2.0, "2", "all"):
        with pytest.raises(SpecError, match="workers: must be auto or a whole number"):
            resolve_workers(bad, 48)  # type: ignore[arg-type]


def test_auto_counts_the_cores_this_process_may_use_not_the_machines():
    script = ("import os; from faceplate.nodes.pool import resolve_workers; "
              "from faceplate.threads import cores_here; "
              "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
              "print(cores_here(), resolve_workers('auto', 48))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["1", "1"]
    assert resolve_workers("auto", 48) == max(1, min(len(os.sched_getaffinity(0)) // 2, 6))


def test_each_worker_gives_the_libraries_its_share_of_the_cores_and_at_least_two():
    assert library_threads(2, 2) == 2 and library_threads(1, 2) == 2
    assert library_threads(4, 16) == 4 and library_threads(8, 16) == 2
    assert library_threads(5, 16) == 3 and library_threads(16, 16) == 2


def test_a_worker_starts_with_the_stop_signals_ignored_and_the_parent_keeps_its_handlers():
    from faceplate.nodes.pool import _signals_ignored
    script = ("import signal; print(*(signal.getsignal(s) is signal.SIG_IGN "
              "for s in (signal.SIGINT, signal.SIGTERM)))")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with _signals_ignored():
        started = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                 check=True)
    assert started.stdout.split() == ["True", "True"]
    assert {s: signal.getsignal(s) for s in before} == before
    plain = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True)
    assert plain.stdout.split() == ["False", "False"]
    # from another thread (a host's), nothing is changed and nothing raised
    seen: list[object] = []

    def elsewhere() -> None:
        with _signals_ignored():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [before[signal.SIGINT]]


def test_a_parent_that_leaves_at_once_kills_its_workers_and_waits_for_them(rig, tmp_path):
    plates = tmp_path / "plates"
    for f in (1001, 1003):
        rig.write_plate(plates, rig.plate(f))
    os.mkfifo(plates / "tst010.1002.exr")  # worker 1 waits on its read for ever
    spec = rig.spec_for(tmp_path / "out", plates=plates)

    def second_signal(report: Progress) -> None:  # what the command line's handler raises
        raise RunStopped("stopped at once on a second signal", signal=signal.SIGINT,
                         name="SIGINT")

    node = ShotNode(spec, replace(rig.node.ctx, progress=second_signal))
    with pytest.raises(RunStopped, match="at once"):
        node.render(FRAMES, force=True, workers=2)
    assert [p.name for p in multiprocessing.active_children()
            if p.name.startswith("faceplate-render")] == []
