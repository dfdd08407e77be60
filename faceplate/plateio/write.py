"""Writing frames atomically: a temporary file in the target folder, then a rename."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from faceplate.errors import OutputError
from faceplate.types import Matte, NativePixels

AttributeValue = str | int | float


def write_image(path: Path, spec: oiio.ImageSpec, pixels: NativePixels,
                attributes: Mapping[str, AttributeValue] = {}, *, frame: int | None = None) -> None:
    """Write ``pixels`` under ``spec`` (plus ``attributes``) to ``path`` atomically.

    A process killed mid-write leaves at most a hidden temporary file, never a
    partial frame under the final name.

    Raises:
        OutputError: the frame could not be written.
    """
    write_parts(path, [(_with_attributes(spec, attributes), pixels)], frame=frame)


def write_parts(path: Path, parts: Sequence[tuple[oiio.ImageSpec, NativePixels]], *,
                frame: int | None = None) -> None:
    """Write one file of several subimages (EXR parts) atomically, each spec as given.

    Raises:
        OutputError: the frame could not be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    specs = [_with_attributes(spec, {}) for spec, _ in parts]
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    out = oiio.ImageOutput.create(str(tmp))
    if out is None:
        raise OutputError(f"no writer for this file type: {oiio.geterror()}", path=path,
                          frame=frame)
    if len(specs) > 1 and not out.supports("multiimage"):
        raise OutputError("this file type holds one image, the plate has several parts",
                          path=path, frame=frame)
    try:
        ok = out.open(str(tmp), specs) if len(specs) > 1 else out.open(str(tmp), specs[0])
        for i, (spec, (_, pixels)) in enumerate(zip(specs, parts)):
            if i:
                ok = ok and out.open(str(tmp), spec, "AppendSubimage")
            ok = ok and out.write_image(np.ascontiguousarray(pixels))
        error = out.geterror()
        ok = out.close() and ok
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    if not ok:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write frame: {error}", path=path, frame=frame)
    os.replace(tmp, path)


def _with_attributes(spec: oiio.ImageSpec,
                     attributes: Mapping[str, AttributeValue]) -> oiio.ImageSpec:
    spec = oiio.ImageSpec(spec)
    spec.erase_attribute("oiio:subimages")
    if not spec.get_string_attribute("DateTime"):
        # OpenImageIO stamps "now" into a header without one; an empty value stops it, so
        # a frame rendered twice, in any process, is the same file.
        spec.attribute("DateTime", "")
    for name, value in attributes.items():
        spec.attribute(name, value)
    return spec


def matte_spec(plate_spec: oiio.ImageSpec) -> oiio.ImageSpec:
    """A one-channel float spec with the plate's windows and compression."""
    spec = oiio.ImageSpec(plate_spec.width, plate_spec.height, 1, oiio.FLOAT)
    spec.x, spec.y = plate_spec.x, plate_spec.y
    spec.full_x, spec.full_y = plate_spec.full_x, plate_spec.full_y
    spec.full_width, spec.full_height = plate_spec.full_width, plate_spec.full_height
    spec.channelnames = ("A",)
    spec.alpha_channel = 0
    spec.attribute("DateTime", plate_spec.get_string_attribute("DateTime"))
    compression = plate_spec.get_string_attribute("compression")
    if compression:
        spec.attribute("compression", compression)
    return spec


def write_matte(path: Path, plate_spec: oiio.ImageSpec, matte: Matte,
                attributes: Mapping[str, AttributeValue] = {}, *, frame: int | None = None,
                compression: str | None = None) -> None:
    """Write a data-window sized float matte as a single-channel EXR with the plate's windows
    and its compression (``compression`` replaces it, as it does on the output frame)."""
    if compression is not None:
        attributes = {**attributes, "compression": compression}
    write_image(path, matte_spec(plate_spec), matte[..., None].astype(np.float32), attributes,
                frame=frame)
