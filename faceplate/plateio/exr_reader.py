"""How plateio opens a file with OpenImageIO: one open at a time in this process, and, for a
copy of a plate's compressed chunks (:mod:`faceplate.plateio.native_copy`), through OpenEXR's
C++ API.

OpenImageIO opens EXR files through OpenEXR's core library, unless its process-wide setting
``openexr:core`` is 0; only a file opened through the C++ API can have its chunks copied as they
lie. The C++ API is not kept for every read: on a damaged file it prints OpenEXR's own message
to stderr besides the error it returns (faceplate reports one line). So the setting is changed
for the one open of a plate frame already read whole, and put back; a lock keeps plateio's other
opens out of that moment (OpenImageIO holds Python's GIL while it opens a file, so opens run one
at a time whatever the lock)."""

from __future__ import annotations

import threading

import OpenImageIO as oiio

#: Held by every plateio open: none runs while the reader setting is changed.
_OPENING = threading.Lock()


def open_input(path: str, *, cpp_api: bool = False) -> oiio.ImageInput | None:
    """``ImageInput.open(path)`` (None: it cannot be opened, the reason in
    ``oiio.geterror()``); ``cpp_api``: an EXR opened through OpenEXR's C++ API, whatever the
    process's setting (which is put back)."""
    with _OPENING:
        if not cpp_api:
            return oiio.ImageInput.open(path)
        before = oiio.get_int_attribute("openexr:core")
        oiio.attribute("openexr:core", 0)
        try:
            return oiio.ImageInput.open(path)
        finally:
            oiio.attribute("openexr:core", before)
