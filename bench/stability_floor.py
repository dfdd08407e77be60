"""The floor of the swim measure on a built plate: what outputs that should score about 0 score.

- ``regrain``: the plate's own frames rendered again with fresh grain (same level, another
  seed): nothing moved, only the grain changed, as the swapper's regrain changes it;
- ``own face``: the plate run through faceplate with the plate's own portrait as the source
  (the whole chain: mesh, warp, light and grain matching), measured like any swap.

Swim figures below these floors cannot be told from the instrument's own noise.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from frames import PINNED_OCIO, Display, frame_path, read_matte, read_rgb
from shots import Shot, load_frames, run_faceplate

from faceplate.demo.plate_look import add_grain
from faceplate.demo.plate_motion import build_timeline
from faceplate.demo.plates import PlateRecipe, _Colour, _data, _portraits, load_rig, render_frame
from faceplate.face.image_metrics import face_mask, swim


def regrain_floor(recipe: PlateRecipe, plate: Path, matte: Path, frames: list[int]) -> dict:
    """Swim of the plate against itself rendered again with fresh grain, over the face of a
    finished run's mattes (``matte``)."""
    info = _portraits()[recipe.portrait]
    landmarks = np.array(info["landmarks68"], np.float64)
    upscale = 2 if recipe.face_px / float(np.ptp(landmarks[:, 1])) > 1.4 else 1
    rig = load_rig(recipe.portrait, _Colour(PINNED_OCIO), upscale=upscale)
    timeline = build_timeline(recipe.seed, recipe.frames, recipe.fps, 8, recipe.camera,
                              recipe.performance)
    clean = replace(recipe, look=replace(recipe.look, grain=0.0))
    display = Display()
    mattes = [read_matte(frame_path(matte, f)) for f in frames]
    ys, xs = np.nonzero(np.max(mattes, axis=0) > 0.0)
    pad = 40
    x0, y0 = max(0, xs.min() - pad), max(0, ys.min() - pad)
    x1, y1 = xs.max() + pad, ys.max() + pad
    plates, regrained = [], []
    for f in frames:
        index = f - recipe.first
        fresh = add_grain(render_frame(rig, clean, timeline, index), recipe.look,
                          np.random.default_rng([recipe.seed + 1000, index, 7]))
        fresh = fresh.astype(np.float16).astype(np.float32)  # as the plate is stored
        plates.append(display.to8(read_rgb(frame_path(plate, f))[y0:y1, x0:x1]))
        regrained.append(display.to8(fresh[y0:y1, x0:x1]))
    masks = [face_mask(m[y0:y1, x0:x1]) for m in mattes]
    s = swim(regrained, plates, masks)
    return {"floor": "regrain", "frames": len(frames), "swim_mean": s.mean, "swim_p95": s.p95}


def own_face_floor(folder: Path, recipe: PlateRecipe, plate: Path, frames: list[int]) -> dict:
    """Swim of the plate swapped onto itself (its own portrait as the source)."""
    source = _data(_portraits()[recipe.portrait]["file"])
    shot: Shot = run_faceplate(folder, "own", plate, frames, source=source)
    loaded = load_frames(shot)
    s = swim(loaded.outputs, loaded.plates, [face_mask(m) for m in loaded.mattes])
    return {"floor": "own face", "frames": len(frames), "swim_mean": s.mean, "swim_p95": s.p95,
            "shot": shot}
