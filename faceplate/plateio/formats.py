"""Which sample types each output file format holds as they are, so a plate is never written
into a format that silently drops its bit depth (half-float EXR into 8-bit PNG) unless the spec
asks for that type by name."""

from __future__ import annotations

from pathlib import Path

import OpenImageIO as oiio

from faceplate.errors import SpecError

#: Sample types each output format (by extension) keeps without losing precision. DPX keeps
#: 10- and 12-bit plates, which are read as uint16 and written back at their header's depth.
#: Types as OpenImageIO names them (``uint``: 32-bit).
HOLDS: dict[str, frozenset[str]] = {
    ".exr": frozenset({"half", "float", "uint"}),
    ".png": frozenset({"uint8", "uint16"}),
    ".tif": frozenset({"uint8", "uint16", "uint", "half", "float"}),
    ".tiff": frozenset({"uint8", "uint16", "uint", "half", "float"}),
    ".dpx": frozenset({"uint8", "uint16"}),
    ".jpg": frozenset({"uint8"}),
    ".jpeg": frozenset({"uint8"}),
}


def check_output_format(output: Path, plate_type: str | None, pixel_type: str | None, *,
                        key: str = "output.path") -> None:
    """Refuse an output format OpenImageIO cannot write, or one that cannot hold the plate's
    sample type ``plate_type`` (None: no frame readable to say) unless ``pixel_type`` names
    the type to write, which the format must hold.

    Raises:
        SpecError: naming ``key`` (or ``output.pixel_type``), the format and the types.
    """
    suffix = output.suffix.lower()
    if oiio.ImageOutput.create(f"probe{suffix}") is None:
        raise SpecError(f"OpenImageIO writes no {suffix or 'extensionless'} files", key=key)
    holds = HOLDS.get(suffix)
    if holds is None:
        return  # a format faceplate has no table for: OpenImageIO decides
    if pixel_type is not None:
        if pixel_type not in holds:
            raise SpecError(f"{suffix} files hold {', '.join(sorted(holds))}, not {pixel_type}",
                            key="output.pixel_type")
        return
    if plate_type is not None and plate_type not in holds:
        raise SpecError(f"{suffix} files cannot hold the plate's {plate_type} samples (they "
                        f"hold {', '.join(sorted(holds))}); write a format that can, or ask "
                        "for the conversion by name with output.pixel_type", key=key)
