"""Model latency benchmark: per model and provider, ms per call and faces/s at a batch size.

Real files are used when they are on FACEPLATE_MODEL_PATH (or --model-dir); with --tiny, tiny
stand-ins with the swappers' real input/output contract (a 3×3 conv stack) are built in a
temporary folder instead, which measures the adapter and runtime overhead only; with
--standin, an inswapper_128 of the real file's contract and size with random weights
(bench/standin.py), which measures compute. Prints, never asserts.

    python bench/models.py [--tiny | --standin] [--model-dir DIR] [--batch 4] [--repeat 20]
        [--providers cuda,cpu] [--backend onnxruntime|torch] [--models inswapper_128,...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from faceplate.models.adapters import adapter_for, enhancer_for, recognizer_for, swapper_for
from faceplate.models.align import TEMPLATES
from faceplate.models.files import locate
from faceplate.models.runtime import ModelRegistry, RuntimeOptions

sys.path.insert(0, str(Path(__file__).parent))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--standin", action="store_true")
    parser.add_argument("--backend", default="onnxruntime", choices=("onnxruntime", "torch"))
    parser.add_argument("--model-dir", action="append", type=Path, default=[])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--providers", default="tensorrt,cuda,cpu")
    parser.add_argument("--models", default="")
    args = parser.parse_args()
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
            registry = ModelRegistry(model_dirs=dirs, options=options)
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
