"""An output frame that holds the plate's pixels unchanged, written by copying the plate's pixel
data rather than decoding and encoding it again.

OpenImageIO's ``ImageOutput.copy_image`` copies an OpenEXR file's compressed chunks as they lie
(OpenEXR's ``copyPixels``) when the output keeps the input's compression, channels, windows and
line order, and the input was opened through OpenEXR's C++ API; otherwise it decodes the input
and encodes it again, the same pixels at the cost of a read and a write. The plate is opened
so for the copy alone (:func:`faceplate.plateio.exr_reader.open_input`). Measured on a 1080p
half zip frame: 7 ms a frame against 91 (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import OpenImageIO as oiio

from faceplate.errors import DiskFullError, PlateError
from faceplate.plateio.exr_reader import open_input
from faceplate.plateio.write import with_attributes
from faceplate.written import atomic_write, nearly_full


class _NotCopied(Exception):
    """OpenImageIO could not copy the plate's pixel data (never leaves this module)."""


def copy_plate_frame(path: Path, plate: Path, part: int, spec: oiio.ImageSpec, *,
                     frame: int | None = None) -> bool:
    """Write ``path`` atomically as a copy of subimage ``part`` of ``plate`` (a file of that one
    subimage) under the header ``spec``: the plate's pixel data copied as it lies where the
    header keeps its layout and compression (else decoded and encoded).
    Whether it was written: False where OpenImageIO could not copy it (nothing is left; the
    caller writes the frame its own way).

    Raises:
        PlateError: the plate cannot be read.
        DiskFullError: no space left for it.
    """
    inp = open_input(str(plate), cpp_api=True)
    if inp is None:
        raise PlateError(f"unreadable plate frame: {oiio.geterror()}", path=plate, frame=frame)
    try:
        if not inp.seek_subimage(part, 0):
            raise PlateError(f"unreadable part {part}: {inp.geterror()}", path=plate,
                             frame=frame)
        with atomic_write(path, frame=frame) as tmp:
            out = oiio.ImageOutput.create(str(tmp))
            if out is None:
                oiio.geterror()
                raise _NotCopied
            ok = out.open(str(tmp), with_attributes(spec, {})) and out.copy_image(inp)
            ok = out.close() and ok
            if not ok:
                if nearly_full(tmp.parent):
                    raise DiskFullError("no space left on the device", path=path, frame=frame)
                raise _NotCopied
    except _NotCopied:
        return False
    finally:
        inp.close()
    return True
