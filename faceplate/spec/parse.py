"""Reading and validating a shot spec against its contract (:mod:`faceplate.spec.contract`),
reporting every problem at once, and making the runtime spec with absolute paths.

Loading reads the YAML file and nothing more: it opens no image, checks no colourspace and
writes nothing. Relative paths resolve against the spec's folder. What needs the disk or the
OCIO config is checked before anything is written by :func:`faceplate.spec.inputs.check_inputs`
(the named files exist) and the pre-flight (:mod:`faceplate.pipeline.preflight`: colourspaces,
display and view, output compression, models).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from faceplate.errors import SpecError, raise_spec_errors
from faceplate.frames import SequencePath, parse_frames
from faceplate.spec.contract import ReferenceTarget, ShotSection, SwapSection, TrackTarget
from faceplate.spec.farm_section import given
from faceplate.spec.schema import (
    DEFAULT_MATTE_CHANNEL,
    OutputSpec,
    PlateSpec,
    ShotSpec,
    SourceSpec,
    SwapSpec,
    TargetSpec,
)
from faceplate.spec.validation import spec_errors
from faceplate.spec.versions import upgrade
from faceplate.spec.yamlfile import load_yaml


def load_spec(path: str | os.PathLike[str]) -> ShotSpec:
    """Read and validate a shot spec file.

    Raises:
        SpecError: naming the offending key or file (several at once as
            :class:`faceplate.errors.SpecErrors`, one line each).
    """
    spec_path = Path(path).absolute()
    try:
        data = load_yaml(spec_path, "shot spec")
    except FileNotFoundError:
        raise SpecError("shot spec not found", path=spec_path) from None
    return parse_spec(data, base=spec_path.parent, spec_path=spec_path)


def parse_spec(data: Any, *, base: Path, spec_path: Path | None = None) -> ShotSpec:
    """Validate a spec given as plain data (upgraded to the current version first); relative
    paths resolve against ``base``. No file is touched.

    Raises:
        SpecError: every problem at once, each naming its key (:mod:`faceplate.spec.contract`).
    """
    if not isinstance(data, dict):
        raise SpecError(f"expected a mapping, got {type(data).__name__}", key="(top level)")
    if "version" not in data:
        raise SpecError("missing required key", key="version")
    try:
        section = ShotSection.model_validate(upgrade(data), context={"base": base})
    except ValidationError as exc:
        raise_spec_errors(spec_errors(exc, ShotSection))
        raise  # pragma: no cover - every validation error becomes a SpecError
    return _spec(section, base, spec_path)


def _spec(section: ShotSection, base: Path, spec_path: Path | None) -> ShotSpec:
    """The runtime spec of a validated section, its paths resolved against ``base``."""
    plate, output = section.plate, section.output
    qc = base / output.qc
    return ShotSpec(
        shot=section.shot,
        plate=PlateSpec(SequencePath(plate.path).resolved(base),
                        tuple(parse_frames(plate.frames)), plate.colorspace),
        sources={str(name): SourceSpec(str(name), tuple(base / image for image in (
            [source.images] if isinstance(source.images, str) else source.images)),
            source.colorspace) for name, source in section.sources.items()},
        swaps=tuple(_swap(swap, base) for swap in section.swaps),
        output=OutputSpec(
            path=SequencePath(output.path).resolved(base),
            matte=SequencePath(output.matte).resolved(base) if output.matte else None,
            qc=qc, cache=base / output.cache if output.cache is not None else qc / "cache",
            compression=output.compression.strip().lower() if output.compression else None,
            matte_channel=_matte_channel(output.matte_channel),
            pixel_type=output.pixel_type),
        ocio=_ocio(section.ocio, base), solve=section.solve, qc=section.qc,
        models=section.models.resolved(base), farm=_farm(section), spec_path=spec_path)


def _swap(swap: SwapSection, base: Path) -> SwapSpec:
    target = swap.target
    if isinstance(target, TrackTarget):
        return SwapSpec(swap.source, TargetSpec("track", track=target.track))
    if isinstance(target, ReferenceTarget):
        return SwapSpec(swap.source, TargetSpec("reference", base / target.reference))
    return SwapSpec(swap.source, TargetSpec(target))


def _ocio(config: str | None, base: Path) -> str | None:
    """A config file's path resolved against ``base`` like every other path; a built-in
    ``ocio://`` URI as written."""
    if config is None or config.startswith("ocio://"):
        return config
    return str(base / config)


def _matte_channel(value: bool | str | None) -> str | None:
    """``true`` means the default channel name, ``false``/absent no matte channel."""
    if value is None or value is False:
        return None
    return DEFAULT_MATTE_CHANNEL if value is True else value.strip()


def _farm(section: ShotSection) -> dict[str, Any]:
    """Each farm's options as given: the known farms' dataclasses, plugin farms' mappings."""
    farm = section.farm
    known = {name: getattr(farm, name) for name in ("local", "slurm", "deadline", "opencue")
             if getattr(farm, name) is not None}
    return {**known, **{name: dict(given(value)) for name, value in
                        (farm.model_extra or {}).items()}}
