"""Stopping a run between frames: a flag a signal handler sets (the command line's, a host's) and
the stages look at after each frame, so a run asked to stop finishes the frame in flight, keeps
its records, and ends with :class:`faceplate.errors.RunStopped`. Light to import."""

from __future__ import annotations

import signal as signals

from faceplate.errors import RunStopped


class StopFlag:
    """Whether a run was asked to stop, and by which signal.

    ``watched`` says a running stage looks at the flag between frames; a handler that finds
    nobody watching should stop the process at once instead (:meth:`request` says which).
    Made per run by whoever runs the shot; faceplate keeps no global state.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self.watched = False

    def request(self, signum: int) -> bool:
        """Ask the run to stop; returns whether it will stop by itself after the frame in flight
        (False: nobody watches, or this is the second request, and the caller should stop it
        at once)."""
        again = self.signal is not None
        self.signal = signum
        return self.watched and not again

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def stopped(self, done: str) -> RunStopped:
        """The error that ends a run stopped after ``done`` (e.g. ``frame 1003``)."""
        signum = self.signal if self.signal is not None else signals.SIGINT
        return RunStopped(f"stopped after {done}", signal=signum,
                          name=signals.Signals(signum).name)

    def check(self, done: str) -> None:
        """Raise :class:`RunStopped` if a stop was requested (``done``: what was finished).

        Raises:
            RunStopped: a stop was requested.
        """
        if self.requested:
            raise self.stopped(done)
