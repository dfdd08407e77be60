"""What a frame's header may declare before its pixels are decoded.

A header is read first; a frame that is deep, holds more channels than faceplate handles, has a
sample type it cannot write back, a data window far outside the plate's display window, or
pixels that would not fit the memory budget is refused (:class:`FrameRefusedError`) without
decoding a pixel. Decoding is thereby bounded: a PNG that inflates to gigabytes, an EXR whose
header claims a data window of millions of pixels, are refused by their headers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import OpenImageIO as oiio

from faceplate.errors import FrameRefusedError

#: Sample types faceplate reads and writes back in kind, as OpenImageIO names them (``uint``:
#: 32-bit unsigned; OpenImageIO knows no ``uint32``).
SAMPLE_TYPES = frozenset({"uint8", "uint16", "uint", "half", "float"})
#: The share of available memory one decoded frame may take (its working copies take more).
MEMORY_SHARE = 0.125
_FALLBACK_MEMORY = 4 << 30


def available_memory() -> int:
    """Bytes of memory available now (Linux ``MemAvailable``; else free physical pages)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _FALLBACK_MEMORY


@dataclass(frozen=True)
class FrameLimits:
    """Bounds on a frame's header.

    Attributes:
        display: the plate's display window (width, height), from the pre-flight's first
            readable frame; None: each frame's own.
        max_overscan: how far the data window may reach past the display window on each side,
            as a fraction of the display window's size (1.0: up to three times as wide).
        max_channels: channels in one part.
        max_bytes: decoded bytes of every part together.
    """

    display: tuple[int, int] | None = None
    max_overscan: float = 1.0
    max_channels: int = 1024
    max_bytes: int = 0

    @classmethod
    def for_plate(cls, display: tuple[int, int] | None,
                  memory: int | None = None) -> FrameLimits:
        """Limits for a plate whose display window is ``display``, the memory budget a share of
        ``memory`` (default: what is available now)."""
        budget = int((available_memory() if memory is None else memory) * MEMORY_SHARE)
        return cls(display=display, max_bytes=max(budget, 1))


def sample_types(spec: oiio.ImageSpec) -> list[str]:
    """The sample type of each channel of ``spec``."""
    formats = [str(f) for f in spec.channelformats]
    return formats if formats else [str(spec.format)] * spec.nchannels


def decoded_bytes(spec: oiio.ImageSpec) -> int:
    """Bytes the pixels of ``spec`` take decoded (float32 for mixed sample types)."""
    types = set(sample_types(spec))
    size = oiio.TypeDesc(types.pop()).size() if len(types) == 1 else 4
    return spec.width * spec.height * max(spec.depth, 1) * spec.nchannels * size


def check_header(specs: Sequence[oiio.ImageSpec], limits: FrameLimits, path: Path,
                 frame: int) -> None:
    """Refuse a frame whose parts' headers are outside ``limits``.

    Raises:
        FrameRefusedError: naming what is outside and the bound.
    """
    def refuse(what: str) -> FrameRefusedError:
        return FrameRefusedError(f"refused before decoding: {what}", path=path, frame=frame)

    total = 0
    for part, spec in enumerate(specs):
        where = f"part {part}: " if len(specs) > 1 else ""
        if spec.deep:
            raise refuse(f"{where}deep image (faceplate reads flat images only)")
        if spec.nchannels > limits.max_channels:
            raise refuse(f"{where}{spec.nchannels} channels, more than {limits.max_channels}")
        odd = sorted(set(sample_types(spec)) - SAMPLE_TYPES)
        if odd:
            raise refuse(f"{where}sample type {', '.join(odd)} (faceplate writes back "
                         f"{', '.join(sorted(SAMPLE_TYPES))})")
        display = limits.display or (spec.full_width, spec.full_height)
        reach = 1 + 2 * limits.max_overscan
        if spec.width > display[0] * reach or spec.height > display[1] * reach:
            raise refuse(f"{where}data window {spec.width}x{spec.height} is far larger than "
                         f"the display window {display[0]}x{display[1]} (at most "
                         f"{reach:g} times)")
        total += decoded_bytes(spec)
    if total > limits.max_bytes:
        raise refuse(f"its pixels need {total / 2**20:.0f} MiB decoded, more than the "
                     f"{limits.max_bytes / 2**20:.0f} MiB a frame may take of the memory "
                     "available")
