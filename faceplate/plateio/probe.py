"""Describing a frame sequence found on disk: range, holes, size, channels, windows, colour."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import fileseq
import OpenImageIO as oiio

from faceplate.errors import PlateError, SpecError
from faceplate.plateio.exr_reader import open_input


@dataclass(frozen=True)
class SequenceInfo:
    """What ``faceplate probe`` reports about one sequence (header of its first frame)."""

    pattern: str
    frames: str
    first: int
    last: int
    count: int
    holes: str
    size: tuple[int, int]
    data_window: tuple[int, int, int, int]
    display_window: tuple[int, int, int, int]
    channels: tuple[str, ...]
    pixel_type: str
    bits_per_sample: int
    compression: str
    colorspace: str
    subimages: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def probe_sequence(pattern: str) -> SequenceInfo:
    """Find ``pattern`` (``####`` is one digit per ``#``) on disk and read its first header.

    Raises:
        SpecError: no file on disk matches the pattern (key: the pattern).
        PlateError: the first frame is unreadable.
    """
    try:
        seq = fileseq.findSequenceOnDisk(pattern, pad_style=fileseq.PAD_STYLE_HASH1,
                                         allow_subframes=False)
    except (fileseq.FileSeqException, fileseq.ParseException):
        seq = None
    frames = seq.frameSet() if seq is not None else None
    if seq is None or frames is None or len(frames) == 0:
        raise SpecError("no file on disk matches this sequence", key=pattern)
    first_path = Path(seq.frame(frames.start()))
    inp = open_input(str(first_path))
    if inp is None:
        raise PlateError(f"unreadable frame: {oiio.geterror()}", path=first_path,
                         frame=int(frames.start()))
    try:
        s = inp.spec()
        subimages = 1
        while inp.seek_subimage(subimages, 0):
            subimages += 1
    finally:
        inp.close()
    colorspace = (s.get_string_attribute("colorInteropID")
                  or s.get_string_attribute("oiio:ColorSpace") or "")
    missing = frames.invertedFrameRange()
    bits = s.get_int_attribute("oiio:BitsPerSample", 0) or s.format.size() * 8
    return SequenceInfo(
        pattern=pattern, frames=str(frames), first=int(frames.start()), last=int(frames.end()),
        count=len(frames), holes=missing or "", size=(s.full_width, s.full_height),
        data_window=(s.x, s.y, s.x + s.width - 1, s.y + s.height - 1),
        display_window=(s.full_x, s.full_y, s.full_x + s.full_width - 1,
                        s.full_y + s.full_height - 1),
        channels=tuple(s.channelnames), pixel_type=str(s.format), bits_per_sample=bits,
        compression=s.get_string_attribute("compression"), colorspace=colorspace,
        subimages=subimages)


def _pixel_type(info: SequenceInfo) -> str:
    """``half``, or for a file whose samples are narrower than the type it is read as (10-bit
    DPX, 12-bit TIFF), ``10-bit (uint16 in memory)``."""
    widths = {"uint8": 8, "uint16": 16, "half": 16, "uint": 32, "float": 32, "double": 64}
    if widths.get(info.pixel_type, info.bits_per_sample) != info.bits_per_sample:
        return f"{info.bits_per_sample}-bit ({info.pixel_type} in memory)"
    return info.pixel_type


def format_table(info: SequenceInfo) -> str:
    """A two-column text table of ``info``."""
    def window(w: tuple[int, int, int, int]) -> str:
        return f"({w[0]},{w[1]})-({w[2]},{w[3]})"
    rows = [("sequence", info.pattern), ("frames", f"{info.frames} ({info.count})"),
            ("range", f"{info.first}-{info.last}"), ("holes", info.holes or "none"),
            ("size", f"{info.size[0]}x{info.size[1]}"),
            ("data window", window(info.data_window)),
            ("display window", window(info.display_window)),
            ("channels", ", ".join(info.channels)), ("pixel type", _pixel_type(info)),
            ("compression", info.compression or "-"),
            ("colourspace", info.colorspace or "(not in header)"),
            ("subimages", str(info.subimages))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
