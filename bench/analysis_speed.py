"""Per-frame face analysis time at 1080p with one face, on one core: the MediaPipe pack
against dlib's HOG + 68-point path on the same frames. Prints medians, never asserts.

Frames: the demo's public-domain portrait on a textured 1920x1080 plate, drifting a few
pixels a frame (face box ~300 px). Paths timed per frame:

- mediapipe, detect every frame: BlazeFace full range on a 192 px letterbox of the frame and
  on its two overlapping squares, short range on a 128 px letterbox, then the mesh twice
  (detection crop, then the crop its mesh gives) and the iris model on both eyes;
- mediapipe, tracking: the mesh on the crop from the previous frame's mesh, and the irises
  (detection only on the first frame, as a tracking solve runs it);
- dlib (today's analysis): HOG on a 1024 px proxy (analyse's ``detect_size``), then the
  68-point predictor on the face.

    python bench/analysis_speed.py [--frames 24] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.mediapipe import MediaPipeFacePack

PORTRAIT = Path(str(resources.files("faceplate.demo") / "data" / "obama.jpg"))


def frames(count: int) -> list[np.ndarray]:
    """``count`` 1920x1080 RGB frames, the portrait drifting 3 px right, 2 px up a frame."""
    image = cv2.imread(str(PORTRAIT))
    if image is None:
        raise SystemExit(f"ERROR: {PORTRAIT}: cannot read")
    portrait = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    noise = np.random.default_rng(1).integers(30, 220, (1080, 1920, 3), dtype=np.uint8)
    plate = np.asarray(cv2.GaussianBlur(noise, (0, 0), 6), np.uint8)
    plate[300:300 + portrait.shape[0], 700:700 + portrait.shape[1]] = portrait
    shifts = [np.array([[1.0, 0.0, 3.0 * i], [0.0, 1.0, -2.0 * i]]) for i in range(count)]
    return [np.asarray(cv2.warpAffine(plate, m, (1920, 1080), borderMode=cv2.BORDER_REPLICATE),
                       np.uint8) for m in shifts]


def timed(call: Callable[[np.ndarray], object], images: list[np.ndarray]) -> tuple[float, int]:
    """Median ms per frame over ``images`` (after one warm-up call) and frames with a face."""
    call(images[0])
    times, found = [], 0
    for image in images:
        start = time.perf_counter()
        result = call(image)
        times.append((time.perf_counter() - start) * 1000)
        found += result is not None
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--threads", type=int, default=1, help="LiteRT and OpenCV threads")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    images = frames(args.frames)
    pack = MediaPipeFacePack(threads=args.threads)
    dlib_pack = DlibFacePack()

    def detect_every_frame(image: np.ndarray) -> object:
        found = pack.find_faces(image)
        return pack.from_detection(image, found[0]) if found else None

    state: dict[str, object] = {"face": detect_every_frame(images[0])}

    def tracking(image: np.ndarray) -> object:
        state["face"] = pack.track(image, state["face"]) if state["face"] else None  # type: ignore[arg-type]
        return state["face"]

    def dlib_path(image: np.ndarray) -> object:
        scale = 1024 / max(image.shape[:2])
        proxy = np.asarray(cv2.resize(image, None, fx=scale, fy=scale,
                                      interpolation=cv2.INTER_AREA), np.uint8)
        found = dlib_pack.detect(proxy)
        if not found:
            return None
        return dlib_pack.landmarks(image, tuple(v / scale for v in found[0].box))

    region = pack.from_detection(images[0], pack.find_faces(images[0])[0]).region  # type: ignore[union-attr]
    mesh_points = pack.fit(images[0], region).mesh  # type: ignore[union-attr]
    parts: dict[str, Callable[[np.ndarray], object]] = {
        "  detectors only (proxy, full range + 2 squares, short range)": pack.find_faces,
        "  one mesh fit (192 px rotated crop)": lambda im: pack.mesh_model.fit(im, region),
        "  irises (two 64 px crops)": lambda im: pack.iris_model.fit(im, mesh_points),
    }
    print(f"1920x1080, one face, {args.frames} frames, {args.threads} thread(s); "
          "median ms per frame")
    rows: list[tuple[str, Callable[[np.ndarray], object]]] = [
        ("mediapipe, detect every frame (detectors + 2 meshes + irises)", detect_every_frame),
        ("mediapipe, tracking from the previous mesh (mesh + irises)", tracking),
        ("dlib, HOG on a 1024 px proxy + 68 points (today)", dlib_path)]
    results = {}
    for name, call in rows:
        state["face"] = detect_every_frame(images[0])
        ms, found = timed(call, images)
        results[name] = ms
        print(f"{name:64} {ms:8.1f} ms  faces {found}/{len(images)}")
    for name, call in parts.items():
        ms, _ = timed(call, images)
        print(f"{name:64} {ms:8.1f} ms")
    today = results[rows[2][0]]
    for name, _ in rows[:2]:
        short = name.split(",")[1].split("(")[0].strip()
        print(f"ratio to dlib, {short:40} {results[name] / today:6.3f}")
    print("target: <= 30 ms per frame")


if __name__ == "__main__":
    main()
