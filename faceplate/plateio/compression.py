"""Checking an EXR compression name against what OpenImageIO really writes.

OpenImageIO silently writes ``zip`` for a name it does not know, so a name is
valid only when a tiny EXR written with it reads back with the same name.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from faceplate.errors import SpecError
from faceplate.plateio.exr_reader import open_input


@lru_cache(maxsize=64)
def _round_trips(name: str) -> bool:
    base = name.split(":", 1)[0]
    with tempfile.TemporaryDirectory(prefix="faceplate-compression-") as folder:
        path = str(Path(folder) / "probe.exr")
        spec = oiio.ImageSpec(8, 8, 3, oiio.HALF)
        spec.attribute("compression", name)
        out = oiio.ImageOutput.create(path)
        if out is None or not out.open(path, spec):
            return False
        out.write_image(np.zeros((8, 8, 3), np.float16))
        out.close()
        inp = open_input(path)
        if inp is None:
            return False
        written = inp.spec().get_string_attribute("compression")
        inp.close()
    return written.split(":", 1)[0] == base


def check_compression(name: str, key: str = "output.compression") -> str:
    """Return ``name`` if OpenImageIO writes EXRs with it (``dwaa:45`` style levels allowed).

    Raises:
        SpecError: the name is unknown (OpenImageIO would have written zip instead).
    """
    base, _, level = name.partition(":")
    if level and not level.isdigit():
        raise SpecError(f"compression level must be a whole number, got {name!r}", key=key)
    if not base or not _round_trips(name):
        raise SpecError(f"unknown EXR compression {name!r} (e.g. none, rle, zip, zips, piz, "
                        "pxr24, b44, b44a, dwaa, dwab)", key=key)
    return name
