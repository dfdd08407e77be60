"""The shot spec's YAML contract (version 1) as pydantic models: the one definition of its keys,
types, defaults and constraints. It validates a spec reporting every problem at once (each
naming its key), and :func:`json_schema` publishes it for editors (``faceplate spec schema``).

The sections whose values need no resolving (``solve``, ``qc``, ``models``, ``farm``) are the
runtime dataclasses themselves; the others are turned into
:class:`faceplate.spec.schema.ShotSpec`'s by :mod:`faceplate.spec.parse`, which resolves their
paths against the spec's folder.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)

from faceplate.errors import SpecError
from faceplate.frames import SequencePath, parse_frames
from faceplate.spec.farm_section import DeadlineOptions, LocalOptions, OpenCueOptions, SlurmOptions
from faceplate.spec.models_section import ModelsSpec
from faceplate.spec.schema import NonEmpty, QCSpec, SolveSpec
from faceplate.spec.validation import custom, says
from faceplate.spec.versions import SPEC_VERSION

SCHEMA_ID = "urn:faceplate:shot-spec:1"


def _sequence(value: str) -> str:
    try:
        SequencePath(value)
    except SpecError as exc:
        raise custom(exc.message) from None
    return value


def _frames(value: str | int) -> str | int:
    try:
        parse_frames(value)
    except SpecError as exc:
        raise custom(exc.message) from None
    return value


def _mapping_of_sources(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise custom("expected a mapping of source names to {images: [...]}")
    return value


def _list_of_swaps(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise custom("expected a non-empty list of {source, target}")
    return value


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value




#: A frame-numbered path: ``####`` (one digit each), ``%04d``, ``@@@@`` or ``$F4``.
Sequence = Annotated[NonEmpty, Field(description="a frame-numbered path: ####, %04d, @@@@, $F4"),
                     WrapValidator(lambda v, h: _sequence(h(v)))]
#: A colourspace name, alias or role of the OCIO config (empty: unset).
Colourspace = Annotated[NonEmpty | None, WrapValidator(lambda v, h: h(_empty_is_none(v)))]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlateSection(_Section):
    """The plate sequence."""

    path: Sequence = Field(description="the plate sequence, e.g. plates/sh010.####.exr")
    frames: Annotated[str | int, WrapValidator(lambda v, h: _frames(h(v)))] = Field(
        description="frame range: 1001-1048, 1001-1100x2, 1001,1003-1005")
    colorspace: Colourspace = Field(None, description="the plate's colourspace (OCIO name, "
                                                      "alias or role); default: the file's")


class SourceSection(_Section):
    """An identity: stills of one person."""

    images: Annotated[NonEmpty | Annotated[list[NonEmpty], Field(min_length=1)],
                      says("expected a list of image paths")] = Field(
        description="one or more stills of one person")
    colorspace: Colourspace = Field(None, description="the stills' colourspace")


class TrackTarget(_Section):
    track: int = Field(ge=0, strict=True, description="a track of tracks.json")


class ReferenceTarget(_Section):
    reference: NonEmpty = Field(description="an image of the face to replace")


class SwapSection(_Section):
    """One replacement."""

    @model_validator(mode="before")
    @classmethod
    def _track_number(cls, data: Any) -> Any:
        target = data.get("target") if isinstance(data, dict) else None
        if isinstance(target, dict) and "track" in target:
            track = target["track"]
            if not isinstance(track, int) or isinstance(track, bool) or track < 0:
                raise custom("expected a track number >= 0", subkey="target.track")
        return data

    source: NonEmpty = Field(description="a name from sources")
    target: Annotated[Literal["largest", "all"] | TrackTarget | ReferenceTarget,
                      says("expected 'largest', 'all', {track: N} or {reference: image}")] = \
        Field(
        "largest", description="which face: largest, all, {track: N} or {reference: image}")


class OutputSection(_Section):
    """Where results go."""

    path: Sequence = Field(description="the swapped frames; may not be the plate")
    matte: Annotated[Sequence | None, WrapValidator(lambda v, h: h(_empty_is_none(v)))] = \
        Field(None, description="a single-channel float EXR matte sequence")
    qc: NonEmpty = Field(description="folder for qc.json, index.html and frame records")
    cache: NonEmpty | None = Field(None, description="folder for the stage files "
                                                     "(default <qc>/cache)")
    compression: NonEmpty | None = Field(None, description="EXR compression of the outputs "
                                                           "(default: the plate's)")
    matte_channel: Annotated[bool | NonEmpty | None,
                             says("expected true, false or a channel name")] = Field(
        None, description="also write the matte as a channel (true or a name)")
    pixel_type: Annotated[Literal["uint8", "uint16", "half", "float"] | None,
                          says("expected one of uint8, uint16, half, float")] = Field(
        None, description="the outputs' sample type, asked for by name when it cannot hold "
                          "the plate's (default: the plate's)")

    @model_validator(mode="after")
    def _compression_needs_exr(self) -> OutputSection:
        if self.compression is not None and not self.path.lower().endswith(".exr"):
            raise custom("only EXR output takes a compression (other formats keep the "
                         "plate's)", key="output.compression")
        return self


class FarmSection(_Section):
    """Each farm's resource options (docs/farm.md); a plugin farm's section passes as is."""

    model_config = ConfigDict(extra="allow")
    local: LocalOptions | None = None
    slurm: SlurmOptions | None = None
    deadline: DeadlineOptions | None = None
    opencue: OpenCueOptions | None = None

    @model_validator(mode="after")
    def _plugin_farms_are_mappings(self) -> FarmSection:
        for name, value in (self.model_extra or {}).items():
            if not isinstance(value, dict):
                raise custom("expected a mapping of options", key=f"farm.{name}")
        return self


class ShotSection(_Section):
    """A faceplate shot spec (contract version 1). Relative paths resolve against the spec's
    folder."""

    model_config = ConfigDict(extra="forbid", title="faceplate shot spec")
    version: Literal[1] = Field(description="the spec contract's version")
    shot: NonEmpty = Field(description="shot name, recorded in QC and in output frames")
    plate: PlateSection
    ocio: NonEmpty | None = Field(None, description="OCIO config path or ocio:// URI; default "
                                                    "$OCIO, else faceplate's pinned config")
    sources: Annotated[dict[str, SourceSection], Field(min_length=1),
                       WrapValidator(lambda v, h: h(_mapping_of_sources(v)))] = Field(
        description="identities by name")
    swaps: Annotated[list[SwapSection], Field(min_length=1),
                     WrapValidator(lambda v, h: h(_list_of_swaps(v)))] = Field(
        description="which face gets which identity")
    output: OutputSection
    solve: SolveSpec = Field(default_factory=SolveSpec)
    qc: QCSpec = Field(default_factory=QCSpec)
    models: ModelsSpec = Field(default_factory=ModelsSpec)
    farm: FarmSection = Field(default_factory=FarmSection)

    @field_validator("models", "solve", "qc", "farm", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("swaps")
    @classmethod
    def _sources_exist(cls, swaps: list[SwapSection], info: ValidationInfo) -> Any:
        sources = info.data.get("sources")
        if sources is not None:
            for i, swap in enumerate(swaps):
                if swap.source not in sources:
                    raise custom(f"unknown source {swap.source!r} (sources: "
                                  f"{', '.join(sources)})", key=f"swaps[{i}].source")
        return swaps


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a shot spec, for editors and CI."""
    from pydantic import TypeAdapter
    schema = TypeAdapter(ShotSection).json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **schema, "description": f"faceplate shot spec, contract version {SPEC_VERSION}. "
                                     "Relative paths resolve against the spec's folder."}
