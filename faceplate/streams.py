"""The process's standard output and error, held while a library that prints what faceplate
reports itself runs (OpenEXR on a damaged file, :mod:`faceplate.plateio.openexr_pixels`), then
written on less that library's lines; and never held while a process is started (it would keep
the held stream as its own)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import TextIO

#: Held while the streams are held, and while a process is started.
_STREAMS = threading.Lock()


@contextlib.contextmanager
def held_output(dropped: tuple[str, ...]) -> Iterator[bool]:
    """The standard error (file descriptor 2: what C libraries print) and ``sys.stdout`` held
    while the block runs, then written on less the lines that start with one of ``dropped``;
    what other threads write meanwhile comes out after, unchanged. One holder at a time.
    Gives whether they are held: not where no temporary file can be made to hold them."""
    with _STREAMS:
        try:
            saved: int | None = os.dup(2)  # before the file that holds it takes a free number
        except OSError:  # no standard error to hold
            saved = None
        try:
            held = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the block below
        except OSError:  # no temporary folder to write to: nothing held
            if saved is not None:
                os.close(saved)
            yield False
            return
        with held:
            stdout, printed = sys.stdout, io.StringIO()
            sys.stdout = printed
            try:
                if saved is not None:
                    os.dup2(held.fileno(), 2)
                yield True
            finally:
                sys.stdout = stdout
                if saved is not None:
                    os.dup2(saved, 2)
                    os.close(saved)
                held.seek(0)
                _pass_on(held.read(), printed.getvalue(), dropped, stdout)


@contextlib.contextmanager
def as_they_are() -> Iterator[None]:
    """No stream held while the block runs (a process started in it inherits the real ones)."""
    with _STREAMS:
        yield


def _pass_on(errors: bytes, printed: str, dropped: tuple[str, ...],
             stdout: TextIO | None) -> None:
    """``errors`` to file descriptor 2 and ``printed`` to ``stdout``, less the lines that
    start with one of ``dropped``."""
    prefixes = tuple(p.encode() for p in dropped)
    kept = b"".join(line for line in errors.splitlines(keepends=True)
                    if not line.startswith(prefixes))
    os.write(2, kept)  # a blocking descriptor takes it whole
    text = "".join(line for line in printed.splitlines(keepends=True)
                   if not line.startswith(dropped))
    if stdout is not None:
        stdout.write(text)
