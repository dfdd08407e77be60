"""The shot spec (``faceplate.shot`` contract version 1): loading and validation.

A spec is YAML::

    version: 1
    shot: sh010
    plate: {path: plates/sh010.####.exr, frames: 1001-1048, colorspace: ACEScg}
    ocio: ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5   # optional
    sources:
      actor_a: {images: [refs/actor_a.jpg], colorspace: sRGB Encoded Rec.709 (sRGB)}
    swaps:
      - {source: actor_a, target: largest}
    output: {path: out/sh010_fp.####.exr, matte: out/sh010_fp_matte.####.exr, qc: out/qc}

Relative paths resolve against the spec's folder. Loading checks structure and
files only; colourspace names are checked against the OCIO config by
:func:`faceplate.ocio.check_spec_colourspaces` before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

from faceplate.errors import SpecError
from faceplate.pipeline.models_spec import ModelsSpec, parse_models
from faceplate.plateio.sequence import SequencePath, parse_frames

SPEC_VERSION = 1
TargetKind = Literal["largest", "reference", "track", "all"]
YawPolicy = Literal["pass", "hold"]

_TOP_KEYS = {"version", "shot", "plate", "ocio", "sources", "swaps", "output", "solve", "qc",
             "models"}
_PLATE_KEYS = {"path", "frames", "colorspace"}
_SOURCE_KEYS = {"images", "colorspace"}
_SWAP_KEYS = {"source", "target"}
_OUTPUT_KEYS = {"path", "matte", "qc", "cache", "compression", "matte_channel"}
_SOLVE_KEYS = {"smoothing", "max_gap", "max_yaw", "beyond_yaw"}
_QC_KEYS = {"max_identity_distance", "min_distance_to_original", "min_score", "max_jitter",
            "max_matte_change", "max_seam", "display", "view"}


@dataclass(frozen=True)
class PlateSpec:
    """The plate sequence: where it is, which frames, and its colourspace (None: from the file)."""

    path: SequencePath
    frames: tuple[int, ...]
    colorspace: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    """An identity to put on the plate: one or more images of one person."""

    name: str
    images: tuple[Path, ...]
    colorspace: str | None = None


@dataclass(frozen=True)
class TargetSpec:
    """Which face on the plate a swap replaces."""

    kind: TargetKind
    reference: Path | None = None
    track: int | None = None


@dataclass(frozen=True)
class SwapSpec:
    """One replacement: the faces picked by ``target`` get the identity ``source``."""

    source: str
    target: TargetSpec


@dataclass(frozen=True)
class OutputSpec:
    """Where the swapped frames, mattes, QC report and stage caches go."""

    path: SequencePath
    matte: SequencePath | None
    qc: Path
    cache: Path
    compression: str | None = None  # EXR compression of the output; None keeps the plate's
    matte_channel: str | None = None  # the matte as a channel of the output frame, if set


@dataclass(frozen=True)
class SolveSpec:
    """Whole-shot solve settings.

    Attributes:
        smoothing: landmark smoothing window in frames (0: off); colour smooths over twice it.
        max_gap: longest run of frames without any detection (weak ones included) that is
            bridged by interpolation; longer gaps pass through and are flagged ``no_face``.
        max_yaw: faces turned further than this (degrees) are not swapped ...
        beyond_yaw: ... but passed through (``pass``) or given the nearest valid frame's
            alignment (``hold``); either way the frames are flagged.
    """

    smoothing: int = 9
    max_gap: int = 2
    max_yaw: float = 60.0
    beyond_yaw: YawPolicy = "pass"


@dataclass(frozen=True)
class QCSpec:
    """QC thresholds (each flag names its value and threshold) and the review display.

    Attributes:
        max_identity_distance: flag a face whose output is farther than this from its
            source (dlib descriptor distance; below 0.6 dlib calls two faces one person,
            different people measure 0.63-0.90).
        min_distance_to_original: flag a face whose output is still this close to the
            plate's original face (the swap did not take).
        min_score: flag a detection scoring below this (weak detections score below 0).
        max_jitter: flag landmarks sitting this far (× face size) off the line between
            their neighbouring frames' positions after the solve.
        max_matte_change: flag a matte whose area changes by more than this fraction
            from the previous frame.
        max_seam: flag a mean colour difference (CIE76 ΔE, working space) between result
            and plate just inside the matte edge above this.
        display, view: the OCIO display and view for review images (config defaults).
    """

    max_identity_distance: float = 0.68
    min_distance_to_original: float = 0.3
    min_score: float = 0.0
    max_jitter: float = 0.03
    max_matte_change: float = 0.25
    max_seam: float = 12.0
    display: str | None = None
    view: str | None = None


@dataclass(frozen=True)
class ShotSpec:
    """A validated shot spec with every path absolute."""

    shot: str
    plate: PlateSpec
    sources: Mapping[str, SourceSpec]
    swaps: tuple[SwapSpec, ...]
    output: OutputSpec
    ocio: str | None = None
    solve: SolveSpec = field(default_factory=SolveSpec)
    qc: QCSpec = field(default_factory=QCSpec)
    models: ModelsSpec = field(default_factory=ModelsSpec)
    spec_path: Path | None = None
    version: int = SPEC_VERSION


def load_spec(path: str | os.PathLike[str]) -> ShotSpec:
    """Read and validate a shot spec file.

    Raises:
        SpecError: naming the offending key or file.
    """
    spec_path = Path(path).absolute()
    try:
        data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("shot spec not found", path=spec_path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read shot spec: {exc}", path=spec_path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"not valid YAML{where}", path=spec_path) from None
    return spec_from_dict(data, base=spec_path.parent, spec_path=spec_path)


def spec_from_dict(data: Any, *, base: Path, spec_path: Path | None = None) -> ShotSpec:
    """Validate a spec given as plain data; relative paths resolve against ``base``."""
    top = _mapping(data, "(top level)", _TOP_KEYS, required={"version", "shot", "plate",
                                                             "sources", "swaps", "output"})
    version = top["version"]
    if version != SPEC_VERSION:
        raise SpecError(f"unsupported spec version {version!r} (this faceplate reads {SPEC_VERSION})",
                        key="version")
    shot = _string(top["shot"], "shot")
    plate = _plate(top["plate"], base)
    sources = _sources(top["sources"], base)
    swaps = _swaps(top["swaps"], sources, base)
    output = _output(top["output"], base)
    ocio_config = _string(top["ocio"], "ocio") if top.get("ocio") is not None else None
    solve = _solve(top.get("solve", {}))
    qc = _qc(top.get("qc", {}))
    models = parse_models(top.get("models"), base)
    spec = ShotSpec(shot=shot, plate=plate, sources=sources, swaps=swaps, output=output,
                    ocio=ocio_config, solve=solve, qc=qc, models=models, spec_path=spec_path)
    _check_outputs_spare_plate(spec)
    return spec


def _mapping(value: Any, key: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
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


def _existing_file(value: Any, key: str, base: Path) -> Path:
    path = base / _string(value, key)
    if not path.is_file():
        raise SpecError(f"file not found: {path}", key=key, path=path)
    return path


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
        paths = tuple(_existing_file(img, f"{key}.images[{i}]", base)
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
        return TargetSpec("reference", _existing_file(target["reference"], f"{key}.reference", base))
    raise SpecError("expected 'largest', 'all', {track: N} or {reference: image}", key=key)


def _swaps(value: Any, sources: Mapping[str, SourceSpec], base: Path) -> tuple[SwapSpec, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError("expected a non-empty list of {source, target}", key="swaps")
    swaps = []
    for i, entry in enumerate(value):
        key = f"swaps[{i}]"
        swap = _mapping(entry, key, _SWAP_KEYS, required={"source"})
        source = str(swap["source"])
        if source not in sources:
            raise SpecError(f"unknown source {source!r} (sources: {', '.join(sources)})",
                            key=f"{key}.source")
        swaps.append(SwapSpec(source, _target(swap.get("target", "largest"), f"{key}.target", base)))
    return tuple(swaps)


def _output(value: Any, base: Path) -> OutputSpec:
    output = _mapping(value, "output", _OUTPUT_KEYS, required={"path", "qc"})
    matte = output.get("matte")
    qc = base / _string(output["qc"], "output.qc")
    cache = base / _string(output["cache"], "output.cache") if "cache" in output else qc / "cache"
    return OutputSpec(path=_sequence_path(output["path"], "output.path", base),
                      matte=_sequence_path(matte, "output.matte", base) if matte else None,
                      qc=qc, cache=cache, compression=_compression(output),
                      matte_channel=_matte_channel(output.get("matte_channel")))


def _compression(output: dict[str, Any]) -> str | None:
    if output.get("compression") is None:
        return None
    name = _string(output["compression"], "output.compression").strip().lower()
    if not str(output["path"]).lower().endswith(".exr"):
        raise SpecError("only EXR output takes a compression (other formats keep the "
                        "plate's)", key="output.compression")
    from faceplate.plateio.compression import check_compression
    return check_compression(name)


def _matte_channel(value: Any) -> str | None:
    """``true`` means the default channel name, ``false``/absent no matte channel."""
    if value is None or value is False:
        return None
    if value is True:
        from faceplate.plateio.output import DEFAULT_MATTE_CHANNEL
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
    return SolveSpec(smoothing=_whole(solve.get("smoothing", defaults.smoothing), "solve.smoothing"),
                     max_gap=_whole(solve.get("max_gap", defaults.max_gap), "solve.max_gap"),
                     max_yaw=float(max_yaw), beyond_yaw=beyond)


def _qc(value: Any) -> QCSpec:
    qc = _mapping(value, "qc", _QC_KEYS)
    numbers = {}
    for name in sorted(_QC_KEYS - {"display", "view"}):
        if name in qc:
            number = qc[name]
            if not isinstance(number, (int, float)) or isinstance(number, bool):
                raise SpecError("expected a number", key=f"qc.{name}")
            numbers[name] = float(number)
    names = {n: _string(qc[n], f"qc.{n}") for n in ("display", "view") if n in qc}
    return QCSpec(**numbers, **names)


def _check_outputs_spare_plate(spec: ShotSpec) -> None:
    """Refuse a spec whose output or matte would overwrite a plate frame or each other."""
    written = {"output.path": spec.output.path}
    if spec.output.matte is not None:
        written["output.matte"] = spec.output.matte
    frame = spec.plate.frames[0]
    plate_file = os.path.normpath(spec.plate.path.frame(frame))
    seen: dict[str, str] = {}
    for key, seq in written.items():
        target = os.path.normpath(seq.frame(frame))
        if target == plate_file:
            raise SpecError(f"would overwrite the plate {plate_file}", key=key)
        if target in seen:
            raise SpecError(f"same file as {seen[target]}", key=key)
        seen[target] = key
