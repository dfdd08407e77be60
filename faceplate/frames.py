"""Frame numbers: ranges (``1001-1048``, ``1001-1100x2``), sequence paths (Nuke-style ``####``,
``%04d``, ``@@@@``, ``$F4``), and the checks every layer shares (inside the plate, contiguous)."""

from __future__ import annotations

import os
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import fileseq

from faceplate.errors import SpecError


@dataclass(frozen=True)
class SequencePath:
    """A frame-numbered file path such as ``plates/sh010.####.exr``.

    One ``#`` or ``@`` stands for one digit (Nuke style, not fileseq's default
    where ``#`` means four), ``%04d`` and ``$F4`` give the padding explicitly.
    """

    pattern: str

    def __post_init__(self) -> None:
        seq = self._sequence()
        if not seq.padding():
            raise SpecError("no frame number token (####, %04d, @@@@, $F4) in "
                            f"{shown(self.pattern)}")

    def _sequence(self) -> fileseq.FileSequence:
        return self._parsed

    @cached_property
    def _parsed(self) -> fileseq.FileSequence:
        """The pattern parsed once per path (parsing costs milliseconds; frames ask often)."""
        try:
            return fileseq.FileSequence(self.pattern, pad_style=fileseq.PAD_STYLE_HASH1,
                                        allow_subframes=False)
        except fileseq.ParseException as exc:
            raise SpecError(f"cannot parse sequence path {shown(self.pattern)}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                            ) from None

    def frame(self, frame: int) -> Path:
        """The file path of one frame."""
        return Path(self._sequence().frame(frame))

    @property
    def directory(self) -> Path:
        return Path(self._sequence().dirname() or ".")

    def parts(self) -> tuple[Path, str, int, str]:
        """Folder, name before the frame number, its padding, and what follows it (e.g.
        ``plates``, ``sh010.``, 4, ``.exr``), as an editorial timeline names a sequence."""
        seq = self._sequence()
        return self.directory, seq.basename(), int(seq.zfill()), seq.extension()

    def resolved(self, base: Path) -> SequencePath:
        """The same pattern, made absolute against ``base`` if it is relative."""
        path = Path(self.pattern)
        return self if path.is_absolute() else SequencePath(str(base / path))

    def __str__(self) -> str:
        return self.pattern


#: The most frames one shot (or one ``--frames`` range) may hold unless ``$FACEPLATE_MAX_FRAMES``
#: says otherwise (over an hour at 24 fps): a range far beyond it is a typing error that would
#: otherwise hang the run before it said anything.
DEFAULT_MAX_FRAMES = 100_000
MAX_FRAMES_VARIABLE = "FACEPLATE_MAX_FRAMES"
_ITEM = re.compile(r"(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?")


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother, short.maxlong = 2, 40, 40, 40
    short.maxtuple = short.maxlist = short.maxdict = short.maxset = 3
    return short


_SHORT = _short_repr()


def frame_limit(environ: Mapping[str, str] | None = None) -> int:
    """The most frames a shot may hold: ``$FACEPLATE_MAX_FRAMES``, else
    :data:`DEFAULT_MAX_FRAMES`.

    Raises:
        SpecError: the variable is set to something other than a whole number above 0.
    """
    text = (os.environ if environ is None else environ).get(MAX_FRAMES_VARIABLE, "")
    if not text.strip():
        return DEFAULT_MAX_FRAMES
    if not text.strip().isdigit() or int(text) < 1:
        raise SpecError(f"expected a whole number of frames above 0, got {shown(text)}",
                        key=MAX_FRAMES_VARIABLE)
    return int(text)


def shown(value: object) -> str:
    """``repr(value)`` cut to a few dozen characters, for one-line error messages; a nested
    value is never expanded whole (it may be a YAML alias bomb)."""
    return _SHORT.repr(value)


def parse_frames(text: str | int, *, limit: int | None = None) -> list[int]:
    """Frames of a range such as ``1001-1048``, ``1001-1100x2`` or ``1001,1003-1005``.

    Each comma-separated item is a frame, ``first-last`` or ``first-lastxstep``; ``first`` may
    not come after ``last``. The frames are counted before any list is made, and a range of
    more than ``limit`` frames (default :func:`frame_limit`) is refused.

    Raises:
        SpecError: a one-line message naming what is wrong with ``text``.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise SpecError(f"expected a frame range such as 1001-1048, got {shown(text)}")
    limit = frame_limit() if limit is None else limit
    items = [item.strip() for item in str(text).split(",")]
    bounds = []
    for item in items:
        match = _ITEM.fullmatch(item)
        if match is None:
            where = f" in {shown(text)}" if len(items) > 1 else ""
            raise SpecError(f"not a frame range: {shown(item)}{where} (expected e.g. "
                            "1001-1048, 1001-1100x2 or 1001,1003-1005)")
        first = int(match[1])
        last = int(match[2]) if match[2] is not None else first
        step = int(match[3]) if match[3] is not None else 1
        if last < first:
            raise SpecError(f"reversed range {item}: the first frame comes after the last")
        if step < 1:
            raise SpecError(f"step 0 in {item}: expected a step of 1 or more")
        bounds.append((first, last, step))
    count = sum((last - first) // step + 1 for first, last, step in bounds)
    if count > limit:
        raise SpecError(f"{count} frames in {shown(text)}: more than the {limit} a shot may hold "
                        f"(set {MAX_FRAMES_VARIABLE} to allow more)")
    return sorted({f for first, last, step in bounds for f in range(first, last + 1, step)})


def format_frames(frames: list[int]) -> str:
    """The compact range string of a list of frames, e.g. ``1001-1010,1012``."""
    return str(fileseq.FrameSet(sorted(frames))) if frames else ""


def outside(frames: Iterable[int], allowed: Iterable[int]) -> list[int]:
    """The frames of ``frames`` that are not in ``allowed``, sorted."""
    return sorted(set(frames) - set(allowed))


def select_frames(requested: Iterable[int] | None, plate: Sequence[int], *,
                  key: str = "frames") -> list[int]:
    """The requested frames (all of ``plate`` when None), sorted and unique.

    Raises:
        SpecError: some requested frames lie outside the plate range (naming ``key``).
    """
    if requested is None:
        return list(plate)
    frames = sorted({int(f) for f in requested})  # a host script may pass numpy integers
    beyond = outside(frames, plate)
    if beyond:
        raise SpecError(f"frames {format_frames(beyond)} are outside the plate range "
                        f"{format_frames(list(plate))}", key=key)
    return frames


def contiguous_range(frames: Sequence[int]) -> tuple[int, int] | None:
    """``(first, last)`` when ``frames`` (in order) are every frame from first to last, else
    None (a stepped or holed range)."""
    if not frames:
        return None
    first, last = frames[0], frames[-1]
    return (first, last) if list(frames) == list(range(first, last + 1)) else None
