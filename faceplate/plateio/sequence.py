"""Frame-sequence paths and frame ranges (Nuke-style ``####``, ``%04d``, ``@@@@``, ``$F4``)."""

from __future__ import annotations

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

    def resolved(self, base: Path) -> "SequencePath":
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
    return sorted(set(int(f) for f in frames))


def format_frames(frames: list[int]) -> str:
    """The compact range string of a list of frames, e.g. ``1001-1010,1012``."""
    return str(fileseq.FrameSet(sorted(frames))) if frames else ""
