"""Where a stage's CPU goes, per frame: ``faceplate analyse`` and ``faceplate render --force``
of a shot, each in a process of its own with everything in one thread (OpenImageIO, OpenEXR
and OpenCV without threads, the stage's reader and writer threads run in line), each part's
CPU read with ``time.thread_time`` around it (no profiler: cProfile makes Python-heavy parts
look several times costlier than they are).

The parts are faceplate's own functions, named below; a part renamed or moved fails here at
once. The EXR decode and encode are what ``oiiotool`` pays to copy the frames; the rest is the
face's. Divide a part's milliseconds by the cores a stage keeps busy (``bench/io.py`` prints
its CPU and wall seconds) for its share of the wall time.

    python bench/budget.py SPEC        # a shot analysed and solved (e.g. bench/io.py --out)
"""

from __future__ import annotations

import argparse
import collections
import importlib
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from shots import FACEPLATE

#: (module, function or Class.method, label); an indented label is part of the one above it.
#: A stage's frames are counted by its last part's calls (each stage writes every frame once).
RENDER = [
    ("faceplate.pipeline.render.stage", "_read_plate", "read the plate (EXR decode)"),
    ("faceplate.plateio.frame", "PlateFrame.nonfinite_count", "count NaN and Inf"),
    ("faceplate.pipeline.stage_files.proxies", "FlipbookProxies.plate", "plate's proxy"),
    ("faceplate.pipeline.render.stage", "swap_face", "swap"),
    ("faceplate.pipeline.render.stage", "_QC.finish", "QC"),
    ("faceplate.pipeline.render.stage", "output_identity", "  identity of the output"),
    ("faceplate.pipeline.render.swap", "PlacedFace.original_identity", "  identity of the plate"),
    ("faceplate.pipeline.render.stage", "write_frame", "write the frame (EXR encode)"),
    ("faceplate.pipeline.render.stage", "write_matte", "write the matte"),
    ("faceplate.pipeline.stage_files.proxies", "FlipbookProxies.write", "write the proxies"),
    ("faceplate.pipeline.render.stage", "_store", "write the record"),
]
ANALYSE = [
    ("faceplate.pipeline.analyse.stage", "read_plate", "read the plate, make its proxy"),
    ("faceplate.pipeline.analyse.stage", "read_rgb_frame", "  EXR decode"),
    ("faceplate.pipeline.analyse.stage", "read_rows", "read a followed frame's rows, proxy"),
    ("faceplate.pipeline.analyse.stage", "read_rgb_rows", "  EXR decode of those rows"),
    ("faceplate.pipeline.analyse.stage", "prepare_plate", "flow view, crops ahead"),
    ("faceplate.pipeline.analyse.stage", "face_motion", "head motion (LK, vertex flow)"),
    ("faceplate.pipeline.analyse.flow", "vertex_motion", "  vertex flow (DIS both ways)"),
    ("faceplate.pipeline.analyse.stage", "_crop", "face crops"),
    ("faceplate.models.mediapipe.pack", "MediaPipeFacePack.track", "mesh and iris, followed"),
    ("faceplate.models.mediapipe.pack", "MediaPipeFacePack.detect", "detector"),
    ("faceplate.models.mediapipe.pack", "MediaPipeFacePack.landmarks", "mesh on a detection"),
    ("faceplate.pipeline.analyse.identities", "Identities.measure", "identity descriptor"),
    ("faceplate.pipeline.analyse.stage", "_skin", "skin colour"),
    ("faceplate.pipeline.stage_files.analysis", "AnalysisWriter.add", "write the frame"),
]
class _InLine:
    """An executor that runs each task at once in the caller's thread."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> _InLine:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def submit(self, fn: Callable[..., Any], *args: object, **kwargs: object) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller, as a pool does
            future.set_exception(exc)
        return future

    def shutdown(self, *args: object, **kwargs: object) -> None:
        pass


def _timed(parts: list[tuple[str, str, str]], spent: dict[str, float],
           calls: collections.Counter[str]) -> None:
    """Wrap each part so its thread CPU and calls add up under its label."""
    for module_name, attr, label in parts:
        owner: Any = importlib.import_module(module_name)
        name = attr
        if "." in attr:
            cls, name = attr.split(".")
            owner = getattr(owner, cls)
        original = getattr(owner, name)

        def timed(*args: object, _original: Any = original, _label: str = label,
                  **kwargs: object) -> Any:
            start = time.thread_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.thread_time() - start
                calls[_label] += 1
        setattr(owner, name, timed)


def measure(stage: str, spec: str) -> None:
    """Run ``stage`` on ``spec`` in this process, in one thread, and print its parts."""
    import cv2
    import OpenImageIO as oiio
    oiio.attribute("threads", 1)
    oiio.attribute("exr_threads", -1)  # OpenEXR in the caller's thread
    cv2.setNumThreads(1)
    module = importlib.import_module(f"faceplate.pipeline.{stage}.stage")
    module.ThreadPoolExecutor = _InLine
    if stage == "analyse":  # descriptors measured in line (the command line: in a process)
        module._descriptor_process = lambda settings, ctx: None
    parts = RENDER if stage == "render" else ANALYSE
    spent: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter[str] = collections.Counter()
    _timed(parts, spent, calls)
    from faceplate.cli.main import main
    args = [stage, spec, "-q"] + (["--force"] if stage == "render" else [])
    cpu, wall = time.process_time(), time.perf_counter()
    main(args, standalone_mode=False)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    frames = max(calls[parts[-1][2]], 1)
    print(f"faceplate {stage}, one thread: {cpu:.2f} s of CPU ({1000 * cpu / frames:.0f} ms a "
          f"frame, start-up included), {wall:.2f} s, {frames} frames")
    for _, _, label in parts:
        print(f"  {label:34} {1000 * spent[label] / frames:7.1f} ms a frame  "
              f"{spent[label]:6.2f} s  ({calls[label]} calls)")
    shown = sum(spent[label] for _, _, label in parts if not label.startswith(" "))
    print(f"  {'the rest (start-up, glue)':34} {1000 * (cpu - shown) / frames:7.1f} ms a frame  "
          f"{cpu - shown:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", type=Path, help="a shot's spec, analysed and solved")
    parser.add_argument("--stage", choices=("analyse", "render"), default=None,
                        help="measure this stage in this process (the default: both, each "
                             "in a process of its own)")
    args = parser.parse_args()
    if args.stage is not None:
        measure(args.stage, str(args.spec))
        return
    from faceplate.pipeline.stage_files.paths import analysis_path
    from faceplate.spec import load_spec
    analysis = analysis_path(load_spec(args.spec))
    analysis.unlink(missing_ok=True)  # analysed again, from the plate
    for command in ([sys.executable, __file__, str(args.spec), "--stage", "analyse"],
                    [FACEPLATE, "solve", str(args.spec), "-q"],  # not measured
                    [sys.executable, __file__, str(args.spec), "--stage", "render"]):
        if subprocess.run(command, check=False).returncode:
            raise SystemExit(f"{' '.join(command)} failed")


if __name__ == "__main__":
    main()
