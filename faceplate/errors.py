"""The one exception tree of faceplate.

Every error a user can cause derives from :class:`FaceplateError`, carries the
frame and path it concerns where there is one, and knows the documented exit
code the CLI returns for it (see README, "Exit codes"). Library code raises
these; only the CLI and host plugins catch them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

#: The longest error line the CLI prints (a message never repeats a whole hostile value).
ONE_LINE_LIMIT = 1000


def one_line(text: str, limit: int = ONE_LINE_LIMIT) -> str:
    """``text`` with its line breaks and runs of spaces folded into single spaces, cut to
    ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


class FaceplateError(Exception):
    """Base class of every faceplate error.

    Attributes:
        path: the file the error concerns, if any.
        frame: the frame number the error concerns, if any.
        exit_code: what the CLI exits with when this error stops it.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, path: str | Path | None = None,
                 frame: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.frame = frame

    def __str__(self) -> str:
        where = []
        if self.frame is not None:
            where.append(f"frame {self.frame}")
        if self.path is not None and self.path not in self.message:
            where.append(self.path)
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def parts(self) -> tuple[FaceplateError, ...]:
        """The errors this one stands for, each printed on its own ``ERROR:`` line: itself,
        or each of several found at once."""
        return (self,)

    def one_line(self, limit: int = ONE_LINE_LIMIT) -> str:
        """``<key|file|frame>: <what>`` on one line of at most ``limit`` characters: what the
        CLI prints after ``ERROR:``."""
        if self.path is not None and self.path not in self.message:
            frame = f" (frame {self.frame})" if self.frame is not None else ""
            text = f"{self.path}{frame}: {self.message}"
        elif self.frame is not None:
            text = f"frame {self.frame}: {self.message}"
        else:
            text = self.message
        return one_line(text, limit)

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its class, message and attributes, whatever its constructor asks for (a
        render process's error reaches its parent whole)."""
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(cls: type[FaceplateError], args: tuple[object, ...],
             state: dict[str, object]) -> FaceplateError:
    """An error unpickled: made without its constructor, then given its attributes."""
    exc = cls.__new__(cls, *args)  # BaseException.__new__ keeps args
    exc.__dict__.update(state)
    return exc


class SpecError(FaceplateError):
    """The shot spec is malformed: an unknown key, a bad value, a missing file.

    Attributes:
        key: the dotted key path in the spec, e.g. ``plate.colorspace``.
    """

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None,
                 path: str | Path | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message, path=path)
        self.key = key

    def one_line(self, limit: int = ONE_LINE_LIMIT) -> str:
        if self.key is None:
            return super().one_line(limit)
        return one_line(str(self), limit)  # the key leads; the file follows in brackets


class SpecErrors(SpecError):
    """Several spec errors found at once, each naming its key: ``str()`` is one line per error
    (the CLI prints each as its own ``ERROR:`` line); ``key`` is the first error's.

    Attributes:
        errors: the errors, in the order they were found.
    """

    def __init__(self, errors: Sequence[SpecError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = tuple(errors)
        self.key = errors[0].key if errors else None

    def parts(self) -> tuple[FaceplateError, ...]:
        return self.errors


def raise_spec_errors(errors: Sequence[SpecError]) -> None:
    """Raise the one error of ``errors`` as itself, several as :class:`SpecErrors`; nothing
    when there are none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrors(errors)


class ColourError(FaceplateError):
    """The OCIO config cannot be loaded or a colourspace is unknown."""

    exit_code = 2


class PlateError(FaceplateError):
    """A plate frame is missing, unreadable or malformed."""

    exit_code = 3


class PlateMissingError(PlateError):
    """A plate frame is not on disk (its status is ``missing``; other plate errors are
    ``unreadable``)."""


class OutputError(FaceplateError):
    """An output frame could not be written."""

    exit_code = 3


class DiskFullError(OutputError):
    """A write failed because the file system holding it has no space left: the shot stops
    (every later frame would fail alike) after recording what it finished."""


class FrameRefusedError(PlateError):
    """A plate frame's header is outside what faceplate reads (deep, too large for its display
    window or for memory, too many channels, a sample type it cannot write back): its pixels
    are not decoded and the frame is recorded ``unreadable``."""


class RunStopped(FaceplateError):
    """A signal (SIGINT, SIGTERM) asked the run to stop: it stopped after the frame in flight.

    Attributes:
        signal: the signal's number; the exit code is 128 + it (130 for SIGINT, 143 for SIGTERM).
        name: the signal's name.
    """

    exit_code = 130

    def __init__(self, message: str, *, signal: int, name: str) -> None:
        super().__init__(message)
        self.signal = signal
        self.name = name
        self.exit_code = 128 + signal

    def one_line(self, limit: int = ONE_LINE_LIMIT) -> str:
        return one_line(f"{self.name}: {self.message}", limit)


class ModelError(FaceplateError):
    """A model file is missing, fails its checks, or fails to run."""

    exit_code = 4


class StageError(FaceplateError):
    """A pipeline stage needs the output of an earlier one that is missing or stale."""

    exit_code = 5


class IncompleteShotError(FaceplateError):
    """The shot ran, but some requested frames could not be written.

    Attributes:
        frames: the frames that were not written.
        result: what the run did, where a whole run raised it (the node API's ``ShotResult``:
            its render and report, written all the same); else None.
    """

    exit_code = 3

    def __init__(self, message: str, *, frames: list[int],
                 path: str | Path | None = None, result: object | None = None) -> None:
        super().__init__(message, path=path)
        self.frames = frames
        self.result = result


class ModelNotFoundError(ModelError):
    """A model file is on no folder of the model search path."""


class ModelHashError(ModelError):
    """A model file's sha256 differs from the one pinned in the manifest; it is not loaded."""


class LicenceRefusedError(ModelError):
    """A model refused by the studio's licence policy (a licence that does not allow
    commercial use, or one outside ``allow_licences``).

    Attributes:
        licence: the licence the manifest records for the model.
        refusals: every model refused at once, each its own error (one ``ERROR:`` line each).
    """

    def __init__(self, message: str, *, licence: str, path: str | Path | None = None,
                 refusals: Sequence[LicenceRefusedError] = ()) -> None:
        super().__init__(message, path=path)
        self.licence = licence
        self.refusals = tuple(refusals)

    def parts(self) -> tuple[FaceplateError, ...]:
        return self.refusals or (self,)


class FarmError(FaceplateError):
    """A farm could not take a job (scheduler missing, submission refused)."""

    exit_code = 6
