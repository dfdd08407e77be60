"""A plate frame's pixels decoded by the OpenEXR package, where OpenImageIO's copy of the same
library is slow.

The OpenImageIO wheel embeds an OpenEXR built without SSE4.1, so undoing the zip predictor
(zip, zips and rle files) runs a byte at a time: over half of its decode. A 1920x1080 half RGB
zip frame takes 45-52 ms of CPU through OpenImageIO and 23 ms through the OpenEXR package
(already a dependency: the same library, built with it), and the pixels are the same bits
(lossless compression; tested). OpenImageIO still opens every frame and reads and checks its
headers; only the pixels of a frame that is one scanline part of R, G, B (and A) of one float
type, compressed by zip, zips or rle, come from here, and a frame OpenEXR cannot read is decoded
by OpenImageIO as before, which names what is wrong.

OpenEXR prints its own lines on a damaged file: its core library to the standard error (the
file descriptor), its Python binding to ``sys.stdout``. Both are held while it decodes
(:func:`faceplate.streams.held_output`) and written on after it, less its lines about that file
(faceplate reports one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from faceplate.streams import held_output

#: Compressions whose decode the predictor dominates, all lossless (the same bits either way).
PREDICTED = frozenset({"zip", "zips", "rle"})
#: The channel sets OpenEXR's binding gives as one interleaved array, by that array's name.
_INTERLEAVED = {("R", "G", "B"): "RGB", ("R", "G", "B", "A"): "RGBA"}
_TYPES = {"half": np.float16, "float": np.float32}
#: What OpenEXR's binding prints of a part it could not read (to ``sys.stdout``).
_BINDING_WARNING = "Warning: Exception raised reading pixel data for part"


def decodes(spec: oiio.ImageSpec, parts: int) -> bool:
    """Whether :func:`pixels` decodes a file whose only part (of ``parts``) has header ``spec``:
    one scanline part of R, G, B (and A) in that order, all half or all float, compressed by
    zip, zips or rle."""
    formats = {str(f) for f in spec.channelformats} or {str(spec.format)}
    return (parts == 1 and not spec.tile_width and not spec.deep
            and tuple(spec.channelnames) in _INTERLEAVED
            and formats in ({"half"}, {"float"})
            and spec.get_string_attribute("compression") in PREDICTED)


def pixels(path: Path, spec: oiio.ImageSpec) -> np.ndarray | None:
    """The pixels (H, W, C: the data window, the channels in ``spec``'s order, its type) of the
    file at ``path`` whose header OpenImageIO read as ``spec`` (:func:`decodes` holds), decoded
    by OpenEXR; None where OpenEXR cannot read it or gives anything else (the caller reads it
    through OpenImageIO, which reports the error)."""
    import OpenEXR  # only where a frame is decoded here

    name = _INTERLEAVED[tuple(spec.channelnames)]
    dtype = _TYPES[str(spec.format)]  # the channels' one type (:func:`decodes`)
    with held_output((f"{path}: (EXR_ERR_", _BINDING_WARNING)) as held:
        if not held:  # OpenEXR's lines on a damaged file would go out: OpenImageIO reads it
            return None
        try:
            with OpenEXR.File(str(path)) as exr:
                channel = exr.channels().get(name)
                out = None if channel is None else channel.pixels
        except Exception:  # any failure of OpenEXR's: OpenImageIO reads the file
            return None
    if (not isinstance(out, np.ndarray) or out.dtype != dtype
            or out.shape != (spec.height, spec.width, len(name))):
        return None
    return np.require(out, requirements=("C", "W"))  # as OpenImageIO's: the caller's to change
