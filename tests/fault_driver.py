"""The real ``faceplate`` command with a fault injected into one frame's write, for tests of what
a failure half-way through a write leaves behind (``python fault_driver.py <faceplate args>``).

The write whose temporary's name contains ``$FP_FAULT_MATCH`` (e.g. ``_fp.1002.``) writes the
first half of its rows, then:

- ``FP_FAULT=raise``: raises, as a writer failing half-way would;
- ``FP_FAULT=pause``: writes its pid to the file descriptor ``$FP_FAULT_READY_FD`` and waits
  until ``$FP_FAULT_GO_FD`` is closed by the test (which meanwhile kills it, signals it, or
  runs another process), then writes the frame whole and carries on.

Synchronisation is by pipes the test passes in: no sleeps, and a driver that dies closes its
end, so the test is never left waiting.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from faceplate.cli import main
from faceplate.plateio import write

_fill = write._fill


def _half_then_fault(out: oiio.ImageOutput, tmp: Path, specs, pixels) -> tuple[bool, str]:
    if os.environ["FP_FAULT_MATCH"] not in tmp.name:
        return _fill(out, tmp, specs, pixels)
    first = np.ascontiguousarray(pixels[0])
    half = first.shape[0] // 2
    ok = out.open(str(tmp), list(specs)) if len(specs) > 1 else out.open(str(tmp), specs[0])
    y = specs[0].y
    ok = ok and out.write_scanlines(y, y + half, 0, np.ascontiguousarray(first[:half]))
    assert ok, out.geterror()
    if os.environ["FP_FAULT"] == "raise":
        raise RuntimeError("injected: the writer failed half-way through the frame")
    os.write(int(os.environ["FP_FAULT_READY_FD"]), f"{os.getpid()}\n".encode())
    while os.read(int(os.environ["FP_FAULT_GO_FD"]), 64):
        pass
    # the same writer carries on where it stopped, as a slow write would
    ok = out.write_scanlines(y + half, y + first.shape[0], 0,
                             np.ascontiguousarray(first[half:]))
    for spec, part in zip(specs[1:], pixels[1:]):
        ok = ok and out.open(str(tmp), spec, "AppendSubimage")
        ok = ok and out.write_image(np.ascontiguousarray(part))
    error = out.geterror()
    return out.close() and ok, error


write._fill = _half_then_fault

if __name__ == "__main__":
    sys.argv[0] = "faceplate"
    main()
