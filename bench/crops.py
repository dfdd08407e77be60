"""1:1 crops for looking at a face replacement: plate | result | matte, side by side, one
row per frame, through the OCIO display transform, written as PNG.

    from crops import write_strips
    write_strips("out/face.png", plate="plates/sh010.####.exr", output="out/sh010_fp.####.exr",
                 matte="out/sh010_fp_matte.####.exr", frames=[1001, 1024])

or from the shell:

    python bench/crops.py OUT.png PLATE OUTPUT MATTE 1001 1024 [--colorspace ACEScg]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from frames import Box, Display, frame_path, read_matte, read_rgb


def matte_box(matte: np.ndarray, margin: float = 0.35, minimum: int = 64) -> Box | None:
    """The matte's bounding box (matte > 0.01) grown by ``margin`` of its size on every side."""
    ys, xs = np.nonzero(matte > 0.01)
    if len(xs) == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    pad_x = max(int((x1 - x0) * margin), (minimum - (x1 - x0)) // 2, 0)
    pad_y = max(int((y1 - y0) * margin), (minimum - (y1 - y0)) // 2, 0)
    h, w = matte.shape
    return (max(x0 - pad_x, 0), max(y0 - pad_y, 0), min(x1 + pad_x, w), min(y1 + pad_y, h))


def union_box(boxes: Sequence[Box | None]) -> Box | None:
    """The smallest box holding all the given boxes."""
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    return (
        min(b[0] for b in real),
        min(b[1] for b in real),
        max(b[2] for b in real),
        max(b[3] for b in real),
    )


def strip(
    plate8: np.ndarray, output8: np.ndarray, matte: np.ndarray, label: str = ""
) -> np.ndarray:
    """One row: plate | result | matte (grey), with a 4 px gap and an optional label."""
    matte8 = (np.clip(matte, 0, 1) * 255 + 0.5).astype(np.uint8)
    gap = np.full((plate8.shape[0], 4, 3), 40, np.uint8)
    row = np.hstack([plate8, gap, output8, gap, np.dstack([matte8] * 3)])
    if label:
        cv2.putText(
            row, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1, cv2.LINE_AA
        )
    return row


def write_strips(
    out: str | Path,
    *,
    plate: str | Path,
    output: str | Path,
    matte: str | Path,
    frames: Sequence[int],
    colorspace: str = "ACEScg",
    box: Box | None = None,
    display: Display | None = None,
) -> Path:
    """Write ``out`` (PNG): one plate | result | matte row per frame, all cropped 1:1 to
    ``box`` (default: the union of the frames' matte boxes, grown by a third)."""
    display = display or Display(colorspace=colorspace)
    mattes = {f: read_matte(frame_path(matte, f)) for f in frames}
    box = box or union_box([matte_box(m) for m in mattes.values()])
    if box is None:
        h, w = next(iter(mattes.values())).shape
        box = (0, 0, w, h)
    x0, y0, x1, y1 = box
    rows = []
    for f in frames:
        p8 = display.to8(read_rgb(frame_path(plate, f))[y0:y1, x0:x1])
        o8 = display.to8(read_rgb(frame_path(output, f))[y0:y1, x0:x1])
        rows.append(strip(p8, o8, mattes[f][y0:y1, x0:x1], str(f)))
    sheet = np.vstack([np.vstack([r, np.full((4, r.shape[1], 3), 40, np.uint8)]) for r in rows])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("plate")
    ap.add_argument("output")
    ap.add_argument("matte")
    ap.add_argument("frames", type=int, nargs="+")
    ap.add_argument("--colorspace", default="ACEScg")
    args = ap.parse_args()
    print(
        write_strips(
            args.out,
            plate=args.plate,
            output=args.output,
            matte=args.matte,
            frames=args.frames,
            colorspace=args.colorspace,
        )
    )


if __name__ == "__main__":
    main()
