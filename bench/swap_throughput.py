"""Render throughput of a learned swap on a 1080p shot, against ``oiiotool`` copying the same
frames with the same number of processes, measured in the same run.

The shot is the demo's portrait and camera move at 1920×1080, half-float RGB EXR (zip),
``--frames`` long, one face on every frame. The face's mesh on each frame is the
portrait's mesh through the move's affine, so the solve is known exactly and written
directly. Each of ``--workers`` processes then runs faceplate's render stage
(:func:`faceplate.pipeline.render.render`: read, colour conversion, the learned swap with its
box matte, paste-back in the plate's linear space, the QC identity check, frame, matte and QC
record written) on a contiguous chunk, with its own context and model session, as the local
farm does. Prints frames/s with and without the per-process start-up, and the ratios to
oiiotool. Never asserts.

The swapper is ``inswapper_128.onnx`` where a ``--model-dir`` holds it; with ``--standin`` a
network of its contract and size with random weights (``bench/standin.py``) is used instead,
which measures compute, not quality. Meshes come from the default pack, or from ``--landmarks``
(JSON: ``{"portrait": 478×3, "source": 478×3}`` in image pixels) where only the descriptor
model is installed.

    python bench/swap_throughput.py --standin [inswapper|tiny] [--frames 96] [--workers 1,8]
        [--backend torch] [--providers cuda,cpu] [--landmarks FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

FIRST = 1001
SIZE = (1920, 1080)


def _demo_image(name: str) -> Path:
    return Path(str(resources.files("faceplate.demo") / "data" / name))


def landmarks_from_pack() -> dict[str, list]:
    """The face meshes (478 x, y, z) of the demo portrait and source still, found by the
    default pack."""
    from faceplate.face.image8 import to_uint8
    from faceplate.models.mediapipe import MediaPipeFacePack
    from faceplate.plateio.frame import read_rgb_image
    pack = MediaPipeFacePack()
    out = {}
    for key, name in (("portrait", "astronaut.png"), ("source", "obama.jpg")):
        image = to_uint8(read_rgb_image(_demo_image(name)))  # stills in the working space
        largest = max(pack.detect(image),
                      key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
        mesh = pack.landmarks(image, largest)
        assert mesh is not None, f"no face mesh on {name}"
        out[key] = mesh.tolist()
    return out


@dataclass(frozen=True)
class Job:
    spec_path: Path
    frames: list[int]
    landmarks: dict[str, list]


def _known_solve(frames: list[int], all_frames: list[int], portrait: np.ndarray,
                 descriptor: list[float] | None = None):
    from faceplate.demo.build import CameraMove
    from faceplate.pipeline.stage_files.tracks import SolvedFace, SolvedSwap
    move, faces = CameraMove(), {}
    for f in frames:
        t = all_frames.index(f) / max(1, len(all_frames) - 1)
        m = move.matrix(t, SIZE)
        points = portrait.copy()
        points[:, :2] = portrait[:, :2] @ m[:, :2].T + m[:, 2]
        points[:, 2] *= float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
        (x0, y0), (x1, y1) = points[:, :2].min(0), points[:, :2].max(0)
        faces[f] = SolvedFace(f, 0, [float(x0), float(y0), float(x1), float(y1)], 1.0,
                              points.tolist(), descriptor=descriptor)
    return [SolvedSwap(0, "actor", 0, faces)]


def _source(ctx, points: np.ndarray):
    from faceplate.face.image8 import to_uint8
    from faceplate.face.swapper import SourceFace
    from faceplate.plateio.frame import read_rgb_image
    working = read_rgb_image(_demo_image("obama.jpg"))  # a still in the working space
    descriptor = ctx.face_pack.descriptor(to_uint8(working), points)
    (x0, y0), (x1, y1) = (points[:, :2].min(0).astype(int) - 40,
                          points[:, :2].max(0).astype(int) + 40)
    x0, y0 = max(0, x0), max(0, y0)
    crop = np.ascontiguousarray(np.clip(working[y0:y1, x0:x1], 0, 1))
    return SourceFace("actor", crop, points - (x0, y0, 0), descriptor)


def _plate_descriptor(ctx, spec, face) -> list[float]:
    from faceplate.face.image8 import to_uint8
    from faceplate.pipeline.render.swap import face_region
    from faceplate.plateio.frame import read_frame
    from faceplate.types import WORKING_SPACE
    frame = read_frame(spec.plate.path.frame(face.frame), face.frame)
    points = np.asarray(face.landmarks)
    box = face_region(points, frame.data_box)
    region = ctx.colour.convert(frame.rgb_region(box), "ACEScg", WORKING_SPACE)
    return ctx.face_pack.descriptor(to_uint8(region), points - (box.x0, box.y0, 0)).tolist()


def render_chunk(job: Job) -> dict[str, Any]:
    """One worker: context, model session, then the render stage over its frames."""
    start = time.perf_counter()
    from faceplate.pipeline.context import RunContext
    from faceplate.pipeline.preflight import preflight
    from faceplate.pipeline.render import render
    from faceplate.spec import load_spec
    spec = load_spec(job.spec_path)
    ctx = RunContext.create(spec.ocio)
    pre = preflight(spec, ctx)             # checks and loads the shot's models
    models = pre.shot_models()
    assert models.registry is not None and hasattr(models.swapper, "embedding")
    sources = {"actor": _source(ctx, np.asarray(job.landmarks["source"]))}
    # as analysis leaves it: the plate face's descriptor on each detected frame (measured once here;
    # analysis, a stage of its own, measures it per frame)
    portrait = np.asarray(job.landmarks["portrait"])
    plate_face = _known_solve(job.frames[:1], spec.plate.frames, portrait)
    descriptor = _plate_descriptor(ctx, spec, plate_face[0].faces[job.frames[0]])
    solved = _known_solve(job.frames, spec.plate.frames, portrait, descriptor)
    models.swapper.embedding(sources["actor"])
    models.registry.session(spec.models.swapper)  # load the model before the clock starts
    ready = time.perf_counter()
    result = render(spec, job.frames, solved, sources, ctx, pre, force=True)
    done = time.perf_counter()
    swapped = sum(r.status == "swapped" for r in result.records)
    return {"startup": ready - start, "render": done - ready, "frames": len(job.frames),
            "swapped": swapped,
            "provider": models.registry.providers_used().get(spec.models.swapper)}


def _chunks(frames: list[int], n: int) -> list[list[int]]:
    return [[int(f) for f in c] for c in np.array_split(frames, n) if len(c)]


def build(folder: Path, frames: int, model_dir: Path, standin: str | None, backend: str,
          providers: list[str]) -> Path:
    """Plate, source still, (stand-in) models and the shot spec under ``folder``."""
    from faceplate.demo.build import render_plate
    from faceplate.frames import parse_frames
    from faceplate.ocio import PINNED_CONFIG, ColourManager
    from faceplate.ocio.config import ConfigChoice, load_config
    from faceplate.spec import save_spec, spec_data
    from faceplate.types import WORKING_SPACE
    choice = ConfigChoice(PINNED_CONFIG, "spec")
    colour = ColourManager(load_config(choice), choice)
    frame_range = f"{FIRST}-{FIRST + frames - 1}"
    render_plate(colour, folder / "plates" / "gpu.####.exr", parse_frames(frame_range), size=SIZE)
    (folder / "refs").mkdir(exist_ok=True)
    shutil.copyfile(_demo_image("obama.jpg"), folder / "refs" / "actor.jpg")
    if standin:
        import standin as models
        model_dir.mkdir(parents=True, exist_ok=True)
        if standin == "tiny":
            models.tiny_swapper(model_dir / "inswapper_128.onnx", 128)
        else:
            models.inswapper_like(model_dir / "inswapper_128.onnx")
        models.arcface_like(model_dir / "arcface_w600k_r50.onnx")
    spec = spec_data(shot="gpu010", plate="plates/gpu.####.exr", frames=frame_range,
                     plate_colorspace="ACEScg", ocio=PINNED_CONFIG,
                     sources={"actor": {"images": ["refs/actor.jpg"], "colorspace": WORKING_SPACE}},
                     models={"swapper": "inswapper_128", "backend": backend,
                             "providers": providers, "model_dirs": [str(model_dir)]},
                     output="out/gpu_fp.####.exr", matte="out/gpu_fp_matte.####.exr", qc="out/qc")
    return save_spec(spec, folder / "gpu010.yaml")


def oiiotool_copy(folder: Path, frames: list[int], workers: int) -> float:
    """Seconds for ``workers`` oiiotool processes copying contiguous chunks, zip compression."""
    tool = shutil.which("oiiotool", path=str(Path(sys.executable).parent)) or "oiiotool"
    (folder / "ref").mkdir(exist_ok=True)
    start = time.perf_counter()
    procs = [subprocess.Popen([tool, "--frames", f"{c[0]}-{c[-1]}",
                               str(folder / "plates" / "gpu.%04d.exr"), "--compression", "zip",
                               "-o", str(folder / "ref" / "gpu.%04d.exr")])
             for c in _chunks(frames, workers)]
    if any(p.wait() for p in procs):
        raise RuntimeError("oiiotool failed")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--workers", default="1,8")
    parser.add_argument("--standin", nargs="?", const="inswapper", choices=("inswapper", "tiny"),
                        help="inswapper: the inswapper_128-sized stand-in; tiny: a 4-conv model of "
                             "its contract (the pipeline without the model's compute)")
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("--backend", default="onnxruntime", choices=("onnxruntime", "torch"))
    parser.add_argument("--providers", default="tensorrt,cuda,cpu")
    parser.add_argument("--landmarks", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not args.standin and args.model_dir is None:
        parser.error("pass --model-dir DIR (holding inswapper_128.onnx) or --standin")
    folder = args.out or Path(tempfile.mkdtemp(prefix="faceplate_gpu_"))
    folder.mkdir(parents=True, exist_ok=True)
    # inswapper_128 and ArcFace are non-commercial: this bench measures speed, so its own
    # studio config allows them by name (the workers inherit it)
    config = folder / "faceplate.yaml"
    config.write_text("allow_models: [inswapper_128, arcface_w600k_r50]\n")
    os.environ["FACEPLATE_CONFIG"] = str(config)
    model_dir = args.model_dir or folder / "models"
    t0 = time.perf_counter()
    spec_path = build(folder, args.frames, model_dir, args.standin, args.backend,
                      args.providers.split(","))
    print(f"built {args.frames} frames {SIZE[0]}x{SIZE[1]} in {time.perf_counter() - t0:.1f} s "
          f"under {folder}")
    landmarks = (json.loads(args.landmarks.read_text()) if args.landmarks
                 else landmarks_from_pack())
    frames = list(range(FIRST, FIRST + args.frames))
    context = multiprocessing.get_context("spawn")
    for workers in [int(w) for w in args.workers.split(",")]:
        reference = oiiotool_copy(folder, frames, workers)
        start = time.perf_counter()
        from faceplate.farm.local import share_cores
        with context.Pool(workers, initializer=share_cores, initargs=(workers,)) as pool:
            jobs = [Job(spec_path, c, landmarks) for c in _chunks(frames, workers)]
            results = pool.map(render_chunk, jobs)
        wall = time.perf_counter() - start
        steady = max(r["render"] for r in results)
        swapped = sum(r["swapped"] for r in results)
        print(f"-- {workers} worker(s), swapper on {results[0]['provider']}, "
              f"{swapped}/{len(frames)} frames swapped")
        print(f"   oiiotool copy            {reference:7.2f} s  "
              f"{len(frames) / reference:6.1f} frames/s")
        print(f"   faceplate render (wall)  {wall:7.2f} s  {len(frames) / wall:6.1f} frames/s  "
              f"ratio {wall / reference:.2f}  "
              f"(start-up per worker {np.mean([r['startup'] for r in results]):.1f} s)")
        print(f"   faceplate render (after start-up) {steady:7.2f} s  "
              f"{len(frames) / steady:6.1f} frames/s  "
              f"ratio {steady / reference:.2f}")


if __name__ == "__main__":
    main()
