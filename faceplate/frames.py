"""Frame numbers: ranges (``1001-1048``, ``1001-1100x2``), sequence paths (Nuke-style ``####``,
``%04d``, ``@@@@``, ``$F4``), and the checks every layer shares (inside the plate, contiguous)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
            raise SpecError(f"no frame number token (####, %04d, @@@@, $F4) in {self.pattern!r}")

    def _sequence(self) -> fileseq.FileSequence:
        try:
            return fileseq.FileSequence(self.pattern, pad_style=fileseq.PAD_STYLE_HASH1,
                                        allow_subframes=False)
        except fileseq.ParseException as exc:
            raise SpecError(f"cannot parse sequence path {self.pattern!r}: {exc}") from None

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


def parse_frames(text: str | int) -> list[int]:
    """Frames of a range such as ``1001-1048``, ``1001-1100x2`` or ``1001,1003-1005``.

    Raises:
        SpecError: when ``text`` is not a frame range.
    """
    try:
        frames = list(fileseq.FrameSet(str(text)))
    except (fileseq.ParseException, ValueError) as exc:
        raise SpecError(f"not a frame range: {text!r} ({exc})") from None
    if not frames:
        raise SpecError(f"empty frame range: {text!r}")
    return sorted({int(f) for f in frames})


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
