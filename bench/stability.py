"""Stability of the replaced face, measured from images (issue 15): swim and flicker.

Builds (or reuses) a handheld plate of a head that turns and talks (the plate builder's
handheld camera: 1/f shake, slow zoom, motion blur over a 180° shutter), runs
``faceplate run`` on it and ``faceplate demo`` for the demo shot, and prints per shot:

- swim: per pair of consecutive frames, mean over the face (matte >= 0.9) of
  |DIS flow of the output - DIS flow of the plate|, 8-bit display frames; mean and p95 (px);
- flicker: RMS of the second difference of (mean L* output face - mean L* plate face).

Writes 1:1 crops (plate | result | matte) of the worst-swimming frames and a turn to
``OUT/crops``. Targets (issue 15): swim <= 0.5 px mean, <= 1.0 px p95, flicker <= 0.4 L*.

``--floor N`` also measures the instrument's floor on the handheld plate's first N frames
(:mod:`stability_floor`): the plate against itself with fresh grain, and the plate swapped
onto itself (its own portrait as the source). A swim figure is only meaningful above them.

    python bench/stability.py [--out DIR] [--frames 96] [--size 1280x720] [--portrait biden]
                              [--no-demo] [--unsmoothed] [--reuse] [--floor 32]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from crops import write_strips
from shots import Shot, load_frames, run_demo, run_faceplate
from stability_floor import own_face_floor, regrain_floor

from faceplate.demo.plate_look import Look
from faceplate.demo.plates import PlateRecipe, build_plate
from faceplate.face.image_metrics import face_mask, flicker, swim


def handheld_recipe(frames: int, size: tuple[int, int], portrait: str, seed: int) -> PlateRecipe:
    """The handheld benchmark plate: a talking, turning, blinking head, handheld camera,
    light grain."""
    return PlateRecipe(
        name="hh010",
        portrait=portrait,
        size=size,
        frames=frames,
        face_px=270.0 * size[1] / 720.0,
        look=Look(grain=0.02),
        seed=seed,
    )


def measure(shot: Shot, crops_dir: Path) -> dict:
    """Swim and flicker of one finished shot, and its crops."""
    start = time.perf_counter()
    frames = load_frames(shot)
    masks = [face_mask(m) for m in frames.mattes]
    s = swim(frames.outputs, frames.plates, masks)
    result = {
        "shot": shot.name,
        "frames": len(frames.numbers),
        "swim_mean": s.mean,
        "swim_p95": s.p95,
        "flicker": flicker(frames.outputs, frames.plates, masks),
        "faceplate_s": shot.seconds,
        "measure_s": time.perf_counter() - start,
        "per_pair": s.per_pair,
    }
    order = np.argsort(np.nan_to_num(s.per_pair, nan=-1.0))[::-1]
    worst = sorted(
        {frames.numbers[int(i)] for i in order[:2]}
        | {frames.numbers[int(i)] + 1 for i in order[:1]}
    )
    picks = sorted(set(worst) | {frames.numbers[len(frames.numbers) // 2]})
    write_strips(
        crops_dir / f"{shot.name}_crops.png",
        plate=shot.plate,
        output=shot.output,
        matte=shot.matte,
        frames=picks,
        colorspace=shot.colorspace,
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--portrait", default="biden")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-demo", action="store_true", help="skip the demo shot")
    ap.add_argument(
        "--unsmoothed",
        action="store_true",
        help="also run the handheld plate with solve.smoothing 0 (per-frame landmarks)",
    )
    ap.add_argument("--reuse", action="store_true", help="reuse a plate already built in --out")
    ap.add_argument("--floor", type=int, default=0,
                    help="also measure the swim's floor on this many handheld frames")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="faceplate_stability_"))
    size = tuple(int(v) for v in args.size.split("x"))
    recipe = handheld_recipe(args.frames, size, args.portrait, args.seed)  # type: ignore[arg-type]
    plates = out / "plates"
    pattern = plates / f"{recipe.name}.####.exr"
    frames = list(range(recipe.first, recipe.first + recipe.frames))
    start = time.perf_counter()
    if not (args.reuse and (plates / f"{recipe.name}.truth.json").is_file()):
        build_plate(recipe, plates)
    print(
        f"handheld plate {pattern} ({size[0]}x{size[1]}, {len(frames)} frames, {args.portrait}): "
        f"{time.perf_counter() - start:.0f} s"
    )
    shots = [run_faceplate(out / "handheld", "hh010", pattern, frames)]
    if args.unsmoothed:
        shots.append(
            run_faceplate(
                out / "handheld_unsmoothed",
                "hh010u",
                pattern,
                frames,
                extra={"solve": {"smoothing": 0}},
            )
        )
    if not args.no_demo:
        shots.append(run_demo(out / "demo"))
    rows = [measure(s, out / "crops") for s in shots]
    print(
        f"\n{'shot':10} {'frames':>6} {'swim mean':>10} {'swim p95':>9} {'flicker':>8} "
        f"{'faceplate s':>12} {'measure s':>10}"
    )
    for r in rows:
        print(
            f"{r['shot']:10} {r['frames']:6d} {r['swim_mean']:10.2f} {r['swim_p95']:9.2f} "
            f"{r['flicker']:8.2f} {r['faceplate_s']:12.0f} {r['measure_s']:10.0f}"
        )
    if args.floor:
        some = frames[: args.floor]
        floors = [regrain_floor(recipe, pattern, shots[0].matte, some),
                  own_face_floor(out / "own_face", recipe, pattern, some)]
        for f in floors:
            print(f"floor: {f['floor']:9} {f['frames']:3d} frames  swim mean {f['swim_mean']:.2f}"
                  f"  p95 {f['swim_p95']:.2f}")
            f.pop("shot", None)
        rows.append({"floors": floors})
    print("targets (issue 15): swim mean <= 0.5 px, p95 <= 1.0 px, flicker <= 0.4 L*")
    (out / "stability.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"crops: {out / 'crops'}; figures: {out / 'stability.json'}")


if __name__ == "__main__":
    main()
