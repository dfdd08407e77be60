"""Temporal stability benchmark: landmark jitter of the solved track against per-frame
processing, on a shot with known ground truth.

The plate is the demo portrait moved by the demo's known smooth camera move, with film
grain added so detection is noisy. Ground truth per frame is the still's landmarks moved
by the same transform. Jitter is the RMS frame-to-frame change of the landmark error
(solved minus truth), in pixels. Prints both figures and their ratio (target <= 0.3).

    python bench/temporal.py [--frames 48] [--grain 0.02] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from faceplate.demo.build import CameraMove, _data_file
from faceplate.nodes import ShotNode
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.solve import solve
from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image
from faceplate.spec import load_spec

SIZE = (1024, 576)


def still_landmarks(ctx: RunContext) -> np.ndarray:
    """The portrait's own mesh (x, y), found at 2× for precision."""
    portrait = cv2.cvtColor(cv2.imread(str(_data_file("astronaut.png"))), cv2.COLOR_BGR2RGB)
    big = cv2.resize(portrait, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    face = ctx.face_pack.detect(big)[0]
    mesh = ctx.face_pack.landmarks(big, face)
    assert mesh is not None, "no face mesh on the portrait"
    return mesh[:, :2] / 2.0


def build(folder: Path, frames: int, grain: float, seed: int = 7) -> tuple[Path, list[np.ndarray]]:
    from faceplate.demo.build import build_demo_shot
    spec_path = build_demo_shot(folder)
    spec = load_spec(spec_path)
    rng = np.random.default_rng(seed)
    numbers = list(spec.plate.frames)[:frames]
    move = CameraMove()
    matrices = []
    for i, f in enumerate(numbers):
        frame = read_frame(spec.plate.path.frame(f), f)
        noisy = frame.pixels.astype(np.float32)
        noisy[..., :3] += rng.normal(0.0, grain, noisy[..., :3].shape) * np.sqrt(
            np.maximum(noisy[..., :3], 0.01))
        write_image(spec.plate.path.frame(f), frame.spec, noisy.astype(np.float16))
        matrices.append(move.matrix(i / (len(spec.plate.frames) - 1), SIZE))
    text = spec_path.read_text().replace("frames: 1001-1048", f"frames: 1001-{1000 + frames}")
    spec_path.write_text(text)
    return spec_path, matrices


def jitter(tracked: np.ndarray, truth: np.ndarray) -> float:
    error = tracked - truth
    return float(np.sqrt(np.mean(np.sum(np.diff(error, axis=0) ** 2, axis=-1))))


def measure(folder: Path, frames: int, grain: float) -> tuple[dict[str, float], int]:
    """Jitter of per-frame processing and of the solved track; and the smoothing window."""
    spec_path, matrices = build(folder, frames, grain)
    spec = load_spec(spec_path)
    ctx = RunContext.create(spec.ocio)
    still = still_landmarks(ctx)
    truth = np.array([still @ m[:, :2].T + m[:, 2] for m in matrices])
    analysis = ShotNode(spec, ctx).analyse()
    figures = {}
    for label, window in (("per-frame", 0), ("solved", spec.solve.smoothing)):
        (swap,) = solve(replace(spec, solve=replace(spec.solve, smoothing=window)), analysis, ctx)
        frames = sorted(swap.faces)
        tracked = np.array([swap.faces[f].landmarks for f in frames])[..., :2]
        figures[label] = jitter(tracked, truth[[f - 1001 for f in frames]])
    return figures, spec.solve.smoothing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--grain", type=float, default=0.02)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="faceplate-temporal-"))
    figures, window = measure(folder, args.frames, args.grain)
    ratio = figures["solved"] / figures["per-frame"]
    print(f"frames: {args.frames}, grain: {args.grain}, smoothing window: {window}")
    print(f"per-frame jitter: {figures['per-frame']:.3f} px RMS frame-to-frame")
    print(f"solved jitter:    {figures['solved']:.3f} px RMS frame-to-frame")
    print(f"ratio solved / per-frame: {ratio:.3f} (target <= 0.3)")


if __name__ == "__main__":
    main()
