"""dlib's ResNet identity descriptor computed in a process of its own, while the caller goes on.

dlib holds Python's GIL for the whole of a descriptor (70-80 ms a face on the development
machine), so in a thread it would stop every other thread's Python too. In a process of lower
priority (:data:`NICENESS`) it runs on the cores the caller's threads leave idle, and gives the
same values: the same library on the same pixels.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from faceplate import streams
from faceplate.errors import FaceplateError, ModelError
from faceplate.types import Descriptor, Image8, Landmarks

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

#: How often (seconds) the process looks whether its parent is still there while idle: a
#: parent killed outright (SIGKILL) leaves it no other word.
_PARENT_CHECK = 1.0
#: How much lower than its parent's the helper's scheduling priority is (niceness added).
#: Its descriptors are asked ahead and waited for late (analysis writes a frame once its
#: identity is back; render's QC waits in a thread of its own), so it takes the cores the
#: stage's own threads leave idle rather than sharing them: analysis ran faster with it,
#: render no slower (docs/performance.md).
NICENESS = 10
#: How long closing waits for the process to end before it is killed.
_CLOSE_WAIT = 5.0
#: How long (seconds) a descriptor is waited for before the helper counts as hung: a face
#: takes 60-80 ms, and the helper starts in under a second.
ANSWER_WAIT = 120.0


def _serve(conn: Connection, parent: int) -> None:
    """The process's life: load the recognizer, then answer each ``(image, marks)`` request
    on ``conn`` with ``("ok", descriptor)`` or ``("error", message)``, in the order asked,
    until ``None`` comes or the parent is gone."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)  # the parent stops the shot and then closes this
    with contextlib.suppress(OSError, AttributeError):  # else at the parent's priority
        os.nice(NICENESS)
    from faceplate.models.dlib_pack import DlibFacePack
    pack = DlibFacePack()
    with contextlib.suppress(FaceplateError):  # each request is then answered with it
        pack.load_recognizer()  # before the first request comes
    while True:
        if not conn.poll(_PARENT_CHECK):
            if os.getppid() != parent:
                return
            continue
        try:
            request = conn.recv()
        except EOFError:  # the parent closed its end
            return
        if request is None:
            return
        try:
            conn.send(("ok", pack.descriptor(*request)))
        except FaceplateError as exc:
            conn.send(("error", str(exc)))
        except Exception as exc:  # dlib's own (a picture it cannot read): the caller raises it
            conn.send(("error", f"the identity descriptor failed: {exc}"))


@dataclass(frozen=True)
class PendingDescriptor:
    """A descriptor asked of a :class:`DescriptorProcess`: :meth:`result` gives it (waiting
    for it if it has not come back yet)."""

    ticket: int
    process: DescriptorProcess

    def ready(self) -> bool:
        """Whether :meth:`result` would give it without waiting."""
        return self.process.answered(self.ticket)

    def result(self) -> Descriptor:
        """The descriptor (128 values).

        Raises:
            ModelError: the recognizer would not load or run in the process, or the process
                ended without a word (killed, out of memory).
        """
        return self.process.take(self.ticket)


class DescriptorProcess:
    """dlib's identity descriptor (:meth:`DlibFacePack.descriptor`) in a process of its own:
    :meth:`later` asks for one, and the :class:`PendingDescriptor` it returns gives it; any
    thread may ask and take (a thread waiting for its answer leaves Python's GIL to the
    others). A context manager: the process ends with the block (one never closed is closed
    when this process exits)."""

    def __init__(self) -> None:
        spawn = multiprocessing.get_context("spawn")  # no fork of a process holding threads
        # a pipe, not multiprocessing queues: no semaphores for the resource tracker to find
        # at exit; requests go down it from a thread of this object's own (a request larger
        # than the pipe holds waits there for the helper to read it, and the first for the
        # helper to start: the caller goes on)
        self._conn, self._theirs = spawn.Pipe()
        self._outbox: queue.SimpleQueue[tuple[np.ndarray, np.ndarray] | None] = (
            queue.SimpleQueue())
        self._sender = threading.Thread(target=self._send_all, name="faceplate-identity-send",
                                        daemon=True)
        self._process: BaseProcess = spawn.Process(
            target=_serve, args=(self._theirs, os.getpid()), name="faceplate-identity")
        self._started = False
        self._asked = 0
        self._received = 0  # answers come back in the order asked: the next one's ticket
        self._heard: dict[int, tuple[str, Any]] = {}
        self._sending = threading.Lock()  # tickets in the order the requests are sent
        self._hearing = threading.Lock()  # one thread takes in answers at a time

    def start(self) -> None:
        """Start the process now (else the first descriptor asked starts it: a shot with no
        face never pays for it)."""
        with self._sending:
            self._start()

    def _start(self) -> None:
        if not self._started:
            with streams.as_they_are():  # a plate decode holding them would leave them its own
                self._process.start()
            self._theirs.close()  # the helper's end is its own: its death is an end of file
            self._sender.start()
            self._started = True
            # a helper never closed would keep this process from exiting: multiprocessing's
            # exit waits for its children, and the helper ignores the SIGTERM it sends
            atexit.register(self.close)

    def _send_all(self) -> None:
        """The sender thread: each request in the order asked, then the closing ``None``."""
        while True:
            request = self._outbox.get()
            try:
                self._conn.send(request)
            except OSError:  # the helper is gone: waiting for an answer says how
                return
            if request is None:
                return

    @property
    def pid(self) -> int | None:
        """The process's id (None until it starts)."""
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        """How the process ended (0: closed; negative: the signal that killed it); None while
        it runs."""
        return self._process.exitcode

    def later(self, image: Image8, marks: Landmarks) -> PendingDescriptor:
        """Ask for the descriptor of the face with 68 iBUG ``marks`` in ``image`` (copied, and
        sent by a thread of its own: this returns at once)."""
        request = (np.array(image, copy=True, order="C"), np.array(marks, np.float64))
        with self._sending:
            self._start()
            ticket = self._asked
            self._asked += 1
            self._outbox.put(request)
        return PendingDescriptor(ticket, self)

    def answered(self, ticket: int) -> bool:
        """Whether the answer to ``ticket`` has come back (taken or not), without waiting."""
        with self._hearing:
            self._hear(wait=False)
            return ticket < self._received

    def take(self, ticket: int) -> Descriptor:
        """The answer to ``ticket``, waiting for it (given once)."""
        with self._hearing:
            while ticket >= self._received:
                self._hear(wait=True)
            kind, value = self._heard.pop(ticket)
        if kind == "error":
            raise ModelError(value)
        return np.asarray(value, np.float64)

    def _hear(self, wait: bool) -> None:
        """Take in the answers that have come back (``wait``: at least one, for at most
        :data:`ANSWER_WAIT` seconds)."""
        deadline = time.monotonic() + ANSWER_WAIT
        while True:
            try:
                answer = (self._conn.recv() if self._conn.poll(_PARENT_CHECK if wait else 0)
                          else None)
            except (EOFError, OSError):  # the helper's end closed: it has ended
                self._process.join(_CLOSE_WAIT)
                raise self._ended() from None
            if answer is None:
                if not wait:
                    return
                if not self._process.is_alive():
                    raise self._ended()
                if time.monotonic() > deadline:
                    raise ModelError("the identity descriptor's helper process gave no answer "
                                     f"in {ANSWER_WAIT:g} s (hung)")
                continue
            self._heard[self._received] = answer
            self._received += 1
            wait = False

    def _ended(self) -> ModelError:
        return ModelError(
            "the identity descriptor's helper process ended without a word (exit code "
            f"{self._process.exitcode}): killed, out of memory, or it could not start (a "
            "script that runs faceplate's command line in its own process needs an "
            "`if __name__ == \"__main__\":` guard)")

    def close(self) -> None:
        """End the process (killed if it has not ended :data:`_CLOSE_WAIT` seconds later);
        requests not yet sent are dropped."""
        if self._started:
            atexit.unregister(self.close)
            with contextlib.suppress(queue.Empty):
                while True:
                    self._outbox.get_nowait()
            self._outbox.put(None)
            self._sender.join(_CLOSE_WAIT)
            if self._process.is_alive():
                self._process.join(_CLOSE_WAIT)
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
            self._sender.join(_CLOSE_WAIT)  # a send the helper never read fails once it is gone
        else:
            self._theirs.close()
        self._conn.close()

    def __enter__(self) -> DescriptorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
