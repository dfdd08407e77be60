"""Reading and validating a shot spec: structure, types and paths, nothing else.

Loading reads the YAML file and nothing more: it opens no image, checks no colourspace and
writes nothing. Relative paths resolve against the spec's folder. What needs the disk or the
OCIO config is checked before anything is written by :func:`faceplate.spec.inputs.check_inputs`
(the named files exist) and the pre-flight (:mod:`faceplate.pipeline.preflight`: colourspaces,
display and view, output compression, models).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from faceplate.errors import SpecError
from faceplate.frames import SequencePath, parse_frames, shown
from faceplate.spec.models_section import parse_models
from faceplate.spec.schema import (
    DEFAULT_MATTE_CHANNEL,
    OutputSpec,
    PlateSpec,
    QCSpec,
    ShotSpec,
    SolveSpec,
    SourceSpec,
    SwapSpec,
    TargetSpec,
)
from faceplate.spec.versions import upgrade
from faceplate.spec.yamlfile import load_yaml

_TOP_KEYS = {"version", "shot", "plate", "ocio", "sources", "swaps", "output", "solve", "qc",
             "models"}
_PLATE_KEYS = {"path", "frames", "colorspace"}
_SOURCE_KEYS = {"images", "colorspace"}
_SWAP_KEYS = {"source", "target"}
_OUTPUT_KEYS = {"path", "matte", "qc", "cache", "compression", "matte_channel", "pixel_type"}
#: Sample types an output may be asked for by name (``output.pixel_type``).
PIXEL_TYPES = ("uint8", "uint16", "half", "float")
_SOLVE_KEYS = {"smoothing", "max_gap", "max_yaw", "beyond_yaw"}
_QC_KEYS = {"max_identity_distance", "min_distance_to_original", "min_score", "max_jitter",
            "max_matte_change", "max_seam", "display", "view"}


def load_spec(path: str | os.PathLike[str]) -> ShotSpec:
    """Read and validate a shot spec file.

    Raises:
        SpecError: naming the offending key or file.
    """
    spec_path = Path(path).absolute()
    try:
        data = load_yaml(spec_path, "shot spec")
    except FileNotFoundError:
        raise SpecError("shot spec not found", path=spec_path) from None
    return parse_spec(data, base=spec_path.parent, spec_path=spec_path)


def parse_spec(data: Any, *, base: Path, spec_path: Path | None = None) -> ShotSpec:
    """Validate a spec given as plain data (upgraded to the current version first); relative
    paths resolve against ``base``. No file is touched."""
    if isinstance(data, dict) and "version" not in data:
        raise SpecError("missing required key", key="version")
    top = _mapping(upgrade(data) if isinstance(data, dict) else data, "(top level)", _TOP_KEYS,
                   required={"version", "shot", "plate", "sources", "swaps", "output"})
    shot = _string(top["shot"], "shot")
    plate = _plate(top["plate"], base)
    sources = _sources(top["sources"], base)
    swaps = _swaps(top["swaps"], sources, base)
    output = _output(top["output"], base)
    ocio_config = _string(top["ocio"], "ocio") if top.get("ocio") is not None else None
    solve = _solve(top.get("solve", {}))
    qc = _qc(top.get("qc", {}))
    models = parse_models(top.get("models"), base)
    return ShotSpec(shot=shot, plate=plate, sources=sources, swaps=swaps, output=output,
                    ocio=ocio_config, solve=solve, qc=qc, models=models, spec_path=spec_path)


def _mapping(value: Any, key: str, allowed: set[str],
             required: Collection[str] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"expected a mapping, got {type(value).__name__}", key=key)
    prefix = "" if key == "(top level)" else f"{key}."
    for name in value:
        if name not in allowed:
            raise SpecError(f"unknown key (allowed: {', '.join(sorted(allowed))})",
                            key=f"{prefix}{name}")
    for name in sorted(required):
        if name not in value:
            raise SpecError("missing required key", key=f"{prefix}{name}")
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError("expected a non-empty string", key=key)
    return value


def _sequence_path(value: Any, key: str, base: Path) -> SequencePath:
    try:
        return SequencePath(_string(value, key)).resolved(base)
    except SpecError as exc:
        raise SpecError(exc.message, key=key) from None


def _plate(value: Any, base: Path) -> PlateSpec:
    plate = _mapping(value, "plate", _PLATE_KEYS, required={"path", "frames"})
    try:
        frames = parse_frames(plate["frames"])
    except SpecError as exc:
        raise SpecError(exc.message, key="plate.frames") from None
    colorspace = plate.get("colorspace")
    return PlateSpec(path=_sequence_path(plate["path"], "plate.path", base),
                     frames=tuple(frames),
                     colorspace=_string(colorspace, "plate.colorspace") if colorspace else None)


def _file(value: Any, key: str, base: Path) -> Path:
    """A named input file (whether it exists is :func:`faceplate.spec.inputs.check_inputs`'s)."""
    return base / _string(value, key)


def _sources(value: Any, base: Path) -> dict[str, SourceSpec]:
    if not isinstance(value, dict) or not value:
        raise SpecError("expected a mapping of source names to {images: [...]}", key="sources")
    sources = {}
    for name, entry in value.items():
        key = f"sources.{name}"
        source = _mapping(entry, key, _SOURCE_KEYS, required={"images"})
        images = source["images"]
        if isinstance(images, str):
            images = [images]
        if not isinstance(images, list) or not images:
            raise SpecError("expected a list of image paths", key=f"{key}.images")
        paths = tuple(_file(img, f"{key}.images[{i}]", base)
                      for i, img in enumerate(images))
        colorspace = source.get("colorspace")
        sources[str(name)] = SourceSpec(
            name=str(name), images=paths,
            colorspace=_string(colorspace, f"{key}.colorspace") if colorspace else None)
    return sources


def _target(value: Any, key: str, base: Path) -> TargetSpec:
    if value in ("largest", "all"):
        return TargetSpec(value)
    if isinstance(value, dict) and "track" in value:
        target = _mapping(value, key, {"track"})
        track = target["track"]
        if not isinstance(track, int) or isinstance(track, bool) or track < 0:
            raise SpecError("expected a track number >= 0", key=f"{key}.track")
        return TargetSpec("track", track=track)
    if isinstance(value, dict):
        target = _mapping(value, key, {"reference"}, required={"reference"})
        return TargetSpec("reference", _file(target["reference"], f"{key}.reference", base))
    raise SpecError("expected 'largest', 'all', {track: N} or {reference: image}", key=key)


def _swaps(value: Any, sources: Mapping[str, SourceSpec], base: Path) -> tuple[SwapSpec, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError("expected a non-empty list of {source, target}", key="swaps")
    swaps = []
    for i, entry in enumerate(value):
        key = f"swaps[{i}]"
        swap = _mapping(entry, key, _SWAP_KEYS, required={"source"})
        source = swap["source"]
        if not isinstance(source, str) or source not in sources:
            raise SpecError(f"unknown source {shown(source)} (sources: {', '.join(sources)})",
                            key=f"{key}.source")
        target = _target(swap.get("target", "largest"), f"{key}.target", base)
        swaps.append(SwapSpec(source, target))
    return tuple(swaps)


def _output(value: Any, base: Path) -> OutputSpec:
    output = _mapping(value, "output", _OUTPUT_KEYS, required={"path", "qc"})
    matte = output.get("matte")
    qc = base / _string(output["qc"], "output.qc")
    cache = base / _string(output["cache"], "output.cache") if "cache" in output else qc / "cache"
    return OutputSpec(path=_sequence_path(output["path"], "output.path", base),
                      matte=_sequence_path(matte, "output.matte", base) if matte else None,
                      qc=qc, cache=cache, compression=_compression(output),
                      matte_channel=_matte_channel(output.get("matte_channel")),
                      pixel_type=_pixel_type(output.get("pixel_type")))


def _pixel_type(value: Any) -> str | None:
    """The output's sample type asked for by name (None: the plate's)."""
    if value is None:
        return None
    if value not in PIXEL_TYPES:
        raise SpecError(f"expected one of {', '.join(PIXEL_TYPES)}, got {shown(value)}",
                        key="output.pixel_type")
    return str(value)


def _compression(output: dict[str, Any]) -> str | None:
    """The compression name as given (lower case); whether OpenImageIO writes it is checked by
    the pre-flight, which writes a tiny test EXR."""
    if output.get("compression") is None:
        return None
    name = _string(output["compression"], "output.compression").strip().lower()
    if not str(output["path"]).lower().endswith(".exr"):
        raise SpecError("only EXR output takes a compression (other formats keep the "
                        "plate's)", key="output.compression")
    return name


def _matte_channel(value: Any) -> str | None:
    """``true`` means the default channel name, ``false``/absent no matte channel."""
    if value is None or value is False:
        return None
    if value is True:
        return DEFAULT_MATTE_CHANNEL
    return _string(value, "output.matte_channel").strip()


def _whole(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SpecError("expected a whole number of frames >= 0", key=key)
    return value


def _solve(value: Any) -> SolveSpec:
    solve = _mapping(value, "solve", _SOLVE_KEYS)
    defaults = SolveSpec()
    max_yaw = solve.get("max_yaw", defaults.max_yaw)
    if not isinstance(max_yaw, (int, float)) or isinstance(max_yaw, bool) or not 0 < max_yaw <= 180:
        raise SpecError("expected degrees in (0, 180]", key="solve.max_yaw")
    beyond = solve.get("beyond_yaw", defaults.beyond_yaw)
    if beyond not in ("pass", "hold"):
        raise SpecError("expected 'pass' or 'hold'", key="solve.beyond_yaw")
    return SolveSpec(smoothing=_whole(solve.get("smoothing", defaults.smoothing),
                                      "solve.smoothing"),
                     max_gap=_whole(solve.get("max_gap", defaults.max_gap), "solve.max_gap"),
                     max_yaw=float(max_yaw), beyond_yaw=beyond)


def _qc(value: Any) -> QCSpec:
    qc = _mapping(value, "qc", _QC_KEYS)
    values: dict[str, Any] = {}
    for name in sorted(_QC_KEYS - {"display", "view"}):
        if name in qc:
            number = qc[name]
            if not isinstance(number, (int, float)) or isinstance(number, bool):
                raise SpecError("expected a number", key=f"qc.{name}")
            values[name] = float(number)
    values.update({n: _string(qc[n], f"qc.{n}") for n in ("display", "view") if n in qc})
    return QCSpec(**values)
