"""Model benchmarks. Prints, never asserts.

**Analysis** (first, unless ``--onnx-only``): per-frame face analysis at 1080p with one face
on one core, the default pack (MediaPipe through LiteRT) against dlib's HOG + 68 points:

- mediapipe, detect every frame: BlazeFace full range on a 192 px proxy of the frame and on
  its two overlapping squares, short range on it, then the mesh twice (detection crop, then
  the crop its mesh gives) and the iris model on both eyes (analysis's path for a detected
  face; target <= 30 ms);
- mediapipe, tracking: the mesh on the crop from the previous frame's mesh, and the irises
  (the path for a face the detector misses, and a tracking solve's);
- dlib: HOG on a 1024 px proxy (analysis's ``detect_size``), then the 68-point predictor;
- the identity descriptor (dlib's ResNet, every face every frame), for the stage's total.

Frames: the demo's public-domain portrait on a textured 1920x1080 plate, drifting a few
pixels a frame (face box ~300 px). With ``--plate``, also ``faceplate run`` (threads limited
to one; ``--pin``: on core 0) on a built 1080p plate of a talking head, and the analysis
stage's own per-frame seconds from its ``analysis.json`` (reading the EXR, colour, detection,
mesh, iris, descriptor, skin colour).

**ONNX models** (unless ``--analysis-only``): per model and provider, ms per call and faces/s
at a batch size. Real files are used when they are on FACEPLATE_MODEL_PATH (or --model-dir);
with --tiny, tiny stand-ins with the swappers' real input/output contract (a 3×3 conv stack)
are built in a temporary folder instead, which measures the adapter and runtime overhead only;
with --standin, an inswapper_128 of the real file's contract and size with random weights
(bench/standin.py), which measures compute.

    python bench/models.py [--analysis-only | --onnx-only] [--frames 24] [--plate]
        [--tiny | --standin] [--model-dir DIR] [--batch 4] [--repeat 20]
        [--providers cuda,cpu] [--backend onnxruntime|torch] [--models inswapper_128,...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from faceplate.models.adapters import adapter_for, enhancer_for, recognizer_for, swapper_for
from faceplate.models.align import TEMPLATES
from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.files import locate
from faceplate.models.manifest import load_manifest
from faceplate.models.mediapipe import MediaPipeFacePack
from faceplate.models.mediapipe.pack import FaceLandmarks
from faceplate.models.policy import LicencePolicy
from faceplate.models.runtime import ModelRegistry, RuntimeOptions

sys.path.insert(0, str(Path(__file__).parent))

PORTRAIT = Path(str(resources.files("faceplate.demo") / "data" / "obama.jpg"))

ROLES = ("swapper", "enhancer", "recognizer")


def _points(n: int, template: str) -> list[np.ndarray]:
    return [TEMPLATES[template] * 200 + np.array([300.0 * i + 100, 400.0]) for i in range(n)]


def bench_model(registry: ModelRegistry, model_id: str, batch: int, repeat: int) -> None:
    adapter = adapter_for(registry, model_id)
    frame = np.random.default_rng(1).random((1080, 1920, 3), dtype=np.float32)
    points = _points(batch, adapter.template)
    role = adapter.entry.role
    calls: dict[str, Callable[[], object]] = {
        "swapper": lambda: swapper_for(registry, model_id).swap(frame, points,
                                                                np.ones(512, np.float32)),
        "enhancer": lambda: enhancer_for(registry, model_id).enhance(frame, points),
        "recognizer": lambda: recognizer_for(registry, model_id).embed(frame, points)}
    call = calls[role]
    call()  # warm-up: session creation, provider setup
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    dt = (time.perf_counter() - start) / repeat
    print(f"{model_id:24} {adapter.session.provider:28} batch {batch}: {dt * 1000:8.2f} ms/call "
          f"{batch / dt:8.1f} faces/s (with 1080p align + warp)")


# --- analysis ------------------------------------------------------------------------------

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


def bench_analysis(count: int) -> None:
    """The default pack's per-frame analysis at 1080p, one face, one core (see the module's
    docstring), against dlib's HOG + 68 points."""
    cv2.setNumThreads(1)
    images = frames(count)
    dlib_pack = DlibFacePack()
    pack = MediaPipeFacePack(dlib_pack, threads=1)

    def detect_every_frame(image: np.ndarray) -> FaceLandmarks | None:
        found = pack.find_faces(image)
        return pack.from_detection(image, found[0]) if found else None

    state: dict[str, FaceLandmarks | None] = {"face": detect_every_frame(images[0])}

    def tracking(image: np.ndarray) -> object:
        previous = state["face"]
        state["face"] = pack.track_face(image, previous) if previous is not None else None
        return state["face"]

    def dlib_path(image: np.ndarray) -> object:
        scale = 1024 / max(image.shape[:2])
        proxy = np.asarray(cv2.resize(image, None, fx=scale, fy=scale,
                                      interpolation=cv2.INTER_AREA), np.uint8)
        found = dlib_pack.detect(proxy)
        if not found:
            return None
        return dlib_pack.landmarks(image, tuple(v / scale for v in found[0].box))

    first = detect_every_frame(images[0])
    assert first is not None, "no face on the benchmark frames"
    print(f"1920x1080, one face, {count} frames, 1 thread; median ms per frame")
    rows: list[tuple[str, Callable[[np.ndarray], object]]] = [
        ("mediapipe, detect every frame (detectors + 2 meshes + irises)", detect_every_frame),
        ("mediapipe, tracking from the previous mesh (mesh + irises)", tracking),
        ("dlib, HOG on a 1024 px proxy + 68 points (the old default)", dlib_path)]
    results = {}
    for name, call in rows:
        state["face"] = first
        ms, found = timed(call, images)
        results[name] = ms
        print(f"{name:64} {ms:8.1f} ms  faces {found}/{len(images)}")
    parts: dict[str, Callable[[np.ndarray], object]] = {
        "  detectors only (proxy, full range + 2 squares, short range)": pack.find_faces,
        "  one mesh fit (192 px rotated crop)": lambda im: pack.mesh_model.fit(im, first.region),
        "  irises (two 64 px crops)": lambda im: pack.iris_model.fit(im, first.mesh),
        "  identity descriptor (dlib ResNet, per face)":
            lambda im: pack.descriptor(im, first.points)}
    for name, call in parts.items():
        ms, _ = timed(call, images)
        print(f"{name:64} {ms:8.1f} ms")
    old = results[rows[2][0]]
    for name, _ in rows[:2]:
        short = name.split(",")[1].split("(")[0].strip()
        print(f"ratio to dlib, {short:40} {results[name] / old:6.3f}")
    print("target (issue 14): detect every frame <= 30 ms")


def bench_plate(count: int, pin: bool = False) -> None:
    """``faceplate run`` on a built 1080p plate (its libraries' threads limited to one; with
    ``pin``, on core 0 only, where ``taskset`` exists: on a shared machine that core may be
    busy); the analysis stage's per-frame seconds from its ``analysis.json``."""
    from shots import write_spec

    from faceplate.demo.plate_look import Look
    from faceplate.demo.plates import PlateRecipe, build_plate
    with tempfile.TemporaryDirectory(prefix="faceplate_bench_") as tmp:
        folder = Path(tmp)
        recipe = PlateRecipe(name="hd010", portrait="biden", size=(1920, 1080), frames=count,
                             face_px=400.0, look=Look(grain=0.01), seed=3)
        built = build_plate(recipe, folder / "plates")
        spec = write_spec(folder, "hd010", built.pattern, built.frames, "ACEScg")
        command = [str(Path(sys.executable).parent / "faceplate"), "run", str(spec)]
        if pin and shutil.which("taskset"):
            command = ["taskset", "-c", "0", *command]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENIMAGEIO_THREADS": "1",
               "OPENCV_FOR_THREADS_NUM": "1"}
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"faceplate run exited {done.returncode}: {done.stderr[-2000:]}")
        body = json.loads((folder / "out" / "qc" / "cache" / "analysis.json").read_text())
        seconds = [f["seconds"] * 1000 for f in body["frames"]]
        print(f"faceplate run, 1920x1080 plate, {count} frames, threads 1"
              f"{', taskset -c 0' if command[0] == 'taskset' else ''}: analysis stage per "
              f"frame median {statistics.median(seconds):.1f} ms, mean {np.mean(seconds):.1f} "
              f"ms (EXR read, colour, detection, mesh, iris, descriptor, skin); whole run "
              f"{wall:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analysis-only", action="store_true")
    parser.add_argument("--onnx-only", action="store_true")
    parser.add_argument("--frames", type=int, default=24, help="analysis frames")
    parser.add_argument("--plate", action="store_true",
                        help="also faceplate run on a built 1080p plate")
    parser.add_argument("--pin", action="store_true", help="run it on core 0 (taskset)")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--standin", action="store_true")
    parser.add_argument("--backend", default="onnxruntime", choices=("onnxruntime", "torch"))
    parser.add_argument("--model-dir", action="append", type=Path, default=[])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--providers", default="tensorrt,cuda,cpu")
    parser.add_argument("--models", default="")
    args = parser.parse_args()
    if not args.onnx_only:
        bench_analysis(args.frames)
        if args.plate:
            bench_plate(max(args.frames // 2, 8), args.pin)
    if not args.analysis_only:
        bench_onnx(args)


def bench_onnx(args: argparse.Namespace) -> None:
    """Per model and provider, ms per call and faces/s (every model allowed by name: this
    measures speed, not licences)."""
    with tempfile.TemporaryDirectory() as tmp:
        dirs = list(args.model_dir)
        import standin
        if args.tiny:
            standin.tiny_swapper(Path(tmp) / "inswapper_128.onnx", 128)
            standin.tiny_swapper(Path(tmp) / "hyperswap_1a_256.onnx", 256)
            dirs = [Path(tmp)]
        elif args.standin:
            standin.inswapper_like(Path(tmp) / "inswapper_128.onnx")
            dirs = [Path(tmp)]
        for provider in args.providers.split(","):
            options = RuntimeOptions(providers=(provider,), backend=args.backend)
            manifest = load_manifest()
            registry = ModelRegistry(manifest, model_dirs=dirs, options=options,
                                     policy=LicencePolicy(allow_models=tuple(manifest)))
            wanted = [m for m in args.models.split(",") if m] or [
                e.id for e in registry.manifest.values()
                if e.role in ROLES and e.format == "onnx" and locate(e, registry.dirs)]
            if not wanted:
                print("no model files found: pass --tiny, --model-dir or set FACEPLATE_MODEL_PATH")
                return
            print(f"-- requested provider {provider}")
            for model_id in wanted:
                for batch in sorted({1, args.batch}):
                    bench_model(registry, model_id, batch, args.repeat)


if __name__ == "__main__":
    main()
