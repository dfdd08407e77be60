"""How the command line stops on SIGINT and SIGTERM (what a farm sends to stop a task): the first
asks a running shot to stop after the frame in flight (:class:`faceplate.pipeline.stop.StopFlag`),
which then writes its records and report and exits 130 or 143; a second signal, or one while
nothing watches the flag, stops at once (still one line, the same exit code)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from faceplate.errors import RunStopped
from faceplate.pipeline.stop import StopFlag

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Where the command's context keeps the stop flag (``ctx.meta``, shared by every command).
STOP_FLAG_KEY = "faceplate.stop_flag"


@contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """Handle SIGINT and SIGTERM with ``flag`` while the block runs; the handlers before are
    put back after it."""
    def handle(signum: int, _: FrameType | None) -> None:
        again = flag.requested
        if not flag.request(signum):
            what = "a second signal" if again else "a signal while no frame was in flight"
            raise RunStopped(f"stopped at once on {what}", signal=signum,
                             name=signal.Signals(signum).name)

    previous = {s: signal.signal(s, handle) for s in SIGNALS}
    try:
        yield flag
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
