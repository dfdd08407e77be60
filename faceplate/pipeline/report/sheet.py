"""``<qc>/contact_sheet.png``: one row of face crops (plate | result | matte | difference) per
frame a reviewer should look at, written a row at a time (its size known first from the crops'
headers): however many rows, one is in memory at a time."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio

from faceplate.errors import OutputError
from faceplate.frames import format_frames
from faceplate.pipeline.report.gallery import CROP_KINDS, Gallery
from faceplate.written import atomic_write, remove_written

SHEET_ROWS = 48
SHEET_HEIGHT = 160
_BORDER = 2
_GREY = (20, 20, 20)
_NOTE_HEIGHT = 36
NAME = "contact_sheet.png"


def _cell_width(path: Path) -> int | None:
    """A crop's width in the sheet (scaled to :data:`SHEET_HEIGHT`, its border included), from
    its header; None: it does not open."""
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        oiio.geterror()  # taken: else OpenImageIO prints it when the process exits
        return None
    try:
        spec = inp.spec()
        width, height = spec.width, spec.height
    finally:
        inp.close()
    return max(1, round(width * SHEET_HEIGHT / height)) + 2 * _BORDER


def _row(qc: Path, files: list[str], label: str, width: int) -> np.ndarray:
    """One row of the sheet (8-bit BGR), its crops scaled to the sheet's height, labelled,
    padded to ``width``."""
    cells = [cv2.imread(str(qc / name)) for name in files]
    cells = [cv2.resize(c, (max(1, round(c.shape[1] * SHEET_HEIGHT / c.shape[0])),
                            SHEET_HEIGHT), interpolation=cv2.INTER_AREA)
             for c in cells if c is not None]
    line = (np.hstack([cv2.copyMakeBorder(c, _BORDER, _BORDER, _BORDER, _BORDER,
                                          cv2.BORDER_CONSTANT, value=_GREY) for c in cells])
            if cells else np.full((SHEET_HEIGHT + 2 * _BORDER, 1, 3), 20, np.uint8))
    cv2.putText(line, label[:60], (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (60, 60, 230), 2)
    line = line[:, :width]
    return cv2.copyMakeBorder(line, 0, 0, 0, width - line.shape[1], cv2.BORDER_CONSTANT,
                              value=_GREY)


def _note(text: str, width: int) -> np.ndarray:
    note = np.full((_NOTE_HEIGHT, width, 3), 20, np.uint8)
    cv2.putText(note, text, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (230, 230, 230), 1)
    return note


def contact_sheet(qc: Path, gallery: Gallery, frames: list[tuple[int, str]]) -> None:
    """``contact_sheet.png``: one row of crops (plate | result | matte | difference) per frame
    of ``frames`` (frame, label), at most ``SHEET_ROWS`` rows; a last row says how many more
    there are.

    Raises:
        OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
    """
    rows: list[tuple[list[str], str, int]] = []  # each row's crops, label and width
    shown = [(f, label) for f, label in frames if gallery.frames[f].crops][:SHEET_ROWS]
    for f, label in shown:
        images = gallery.frames[f]
        files = [images.crops[k] for k in CROP_KINDS if k in images.crops]
        widths = [w for name in files if (w := _cell_width(qc / name)) is not None]
        if widths:
            run = images.run
            rows.append((files, f"{format_frames(run) if run else f} {label}", sum(widths)))
    total = sum(1 for f, _ in frames if gallery.frames[f].crops)
    gallery.sheet_rows, gallery.sheet_of = len(rows), total
    if not rows:
        remove_written(qc, keep=lambda name: name != NAME)
        return
    width = max(w for _, _, w in rows)
    more = total > len(rows)
    height = len(rows) * (SHEET_HEIGHT + 2 * _BORDER) + (_NOTE_HEIGHT if more else 0)
    path = qc / NAME
    with atomic_write(path, record=True) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None or not out.open(str(tmp), oiio.ImageSpec(width, height, 3, oiio.UINT8)):
            raise OutputError(f"cannot write the contact sheet: {oiio.geterror()}", path=path)
        y, ok = 0, True
        parts: Iterable[np.ndarray] = (_row(qc, files, label, width) for files, label, _ in rows)
        if more:
            note = f"... and {total - len(rows)} more: see index.html"
            parts = chain(parts, (_note(note, width),))
        for part in parts:
            rgb = np.ascontiguousarray(part[:, :, ::-1])
            ok = ok and out.write_scanlines(y, y + rgb.shape[0], 0, rgb)
            y += rgb.shape[0]
        error = out.geterror()
        ok = out.close() and ok
        if not ok:
            raise OutputError(f"cannot write the contact sheet: {error or oiio.geterror()}",
                              path=path)
