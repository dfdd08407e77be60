"""Writing frames atomically: a temporary file in the target folder, then a rename."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from faceplate.errors import DiskFullError, OutputError
from faceplate.types import Matte, NativePixels
from faceplate.written import atomic_write, nearly_full

AttributeValue = str | int | float


def write_image(path: Path, spec: oiio.ImageSpec, pixels: NativePixels,
                attributes: Mapping[str, AttributeValue] = {}, *, frame: int | None = None,
                record: bool = False) -> None:
    """Write ``pixels`` under ``spec`` (plus ``attributes``) to ``path`` atomically.

    A process killed mid-write leaves at most a hidden temporary file, never a partial frame
    under the final name. ``record`` lists ``path`` in its folder's manifest of files faceplate
    may remove later (:mod:`faceplate.written`).

    Raises:
        OutputError: the frame could not be written (:class:`DiskFullError`: for lack of space).
    """
    write_parts(path, [(with_attributes(spec, attributes), pixels)], frame=frame, record=record)


def write_parts(path: Path, parts: Sequence[tuple[oiio.ImageSpec, NativePixels]], *,
                frame: int | None = None, record: bool = False) -> None:
    """Write one file of several subimages (EXR parts) atomically, each spec as given, through a
    temporary of this process's own (:func:`faceplate.written.atomic_write`).

    Raises:
        OutputError: the frame could not be written (:class:`DiskFullError`: for lack of space).
    """
    specs = [with_attributes(spec, {}) for spec, _ in parts]
    with atomic_write(path, record=record, frame=frame) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise OutputError(f"no writer for this file type: {oiio.geterror()}", path=path,
                              frame=frame)
        if len(specs) > 1 and not out.supports("multiimage"):
            raise OutputError("this file type holds one image, the plate has several parts",
                              path=path, frame=frame)
        ok, error = _fill(out, tmp, specs, [pixels for _, pixels in parts])
        if not ok:
            if nearly_full(tmp.parent):
                raise DiskFullError("no space left on the device", path=path, frame=frame)
            raise OutputError(f"cannot write frame: {error}", path=path, frame=frame)


def _fill(out: oiio.ImageOutput, tmp: Path, specs: Sequence[oiio.ImageSpec],
          pixels: Sequence[NativePixels]) -> tuple[bool, str]:
    """Open ``tmp`` with ``out`` and write every part; (whether all went well, the error)."""
    ok = out.open(str(tmp), list(specs)) if len(specs) > 1 else out.open(str(tmp), specs[0])
    for i, (spec, part) in enumerate(zip(specs, pixels)):
        if i:
            ok = ok and out.open(str(tmp), spec, "AppendSubimage")
        ok = ok and out.write_image(np.ascontiguousarray(part))
    error = out.geterror()
    ok = out.close() and ok
    return ok, error or oiio.geterror()


def with_attributes(spec: oiio.ImageSpec,
                    attributes: Mapping[str, AttributeValue]) -> oiio.ImageSpec:
    """A copy of ``spec`` as a written file's header: ``attributes`` added, OpenImageIO's
    subimage count dropped, no stamp of the time of writing (a frame written twice is the same
    file)."""
    spec = oiio.ImageSpec(spec)
    spec.erase_attribute("oiio:subimages")
    if not spec.get_string_attribute("DateTime"):
        # OpenImageIO stamps "now" into a header without one; an empty value stops it, so
        # a frame rendered twice, in any process, is the same file.
        spec.attribute("DateTime", "")
    for name, value in attributes.items():
        spec.attribute(name, value)
    return spec


def matte_spec(plate_spec: oiio.ImageSpec, box: tuple[int, int, int, int]) -> oiio.ImageSpec:
    """A one-channel float spec with the plate's display window and compression; its data
    window is ``box`` (x0, y0, x1, y1) inside the plate's data window."""
    x0, y0, x1, y1 = box
    spec = oiio.ImageSpec(x1 - x0, y1 - y0, 1, oiio.FLOAT)
    spec.x, spec.y = plate_spec.x + x0, plate_spec.y + y0
    spec.full_x, spec.full_y = plate_spec.full_x, plate_spec.full_y
    spec.full_width, spec.full_height = plate_spec.full_width, plate_spec.full_height
    spec.channelnames = ("A",)
    spec.alpha_channel = 0
    spec.attribute("DateTime", plate_spec.get_string_attribute("DateTime"))
    compression = plate_spec.get_string_attribute("compression")
    if compression:
        spec.attribute("compression", compression)
    return spec


def matte_box(matte: Matte) -> tuple[int, int, int, int]:
    """The bounding box (x0, y0, x1, y1) of a matte's non-zero pixels; one pixel at the origin
    when it has none (a file holds at least one)."""
    rows = np.flatnonzero(matte.any(axis=1))
    if rows.size == 0:
        return 0, 0, 1, 1
    cols = np.flatnonzero(matte[rows[0]:rows[-1] + 1].any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def write_matte(path: Path, plate_spec: oiio.ImageSpec, matte: Matte,
                attributes: Mapping[str, AttributeValue] = {}, *, frame: int | None = None,
                compression: str | None = None) -> None:
    """Write a data-window sized float matte as a single-channel EXR with the plate's display
    window and its compression (``compression`` replaces it, as it does on the output frame).

    The file's data window is the matte's bounding box (readers fill the rest of the display
    window with 0), so a face's matte costs the face's pixels, not the frame's."""
    if compression is not None:
        attributes = {**attributes, "compression": compression}
    x0, y0, x1, y1 = box = matte_box(matte)
    write_image(path, matte_spec(plate_spec, box),
                matte[y0:y1, x0:x1, None].astype(np.float32), attributes, frame=frame)


def read_matte(path: Path, plate_spec: oiio.ImageSpec) -> Matte:
    """A matte faceplate wrote, as float32 (H, W) over the data window of ``plate_spec`` (zeros
    where the file has no pixels)."""
    buf = oiio.ImageBuf(str(path))
    roi = oiio.ROI(plate_spec.x, plate_spec.x + plate_spec.width, plate_spec.y,
                   plate_spec.y + plate_spec.height, 0, 1, 0, 1)
    pixels = buf.get_pixels(oiio.FLOAT, roi)
    if buf.has_error or pixels is None:
        raise OutputError(f"unreadable matte: {buf.geterror()}", path=path)
    return np.asarray(pixels, np.float32).reshape(plate_spec.height, plate_spec.width)
