"""Render in processes: the frames to render shared between worker processes (each a render of
its own share, as a farm chunk is), their progress, stop and errors gathered into one render.

One render process keeps about 1.8 cores busy (dlib's descriptor and the swap's Python hold the
GIL while the codecs wait); on a machine with more cores, workers fill them. Worker ``k`` of
``n`` renders every ``n``-th frame from the ``k``-th. Outputs are the same bytes whatever ``n``:
no frame's render depends on another's, and the output folder's manifest is shared under a
file lock (:mod:`faceplate.written`).

The parent stops the shot: it asks every worker to stop after its frame in flight (its own
stop flag set, or a worker's error), and a worker whose parent is gone stops by itself. A
worker ignores SIGINT and SIGTERM from its first instruction: the parent ignores them for the
moment it starts one (an ignored signal stays ignored across ``exec``, and Python then installs
no handler of its own), so a Ctrl-C that reaches the whole process group while a worker
imports the pipeline does not kill it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import TYPE_CHECKING, Any, Literal, cast

from faceplate import streams
from faceplate.errors import DiskFullError, FaceplateError, OutputError, RunStopped, SpecError
from faceplate.frames import format_frames
from faceplate.memory import keep_freed_memory
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.stop import StopFlag
from faceplate.threads import cores_here

if TYPE_CHECKING:
    from faceplate.ocio.config import ConfigChoice
    from faceplate.pipeline.context import RunContext
    from faceplate.pipeline.render.result import FrameOutcome, RenderResult
    from faceplate.spec import ShotSpec

#: One render process keeps about 1.8 cores busy (reader, writer and QC threads beside the
#: swap): ``auto`` runs one worker for every this many cores.
CORES_PER_WORKER = 2
#: A worker costs a start-up (imports, models: about 1.5 s of CPU) and its own memory:
#: ``auto`` gives each at least this many frames, and uses at most :data:`MOST_WORKERS`.
FRAMES_PER_WORKER = 8
MOST_WORKERS = 8
#: How often the parent looks at its stop flag while it waits on the workers (seconds).
POLL_SECONDS = 0.2


def auto_workers(frames: int, cores: int) -> int:
    """The render processes ``--workers auto`` runs for ``frames`` frames on ``cores`` cores:
    one for every :data:`CORES_PER_WORKER` cores, at most :data:`MOST_WORKERS`, each with at
    least :data:`FRAMES_PER_WORKER` frames (so a short farm chunk renders in one process). On
    2 cores that is one: a second worker's start-up cost more than the quarter core it could
    fill (docs/performance.md)."""
    return max(1, min(cores // CORES_PER_WORKER, MOST_WORKERS, frames // FRAMES_PER_WORKER))


#: How many render processes: a number, or ``"auto"`` (:func:`auto_workers`).
Workers = int | Literal["auto"]


def resolve_workers(workers: Workers, frames: int) -> int:
    """The render processes for ``frames`` frames: ``workers``, or for ``"auto"`` those
    :func:`auto_workers` gives on this process's cores; never more than the frames.

    Raises:
        SpecError: not ``"auto"`` nor a whole number of at least 1 (key ``workers``).
    """
    if workers == "auto":
        return auto_workers(frames, cores_here())
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SpecError(f"must be auto or a whole number of at least 1, not {workers!r}",
                        key="workers")
    return max(1, min(workers, frames))


def library_threads(workers: int, cores: int) -> int:
    """The threads each of ``workers`` processes gives the libraries that start one per core
    (OpenImageIO and its EXR codec, OpenCV): its share of ``cores``, and at least 2, so one
    worker's encode can use a core another's Python leaves idle (measured on 2 cores, one run
    each: two workers with 2 threads each rendered 7% faster than with one thread each,
    docs/performance.md)."""
    return max(2, cores // workers)


def use_threads(threads: int) -> None:
    """Give the libraries that start a thread per core ``threads`` threads in this process, so a
    full pool does not run cores × cores threads (``OMP_NUM_THREADS`` for PyTorch's OpenMP
    pool, read when torch is first imported)."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import cv2
    import OpenImageIO as oiio
    oiio.attribute("threads", threads)
    oiio.attribute("exr_threads", threads)
    cv2.setNumThreads(threads)


class WorkerStop(StopFlag):
    """A worker's stop flag: requested when the parent asks (``asked``, the signal's number in
    ``signum``; 0 when the parent stops the shot for an error) or when the parent ``parent``
    is gone (the worker is then adopted by another process)."""

    def __init__(self, asked: Event, signum: Synchronized[int], parent: int) -> None:
        super().__init__()
        self.watched = True
        self._asked, self._signum, self._parent = asked, signum, parent

    @property
    def requested(self) -> bool:
        if self.signal is None and (self._asked.is_set() or os.getppid() != self._parent):
            self.signal = self._signum.value or signal.SIGTERM
        return self.signal is not None


@dataclass(frozen=True)
class Share:
    """One worker's task: its frames of the shot and what it needs to render them alone."""

    index: int
    spec: ShotSpec
    frames: list[int]
    force: bool
    config: ConfigChoice
    threads: int
    parent: int


def _render_share(share: Share, asked: Event, signum: Synchronized[int],
                  send: Connection) -> None:
    """A worker's life: render its share, sending ``("frame", frame)`` as each is done, then
    ``("done", (outcomes, reused))``, ``("error", FaceplateError)`` or ``("crash", traceback)``."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)  # the parent asks this worker to stop
    try:
        keep_freed_memory()
        use_threads(share.threads)
        from faceplate.nodes.shot import ShotNode
        from faceplate.ocio import ColourManager
        from faceplate.ocio.config import load_config
        from faceplate.pipeline.context import RunContext

        def progress(p: Progress) -> None:  # a render reports each frame, once, when done
            send.send(("frame", p.frame))

        ctx = RunContext(colour=ColourManager(load_config(share.config), share.config),
                         progress=progress, stop=WorkerStop(asked, signum, share.parent))
        result = ShotNode(share.spec, ctx).render(share.frames, force=share.force)
        send.send(("done", (result.outcomes, result.reused)))
    except FaceplateError as exc:
        send.send(("error", exc))
    except BaseException:  # a bug: its traceback goes to the parent, which raises it
        send.send(("crash", traceback.format_exc()))
    finally:
        send.close()


@dataclass
class _Gathered:
    """What the parent has heard from its workers."""

    done: list[int]
    outcomes: dict[int, tuple[list[FrameOutcome], list[int]]]
    errors: dict[int, FaceplateError]
    crashes: dict[int, str]

    def ended(self, index: int) -> bool:
        return index in self.outcomes or index in self.errors or index in self.crashes


def render_in_processes(spec: ShotSpec, frames: list[int], ctx: RunContext, force: bool,
                        workers: int) -> RenderResult:
    """Render ``frames`` in ``workers`` processes (each every ``workers``-th frame), as
    :func:`faceplate.pipeline.render.render` would in one: the same outputs and records, one
    progress report per frame to ``ctx.progress``, and ``ctx.stop`` passed on to every worker.

    Raises:
        RunStopped: ``ctx.stop`` was set: every worker stopped after its frame in flight.
        DiskFullError: a worker could not write a frame for lack of space (the others stopped
            after their frame in flight).
        OutputError: a worker ended without a word (killed, out of memory).
        FaceplateError: any other error a worker raised (the others stopped).
    """
    from faceplate.pipeline.render.result import RenderResult
    spawn = multiprocessing.get_context("spawn")  # no fork of a process holding OIIO threads
    asked = spawn.Event()
    signum: Synchronized[int] = spawn.Value("i")  # 0 until a signal stops the shot
    threads = library_threads(workers, cores_here())
    if ctx.stop.signal is not None:  # asked before any worker starts: each stops after its first
        _ask_to_stop(asked, signum, ctx.stop.signal)
    processes, pipes = [], []
    for k in range(workers):
        receive, send = spawn.Pipe(duplex=False)
        share = Share(k, spec, frames[k::workers], force, ctx.colour.choice, threads,
                      os.getpid())
        process = spawn.Process(target=_render_share, args=(share, asked, signum, send),
                                name=f"faceplate-render-{k}")
        with _signals_ignored(), streams.as_they_are():  # the real streams, not held ones
            process.start()
        send.close()  # the worker holds the sending end
        processes.append(process)
        pipes.append(receive)
    try:
        heard = _gather(processes, pipes, ctx, asked, signum, len(frames))
    finally:
        for process in processes:  # alive only when the parent leaves early (a second
            if process.is_alive():  # signal: stop at once), and a worker ignores SIGTERM
                process.kill()
            process.join()
    _raise_for(heard, frames, ctx)
    order = {f: i for i, f in enumerate(frames)}
    outcomes = sorted((o for done, _ in heard.outcomes.values() for o in done),
                      key=lambda o: order[o.frame])
    reused = sorted((f for _, kept in heard.outcomes.values() for f in kept),
                    key=lambda f: order[f])
    return RenderResult(outcomes, reused, spec)


def _gather(processes: list[Any], pipes: list[Connection], ctx: RunContext, asked: Event,
            signum: Synchronized[int], total: int) -> _Gathered:
    """Listen to the workers until each has ended: progress to ``ctx.progress``; the parent's
    stop, or the first error, passed on to them all."""
    heard = _Gathered([], {}, {}, {})
    readers: dict[Connection, int] = {pipe: k for k, pipe in enumerate(pipes)}
    while readers:
        if ctx.stop.signal is not None:
            _ask_to_stop(asked, signum, ctx.stop.signal)
        for ready in wait(list(readers), timeout=POLL_SECONDS):
            pipe = cast(Connection, ready)
            k = readers[pipe]
            try:
                message = cast(tuple[str, Any], pipe.recv())
            except EOFError:  # the worker is gone: with its word, or without
                del readers[pipe]
                pipe.close()
                processes[k].join()
                if not heard.ended(k):
                    heard.crashes[k] = f"exit code {processes[k].exitcode}"
                    asked.set()
                continue
            match message:
                case ("frame", frame):
                    heard.done.append(frame)
                    ctx.progress(Progress("render", len(heard.done), total, frame))
                case ("done", kept):
                    heard.outcomes[k] = kept
                case ("error", error):
                    heard.errors[k] = error
                    asked.set()
                case (_, text):
                    heard.crashes[k] = text
                    asked.set()
    return heard


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """SIGINT and SIGTERM ignored for the block, then handled as before (only in the main
    thread, the one Python lets change them): a process started meanwhile inherits them
    ignored. A signal in the block's few milliseconds is lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def _ask_to_stop(asked: Event, signum: Synchronized[int], number: int) -> None:
    """Ask every worker to stop after its frame in flight for signal ``number``, once (the
    parent stops them for an error by setting ``asked`` alone: ``signum`` stays 0)."""
    if not asked.is_set():
        signum.value = number
        asked.set()


def _raise_for(heard: _Gathered, frames: list[int], ctx: RunContext) -> None:
    """Raise what stopped the shot, if anything did: a worker's own error first (a full disk
    before any other), then a worker that ended without a word, then the parent's stop."""
    from faceplate.pipeline.render.result import NOT_RENDERED
    finished = set(heard.done)

    def left(failed: int | None = None) -> str:
        """The frames no worker finished (but ``failed``, recorded as failed), as a range."""
        return format_frames([f for f in frames if f not in finished and f != failed]) or "none"

    own = [e for _, e in sorted(heard.errors.items()) if not isinstance(e, RunStopped)]
    full = [e for e in own if isinstance(e, DiskFullError)]
    if full:  # its message named its share's frames: the shot's instead
        head = full[0].message.split(NOT_RENDERED)[0]
        raise DiskFullError(f"{head}{NOT_RENDERED}{left(full[0].frame)}", path=full[0].path,
                            frame=full[0].frame)
    if own:
        raise own[0]
    for k, text in sorted(heard.crashes.items()):
        if text.startswith("exit code"):
            raise OutputError(f"render process {k} ended before its frames were done ({text})"
                              f"{NOT_RENDERED}{left()}")
        raise RuntimeError(f"render process {k} failed:\n{text}")
    if heard.errors:  # every worker that stopped early did because the parent asked
        raise ctx.stop.stopped(f"frames {format_frames(sorted(finished)) or 'none'}"
                               f"{NOT_RENDERED}{left()}")
