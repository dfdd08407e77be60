"""Pre-flight: everything a shot resolves before anything is written, resolved once.

The plate's colourspace (its canonical OCIO name), the review display and view, the output
compression and the shot's models are checked here and kept in a frozen :class:`Preflight` that
every stage is given, so no stage derives them again (and cache keys use the canonical names).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from faceplate.errors import PlateError, SpecError
from faceplate.ocio import ColourManager
from faceplate.ocio.display import resolve_display_view
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.shot_models import ShotModels, resolve_models
from faceplate.pipeline.targets import check_write_targets
from faceplate.plateio.compression import check_compression
from faceplate.plateio.formats import check_output_format
from faceplate.plateio.frame import FrameHeader, read_header
from faceplate.plateio.limits import FrameLimits
from faceplate.spec import ShotSpec, check_inputs


@dataclass(frozen=True)
class Preflight:
    """What a shot resolved before it ran.

    Attributes:
        plate_colourspace: the plate's colourspace, canonical: the spec's, else the header's
            (or the config's file rules) of the first readable frame; None only when no plate
            frame can be read (every frame is then recorded missing or unreadable).
        display, view: the OCIO display and view of review images (the config's defaults
            when the spec names none).
        compression: the output's EXR compression, checked against OpenImageIO (None: the
            plate's).
        source_colourspaces: each source's declared colourspace, canonical (None: its images
            say, or the working space).
        models: what finds and swaps faces; None when resolved for a stage that runs no model
            (the report).
        frame_limits: what a frame's header may declare before it is decoded: the first
            readable frame's display window, a share of the memory available at pre-flight.
    """

    plate_colourspace: str | None
    display: str
    view: str
    compression: str | None
    models: ShotModels | None
    source_colourspaces: Mapping[str, str | None] = field(default_factory=dict)
    frame_limits: FrameLimits = field(default_factory=lambda: FrameLimits.for_plate(None))

    def shot_models(self) -> ShotModels:
        """The shot's models (a stage that runs them is given a pre-flight that has them)."""
        if self.models is None:
            raise RuntimeError("pre-flight made without models for a stage that runs them")
        return self.models

    def plate_space(self) -> str:
        """The plate's colourspace, for a stage that has a readable frame in hand.

        Raises:
            PlateError: no plate frame was readable at pre-flight.
        """
        if self.plate_colourspace is None:
            raise PlateError("plate colourspace unknown: no plate frame could be read")
        return self.plate_colourspace


def check_spec_colourspaces(spec: ShotSpec, colour: ColourManager) -> str | None:
    """Check every colourspace the spec names exists in the config; returns the plate's
    canonical name (None when the spec leaves it to the files).

    Raises:
        ColourError: naming the spec key and the closest valid names.
    """
    source_colourspaces(spec, colour)
    return (colour.canonical(spec.plate.colorspace, key="plate.colorspace")
            if spec.plate.colorspace else None)


def source_colourspaces(spec: ShotSpec, colour: ColourManager) -> dict[str, str | None]:
    """Each source's declared colourspace, canonical (None where it declares none).

    Raises:
        ColourError: naming the spec key and the closest valid names.
    """
    return {name: colour.canonical(source.colorspace, key=f"sources.{name}.colorspace")
            if source.colorspace else None for name, source in spec.sources.items()}


def first_header(spec: ShotSpec) -> FrameHeader | None:
    """The header of the plate's first readable frame (None: no frame is readable; each is
    then recorded missing or unreadable by the stages)."""
    for frame in spec.plate.frames:
        try:
            return read_header(spec.plate.path.frame(frame), frame)
        except PlateError:
            continue
    return None


def plate_colourspace(spec: ShotSpec, colour: ColourManager,
                      header: FrameHeader | None) -> str | None:
    """The plate's canonical colourspace: the spec's, else what ``header``, the first
    readable frame's (:func:`first_header`), or the config's file rules say; None when no
    frame is readable (``header`` None).

    Raises:
        PlateError: a readable frame says nothing and the spec names none.
    """
    declared = check_spec_colourspaces(spec, colour)
    if declared is not None:
        return declared
    if header is None:
        return None
    found = colour.colourspace_from_header(header.attributes, str(header.path))
    if not found:
        raise PlateError("plate colourspace unknown: set plate.colorspace in the spec",
                         path=header.path, frame=header.frame)
    return found


def check_plate_fits_output(spec: ShotSpec, header: FrameHeader | None) -> None:
    """Refuse an output that cannot hold the plate: a format without the plate's bit depth
    (unless ``output.pixel_type`` asks for one by name), a matte channel the plate has.

    Raises:
        SpecError: naming the key.
    """
    check_output_format(spec.output.path.frame(spec.plate.frames[0]),
                        header.sample_type if header else None, spec.output.pixel_type)
    channel = spec.output.matte_channel
    if header is not None and channel is not None and channel in header.channels:
        raise SpecError(f"{channel!r} is already a channel of the plate (frame {header.frame}: "
                        f"{', '.join(header.channels)}); name another", key="output.matte_channel")


def preflight(spec: ShotSpec, ctx: RunContext, *, models: bool = True,
              load_models: bool = True) -> Preflight:
    """Check and resolve everything that can fail on bad input before a file is written.

    ``models`` False leaves the models unresolved (for the report, which runs none);
    ``load_models`` False resolves them without loading them (for the solve, which names them
    and runs one only to identify a reference image: each is checked as it loads).

    Raises:
        SpecError, ColourError, PlateError, ModelError: naming the key, file or frame.
    """
    check_inputs(spec)
    check_write_targets(spec)
    compression = (check_compression(spec.output.compression)
                   if spec.output.compression is not None else None)
    header = first_header(spec)
    check_plate_fits_output(spec, header)
    plate = plate_colourspace(spec, ctx.colour, header)
    display, view = resolve_display_view(ctx.colour, spec.qc.display, spec.qc.view,
                                         keys=("qc.display", "qc.view"))
    resolved = (resolve_models(spec.models, ctx.face_pack, load=load_models) if models
                else None)
    limits = FrameLimits.for_plate(header.display if header else None)
    return Preflight(plate, display, view, compression, resolved,
                     source_colourspaces(spec, ctx.colour), limits)
