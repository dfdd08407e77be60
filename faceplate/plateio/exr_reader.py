"""Which of OpenEXR's libraries OpenImageIO opens EXR files through, in this process: set once by
a process's entry point (the command line, a render worker), never by the library a host
imports. NumPy-free: the command line sets it before a command (``faceplate analyse`` asks for
NumPy's small pages before NumPy loads, :mod:`faceplate.memory`)."""

from __future__ import annotations

import OpenImageIO as oiio


def read_exr_through_its_cpp_api() -> None:
    """Have OpenImageIO open EXR files in this process through OpenEXR's C++ API (the same
    pixels as its core library, at the same cost), so a frame passed through is written by
    copying the plate's compressed chunks (:mod:`faceplate.plateio.native_copy`)."""
    oiio.attribute("openexr:core", 0)
