"""The input files a spec names must exist: checked apart from loading, before anything runs."""

from __future__ import annotations

from pathlib import Path

from faceplate.errors import SpecError
from faceplate.spec.schema import ShotSpec


def _exists(path: Path, key: str) -> None:
    if not path.is_file():
        raise SpecError(f"file not found: {path}", key=key, path=path)


def check_inputs(spec: ShotSpec) -> ShotSpec:
    """Check every file the spec names as input is there (source and reference images, a
    studio model manifest); no file is opened. Returns ``spec``.

    Raises:
        SpecError: naming the key of the first missing file.
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
    return spec
