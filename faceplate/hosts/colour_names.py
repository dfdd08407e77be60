"""The hosts' own colourspace names as OCIO names of faceplate's pinned config
(``ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5``), for hosts that do not manage colour with
that config: Nuke in its ``nuke-default`` colour management, and DaVinci Resolve's colour-managed
``Input Color Space``. Only names with an exact equivalent are mapped (docs/hosts.md shows both
tables); the tests check every target is a colourspace of the pinned config.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from faceplate.errors import SpecError

#: Nuke's nuke-default config: one transfer curve each, on Rec.709/sRGB primaries.
NUKE_DEFAULT: Mapping[str, str] = MappingProxyType({
    "linear": "Linear Rec.709 (sRGB)",
    "sRGB": "sRGB Encoded Rec.709 (sRGB)",
    "rec709": "Camera Rec.709",  # the Rec.709 camera (OETF) curve
    "Gamma1.8": "Gamma 1.8 Encoded Rec.709",
    "Gamma2.2": "Gamma 2.2 Encoded Rec.709",
    "Gamma2.4": "Gamma 2.4 Encoded Rec.709",
    "raw": "Raw",
})

#: Resolve's Input Color Space names (DaVinci YRGB Color Managed and ACES projects).
RESOLVE: Mapping[str, str] = MappingProxyType({
    "Rec.709 Gamma 2.4": "Gamma 2.4 Encoded Rec.709",
    "Rec.709 Gamma 2.2": "Gamma 2.2 Encoded Rec.709",
    "Rec.709 (Scene)": "Camera Rec.709",
    "sRGB": "sRGB Encoded Rec.709 (sRGB)",
    "Linear": "Linear Rec.709 (sRGB)",
    "Rec.2020 Linear": "Linear Rec.2020",
    "P3-D65 Linear": "Linear P3-D65",
    "ACEScg": "ACEScg",
    "ACES2065-1": "ACES2065-1",
    "ACEScct": "ACEScct",
    "ACEScc": "ACEScc",
    "ARRI LogC3": "ARRI LogC3 (EI800)",
    "ARRI LogC4": "ARRI LogC4",
    "Sony S-Gamut3.Cine/S-Log3": "S-Log3 S-Gamut3.Cine",
    "Sony S-Gamut3/S-Log3": "S-Log3 S-Gamut3",
    "Panasonic V-Gamut/V-Log": "V-Log V-Gamut",
    "RED Wide Gamut RGB/Log3G10": "Log3G10 REDWideGamutRGB",
    "DaVinci Wide Gamut/DaVinci Intermediate": "DaVinci Intermediate WideGamut",
    "Apple Log": "Apple Log",
})


def from_table(name: str, table: Mapping[str, str], *, strict: bool, host: str,
               key: str) -> str:
    """``name`` as the pinned config calls it. A name the table does not hold passes through
    (it may be an OCIO name already: the pre-flight checks it) unless ``strict``.

    Raises:
        SpecError: ``strict`` and ``name`` has no equivalent (naming ``key``).
    """
    if name in table:
        return table[name]
    lowered = {k.lower(): v for k, v in table.items()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    if strict:
        raise SpecError(f"{host} colourspace {name!r} has no equivalent in faceplate's OCIO "
                        f"config (mapped: {', '.join(table)}); use an OCIO config in {host}",
                        key=key)
    return name
