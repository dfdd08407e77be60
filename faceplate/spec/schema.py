"""The shot spec (``faceplate.shot`` contract) as typed, frozen values with every path absolute.

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

:mod:`faceplate.spec.parse` makes these from YAML; the YAML keys keep their spelling
(``colorspace``), and so do these fields, which mirror them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints
from pydantic.dataclasses import dataclass as section

from faceplate.frames import SequencePath
from faceplate.spec.models_section import ModelsSpec
from faceplate.spec.validation import says
from faceplate.spec.versions import SPEC_VERSION

TargetKind = Literal["largest", "reference", "track", "all"]
#: A string that is not empty or only spaces.
NonEmpty = Annotated[str, StringConstraints(pattern=r"\S"), says("expected a non-empty string")]
#: A number (an int or a float, not a bool or a string).
Number = Annotated[float, Field(strict=True), says("expected a number")]
_FRAMES = "expected a whole number of frames >= 0"
YawPolicy = Literal["pass", "hold"]
#: The matte channel's name when ``output.matte_channel`` is ``true``.
DEFAULT_MATTE_CHANNEL = "faceplate.matte"


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
    pixel_type: str | None = None  # the output's sample type asked for by name; None: the plate's


@section(frozen=True, config=ConfigDict(extra="forbid"))
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

    smoothing: Annotated[int, Field(ge=0, strict=True), says(_FRAMES)] = Field(
        default=9, description="landmark smoothing window in frames (0: off)")
    max_gap: Annotated[int, Field(ge=0, strict=True), says(_FRAMES)] = Field(
        default=2, description="longest run of frames without a face that is bridged")
    max_yaw: Annotated[float, Field(gt=0, le=180, strict=True),
                       says("expected degrees in (0, 180]")] = Field(
        default=60.0, description="faces turned further (degrees) are not swapped")
    beyond_yaw: Annotated[YawPolicy, says("expected 'pass' or 'hold'")] = Field(
        default="pass", description="pass through or hold beyond max_yaw")


@section(frozen=True, config=ConfigDict(extra="forbid"))
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
        max_highlight: flag a face whose 99th-percentile L* differs from the plate face's
            by more than this (a pasted highlight, or a face darker than its light).
        min_detail_ratio, max_detail_ratio: flag a face whose mean |Laplacian| over the
            plate face's lies outside these (softer or crisper than the plate).
        max_grain_difference: flag a face whose grain level over the plate's differs from 1
            by more than this.
        max_eye_difference, max_mouth_difference: flag a face whose eye (lid gap / eye
            width) or mouth (inner-lip gap / eye-corner width) opening differs from the
            plate's by more than these (the mesh refitted on each).
        max_hard_edge: flag a face whose L* gradient on the matte's soft edge exceeds the
            plate's by more than this (99th percentile, L* per pixel): a texture's hard edge.
        display, view: the OCIO display and view for review images (config defaults).
    """

    max_identity_distance: Number = Field(default=0.68,
                                          description="flag a face farther from its source")
    min_distance_to_original: Number = Field(default=0.3,
                                             description="flag a face this close to the plate's")
    min_score: Number = Field(default=0.0, description="flag a weaker detection")
    max_jitter: Number = Field(default=0.03,
                               description="flag landmarks this far off their path (x face size)")
    max_matte_change: Number = Field(default=0.25,
                                     description="flag a matte area change above this fraction")
    max_seam: Number = Field(default=12.0,
                             description="flag a colour difference (ΔE) at the matte edge above")
    max_highlight: Number = Field(default=3.0,
                                  description="flag a 99th-percentile L* difference above this")
    min_detail_ratio: Number = Field(default=0.8,
                                     description="flag a face softer than this × the plate's")
    max_detail_ratio: Number = Field(default=1.25,
                                     description="flag a face crisper than this × the plate's")
    max_grain_difference: Number = Field(default=0.2,
                                         description="flag a grain ratio this far from 1")
    max_eye_difference: Number = Field(default=0.06,
                                       description="flag an eye opening this far from the plate's")
    max_mouth_difference: Number = Field(default=0.04,
                                         description="flag a mouth opening this far from the "
                                                     "plate's")
    max_hard_edge: Number = Field(default=12.0,
                                  description="flag an edge gradient (L*/pixel) above this")
    display: NonEmpty | None = Field(default=None, description="OCIO display of review images")
    view: NonEmpty | None = Field(default=None, description="OCIO view of review images")


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
    farm: Mapping[str, Any] = field(default_factory=dict)
    spec_path: Path | None = None
    version: int = SPEC_VERSION
