"""Assembling an output frame from a plate frame: the processed part, a matte channel, the
plate's other parts copied untouched, an optional compression."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from faceplate.errors import OutputError, PlateError
from faceplate.plateio.exr_reader import open_input
from faceplate.plateio.frame import PlateFrame, read_part, to_native
from faceplate.plateio.native_copy import copy_plate_frame
from faceplate.plateio.write import AttributeValue, write_parts
from faceplate.types import Matte, NativePixels

DEFAULT_MATTE_CHANNEL = "faceplate.matte"


def write_frame(path: Path, frame: PlateFrame, attributes: Mapping[str, AttributeValue] = {},
                *, matte: Matte | None = None, matte_channel: str | None = None,
                compression: str | None = None, pixel_type: str | None = None,
                unchanged: bool = False) -> None:
    """Write ``frame`` to ``path`` atomically with ``attributes`` on its RGB part.

    ``matte_channel`` appends ``matte`` as a channel in the part's pixel type; the
    plate's other parts (multi-part EXR) are read from ``frame.path`` and copied
    untouched; ``compression`` replaces the plate's on every part; ``pixel_type`` (asked for by
    name in the spec) converts the RGB part's samples to that type (OpenImageIO's conversion:
    clamped and rounded for integer types). ``unchanged``: ``frame.pixels`` are the plate
    file's as read; an EXR of one part, written as EXR with no channel added and its type and
    compression kept, is then written by copying the plate's pixel data
    (:mod:`faceplate.plateio.native_copy`: the same pixels).

    Raises:
        OutputError: the matte channel name is taken, or the frame could not be written.
    """
    spec, pixels = oiio.ImageSpec(frame.spec), frame.pixels
    exr = path.suffix.lower() == ".exr"
    for name, value in attributes.items():
        # Non-EXR headers keep only text: PNG drops a numeric faceplate/* value, keeps its text.
        spec.attribute(name, value if exr or name == "compression" else str(value))
    if compression is not None:
        spec.attribute("compression", compression)
    if (unchanged and exr and frame.path.suffix.lower() == ".exr" and pixel_type is None
            and (matte_channel is None or matte is None)
            and compression in (None, frame.spec.get_string_attribute("compression"))
            and frame.spec.get_int_attribute("oiio:subimages", 1) == 1
            and copy_plate_frame(path, frame.path, frame.part, spec, frame=frame.frame)):
        return
    if matte_channel is not None and matte is not None:
        spec, pixels = _add_channel(spec, pixels, matte_channel, matte, path, frame.frame)
    if pixel_type is not None:
        spec.channelformats = ()
        spec.set_format(oiio.TypeDesc(pixel_type))
    parts = _plate_parts(frame)
    parts[frame.part] = (spec, pixels)
    if compression is not None:
        for part_spec, _ in parts:
            part_spec.attribute("compression", compression)
    write_parts(path, parts, frame=frame.frame)


def _add_channel(spec: oiio.ImageSpec, pixels: NativePixels, name: str, values: Matte,
                 path: Path, frame: int) -> tuple[oiio.ImageSpec, NativePixels]:
    names = list(spec.channelnames)
    if name in names:
        raise OutputError(f"matte channel {name!r} is already a plate channel", path=path,
                          frame=frame)
    formats = [str(f) for f in spec.channelformats]
    spec.nchannels += 1
    spec.channelnames = tuple(names + [name])
    if formats:
        spec.channelformats = tuple(oiio.TypeDesc(f) for f in formats + ["float"])
    channel = to_native(values[..., None].astype(np.float32), pixels.dtype)
    return spec, np.concatenate([pixels, channel], axis=2)


def _plate_parts(frame: PlateFrame) -> list[tuple[oiio.ImageSpec, NativePixels]]:
    """Every subimage of the plate file; the RGB part's pixels are left out (None)."""
    inp = open_input(str(frame.path))
    if inp is None:
        raise PlateError(f"unreadable plate frame: {oiio.geterror()}", path=frame.path,
                         frame=frame.frame)
    parts: list = []
    try:
        while inp.seek_subimage(len(parts), 0):
            part_spec = oiio.ImageSpec(inp.spec())
            pixels = None if len(parts) == frame.part else read_part(inp, len(parts), part_spec)
            if pixels is None and len(parts) != frame.part:
                raise PlateError(f"unreadable part {len(parts)}: {inp.geterror()}",
                                 path=frame.path, frame=frame.frame)
            parts.append((part_spec, pixels))
    finally:
        inp.close()
    return parts
