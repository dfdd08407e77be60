"""The input files a spec names: they must exist, and nothing faceplate writes may be one of
them. Checked apart from loading, before anything runs.

Inputs are read-only to faceplate by their real path: every output frame and matte of every
frame of the plate's range, resolved with ``realpath`` (folder links, a link per frame, ``..``
through a link), is refused when it is a plate frame, a source or reference image, the models
manifest, the OCIO config file or the spec itself; the QC and cache folders are refused when an
input lies inside them (faceplate writes and removes files there).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from faceplate.errors import SpecError
from faceplate.frames import SequencePath
from faceplate.spec.schema import ShotSpec


def _exists(path: Path, key: str) -> None:
    if not path.is_file():
        raise SpecError(f"file not found: {path}", key=key, path=path)


def check_inputs(spec: ShotSpec) -> ShotSpec:
    """Check every file the spec names as input is there (source and reference images, a
    studio model manifest), and that nothing the shot writes is one of its inputs by real path
    (:func:`check_outputs_spare_inputs`); no file is opened. Returns ``spec``.

    Raises:
        SpecError: naming the key of the first missing file, or the key and both real paths
            of an output that is an input.
    """
    for name, source in spec.sources.items():
        for i, image in enumerate(source.images):
            _exists(image, f"sources.{name}.images[{i}]")
    for i, swap in enumerate(spec.swaps):
        if swap.target.reference is not None:
            _exists(swap.target.reference, f"swaps[{i}].target.reference")
    manifest = spec.models.manifest
    if manifest is not None and not manifest.is_file():
        raise SpecError(f"file not found: {manifest}", key="models.manifest")
    check_outputs_spare_inputs(spec)
    return spec


def real_frames(pattern: SequencePath,
                frames: Iterable[int]) -> Iterator[tuple[int, str, str]]:
    """``(frame, path, real path)`` of each frame of ``pattern``: the folder resolved once, each
    file again only when it is a symbolic link."""
    folder: str | None = None
    for frame in frames:
        path = str(pattern.frame(frame))
        if folder is None:
            folder = os.path.realpath(os.path.dirname(path) or ".")
        real = os.path.join(folder, os.path.basename(path))
        yield frame, path, os.path.realpath(real) if os.path.islink(real) else real


def input_files(spec: ShotSpec) -> dict[str, tuple[str, str]]:
    """Real path → (what it is: the spec key, and the frame for plate frames; its path as the
    spec names it), for every input the spec names (plate frames of the whole range, whether
    on disk or not)."""
    inputs = {real: (f"the plate frame {frame} (plate.path)", path)
              for frame, path, real in real_frames(spec.plate.path, spec.plate.frames)}
    named: list[tuple[Path, str]] = [
        (image, f"sources.{name}.images[{i}]")
        for name, source in spec.sources.items() for i, image in enumerate(source.images)]
    named += [(swap.target.reference, f"swaps[{i}].target.reference")
              for i, swap in enumerate(spec.swaps) if swap.target.reference is not None]
    if spec.models.manifest is not None:
        named.append((spec.models.manifest, "models.manifest"))
    if spec.ocio and not spec.ocio.startswith("ocio://"):
        named.append((Path(spec.ocio), "ocio"))
    if spec.spec_path is not None:
        named.append((spec.spec_path, "the shot spec"))
    for path, key in named:
        inputs.setdefault(os.path.realpath(path), (key, str(path)))
    return inputs


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_outputs_spare_inputs(spec: ShotSpec) -> None:
    """Refuse a spec that would write one of its inputs, by real path, for every frame of the
    plate's range; or write two outputs to one file.

    Raises:
        SpecError: naming the key, the real path written and the input it is.
    """
    inputs = input_files(spec)
    written: dict[str, str] = {}
    outputs = [("output.path", spec.output.path)]
    if spec.output.matte is not None:
        outputs.append(("output.matte", spec.output.matte))
    for key, pattern in outputs:
        for frame, path, real in real_frames(pattern, spec.plate.frames):
            if real in inputs:
                what, named = inputs[real]
                raise SpecError(f"would overwrite {what}: frame {frame} goes to {path}, which by "
                                f"its real path is {named}; faceplate never writes its inputs",
                                key=key)
            if real in written:
                raise SpecError(f"frame {frame} goes to {path}, by its real path the same file "
                                f"as {written[real]}", key=key)
            written[real] = f"{key} (frame {frame})"
    for key, folder in (("output.qc", spec.output.qc), ("output.cache", spec.output.cache)):
        real_folder = os.path.realpath(folder)
        held = next((real for real in inputs if _inside(real, real_folder)), None)
        if held is not None:
            what, named = inputs[held]
            raise SpecError(f"the folder {folder} holds {what}, {named} (by real paths); "
                            "faceplate writes and removes files there, so it may hold no "
                            "input", key=key)
