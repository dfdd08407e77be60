"""Does the replaced face sit in its plate? (issue 16), measured from images.

Builds four plates (soft, grainy, warm-lit, looking down with lowered lids), runs
``faceplate run`` on each (and optionally the demo), and prints one row per plate, means
over the frames where a face is found on both plate and output:

- highlight: 99th-percentile L* of the output face minus the plate face's (target |.| <= 3);
- detail: mean |Laplacian| output / plate over the face (target 0.8-1.25);
- grain: grain level output / plate in the face's flat areas, mean of R, G, B (target 0.8-1.2);
- eye, mouth: openness of the output minus the plate's, from dlib landmarks found on each
  independently (lid gap / eye-corner width, inner-lip gap / outer eye-corner width;
  targets |.| <= 0.015 and 0.03), with the plate's own value;
- identity: dlib descriptor distance of the output face to the source portrait (demo
  today: 0.37-0.39; < 0.6 reads as the same person to dlib);
- edge: how far the output's L* gradient exceeds the plate's on the matte's soft outer edge
  (99th percentile, L* per pixel; QC flags above ``qc.max_hard_edge``).

Writes 1:1 crops (plate | result | matte) per plate to ``OUT/crops``.

    python bench/platematch.py [--out DIR] [--frames 24] [--size 1280x720] [--demo DIR|run|skip]
        [--only soft down] [--reuse-plates]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from crops import write_strips
from faces import Dlib68
from shots import SOURCE, Shot, demo_shot, load_frames, run_demo, run_faceplate

from faceplate.demo.plate_look import Look
from faceplate.demo.plate_motion import Handheld, Performance
from faceplate.demo.plates import PLATE_COLORSPACE, BuiltPlate, PlateRecipe, build_plate
from faceplate.face import image_metrics as im

GENTLE = Handheld(shake_px=1.0, roll_deg=0.05, zoom=1.02)
TALKING = Performance(yaw=10.0, nod=2.0, roll=1.0, sway=0.06)


def recipes(frames: int, size: tuple[int, int], seed: int) -> list[PlateRecipe]:
    """The four plates: soft (the 512² astronaut upscaled about 3x, a 2.5 px defocus disc),
    grainy (6 % grain at mid grey, clumped 0.9 px), warm-lit (a warm key over the frame),
    looking down (pitched 12° down, lids 55 % lowered, no speech)."""
    face = 270.0 * size[1] / 720.0
    common = {"size": size, "frames": frames, "face_px": face, "camera": GENTLE, "seed": seed}
    return [
        PlateRecipe(
            name="soft",
            portrait="astronaut",
            performance=TALKING,
            look=Look(defocus=2.5 * size[1] / 720.0, grain=0.012),
            **common,
        ),
        PlateRecipe(
            name="grainy",
            portrait="biden",
            performance=TALKING,
            look=Look(grain=0.06, grain_size=0.9),
            **common,
        ),
        PlateRecipe(
            name="warm",
            portrait="biden",
            performance=TALKING,
            look=Look(light="warm", exposure=0.3, grain=0.015),
            **common,
        ),
        PlateRecipe(
            name="down",
            portrait="biden",
            performance=Performance(
                yaw=0.0,
                nod=1.5,
                roll=1.0,
                sway=0.04,
                pitch=12.0,
                lids=0.55,
                talk=False,
                blink=False,
            ),
            look=Look(grain=0.015),
            **common,
        ),
    ]


def built_before(recipe: PlateRecipe, folder: Path) -> BuiltPlate | None:
    """The plate of ``recipe`` already in ``folder``: its truth file (written last) holds
    the same recipe and every frame is there; else None."""
    truth = folder / f"{recipe.name}.truth.json"
    if not truth.is_file():
        return None
    built = BuiltPlate(folder / f"{recipe.name}.####.exr",
                       list(range(recipe.first, recipe.first + recipe.frames)),
                       PLATE_COLORSPACE, recipe, truth)
    same = json.loads(truth.read_text(encoding="utf-8"))["recipe"] == json.loads(
        json.dumps(asdict(recipe)))
    return built if same and all(built.frame(n).is_file() for n in built.frames) else None


def source_descriptor(finder: Dlib68) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(SOURCE)), cv2.COLOR_BGR2RGB)
    face = finder.find(rgb, upsample=1)
    assert face is not None, "no face in the source portrait"
    return finder.descriptor(rgb, face)


def measure(shot: Shot, finder: Dlib68, source: np.ndarray, crops_dir: Path) -> dict:
    """Per-frame metrics of one finished shot, summarised."""
    start = time.perf_counter()
    frames = load_frames(shot, margin=0.6)
    rows = []
    for number, plate, output, matte in zip(
        frames.numbers, frames.plates, frames.outputs, frames.mattes
    ):
        mask = im.face_mask(matte)
        if mask.sum() < 100:
            continue
        row = {
            "frame": number,
            "highlight": im.highlight(output, plate, mask),
            "detail": im.detail_ratio(output, plate, mask),
            "grain": float(np.mean(im.grain_ratio(output, plate, mask))),
            "edge": im.hard_edge(output, plate, matte),
        }
        ys, xs = np.nonzero(mask)
        near = (float(xs.mean()), float(ys.mean()))
        pf, of = finder.find(plate, near=near), finder.find(output, near=near)
        if pf is not None and of is not None:
            row.update(
                eye_plate=im.eye_openness(pf.points),
                eye_out=im.eye_openness(of.points),
                mouth_plate=im.mouth_openness(pf.points),
                mouth_out=im.mouth_openness(of.points),
                identity=float(np.linalg.norm(finder.descriptor(output, of) - source)),
            )
        rows.append(row)

    def mean(key: str) -> float:
        values = [r[key] for r in rows if key in r]
        return float(np.mean(values)) if values else float("nan")

    found = [r for r in rows if "eye_out" in r]
    summary = {
        "shot": shot.name,
        "frames": len(frames.numbers),
        "measured": len(rows),
        "landmarked": len(found),
        "highlight": mean("highlight"),
        "detail": mean("detail"),
        "grain": mean("grain"),
        "edge": mean("edge"),
        "eye_plate": mean("eye_plate"),
        "mouth_plate": mean("mouth_plate"),
        "eye_diff": float(np.mean([r["eye_out"] - r["eye_plate"] for r in found]))
        if found
        else float("nan"),
        "mouth_diff": float(np.mean([r["mouth_out"] - r["mouth_plate"] for r in found]))
        if found
        else float("nan"),
        "mouth_absdiff": float(np.mean([abs(r["mouth_out"] - r["mouth_plate"]) for r in found]))
        if found
        else float("nan"),
        "identity": mean("identity"),
        "faceplate_s": shot.seconds,
        "measure_s": time.perf_counter() - start,
        "per_frame": rows,
    }
    widest = max(found, key=lambda r: r["mouth_plate"])["frame"] if found else frames.numbers[0]
    picks = sorted({frames.numbers[0], frames.numbers[len(frames.numbers) // 2], widest})
    write_strips(
        crops_dir / f"{shot.name}_crops.png",
        plate=shot.plate,
        output=shot.output,
        matte=shot.matte,
        frames=picks,
        colorspace=shot.colorspace,
    )
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument(
        "--demo",
        default="run",
        help="'run' (faceplate demo), 'skip', or a folder where the demo already ran",
    )
    ap.add_argument("--only", nargs="*", help="plate names to run (default: all)")
    ap.add_argument("--reuse-plates", action="store_true",
                    help="use the plates already built in OUT/plates from the same recipe")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="faceplate_platematch_"))
    size = tuple(int(v) for v in args.size.split("x"))
    finder = Dlib68()
    source = source_descriptor(finder)
    shots: list[Shot] = []
    for recipe in recipes(args.frames, size, args.seed):  # type: ignore[arg-type]
        if args.only and recipe.name not in args.only:
            continue
        start = time.perf_counter()
        built = (built_before(recipe, out / "plates") if args.reuse_plates else None) or \
            build_plate(recipe, out / "plates")
        print(f"{recipe.name}: plate {time.perf_counter() - start:.0f} s", flush=True)
        shots.append(run_faceplate(out / recipe.name, recipe.name, built.pattern, built.frames))
    if args.demo == "run":
        shots.append(run_demo(out / "demo"))
    elif args.demo != "skip":
        shots.append(demo_shot(Path(args.demo)))
    rows = [measure(s, finder, source, out / "crops") for s in shots]
    print(
        f"\n{'plate':8} {'frames':>6} {'lmk':>4} {'highlight':>9} {'detail':>7} {'grain':>6} "
        f"{'eye pl':>7} {'eye d':>7} {'mouth pl':>8} {'mouth d':>8} {'|m d|':>6} {'identity':>8} "
        f"{'edge':>5} {'fp s':>5}"
    )
    for r in rows:
        print(
            f"{r['shot']:8} {r['frames']:6d} {r['landmarked']:4d} {r['highlight']:9.2f} "
            f"{r['detail']:7.2f} {r['grain']:6.2f} {r['eye_plate']:7.3f} {r['eye_diff']:+7.3f} "
            f"{r['mouth_plate']:8.3f} {r['mouth_diff']:+8.3f} {r['mouth_absdiff']:6.3f} "
            f"{r['identity']:8.3f} {r['edge']:5.2f} {r['faceplate_s']:5.0f}"
        )
    print(
        "targets (issue 16): |highlight| <= 3 L*, detail 0.8-1.25, grain 0.8-1.2, "
        "|eye d| <= 0.015, |mouth d| <= 0.03, identity no worse than 0.37-0.39 on the demo"
    )
    (out / "platematch.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"crops: {out / 'crops'}; figures: {out / 'platematch.json'}")


if __name__ == "__main__":
    main()
