"""Which OCIO config a run uses: spec ``ocio:`` > ``$OCIO`` > a pinned built-in config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import PyOpenColorIO as ocio

from faceplate.errors import ColourError

#: The built-in config used when neither the spec nor $OCIO names one. Pinned, because
#: ``ocio://default`` changes meaning between OCIO releases, and v4.0.0 is the newest
#: one OpenImageIO's wheel (which embeds OCIO 2.5) also knows.
PINNED_CONFIG = "ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5"

ConfigOrigin = Literal["spec", "$OCIO", "pinned", "--ocio"]


@dataclass(frozen=True)
class ConfigChoice:
    """The config a run uses and why: ``origin`` is spec, $OCIO, pinned, or --ocio (doctor's
    command line)."""

    uri: str
    origin: ConfigOrigin


def choose_config(spec_ocio: str | None, environ: Mapping[str, str]) -> ConfigChoice:
    """Pick the config by precedence without loading it."""
    if spec_ocio:
        return ConfigChoice(spec_ocio, "spec")
    if environ.get("OCIO"):
        return ConfigChoice(environ["OCIO"], "$OCIO")
    return ConfigChoice(PINNED_CONFIG, "pinned")


def _builtin_names() -> set[str]:
    return {name for name, *_ in ocio.BuiltinConfigRegistry().getBuiltinConfigs()}


def load_config(choice: ConfigChoice) -> ocio.Config:
    """Load and validate a config.

    An unknown ``ocio://`` name is an error here, rather than the silent tiny
    fallback config some OCIO consumers substitute.

    Raises:
        ColourError: naming the config and where it came from.
    """
    where = f"OCIO config {choice.uri!r} (from {choice.origin})"
    if choice.uri.startswith("ocio://"):
        name = choice.uri[len("ocio://"):]
        if name not in _builtin_names() and name not in ("default", "cg-config-latest",
                                                         "studio-config-latest"):
            known = ", ".join(sorted(_builtin_names()))
            raise ColourError(f"unknown built-in {where}; built-in configs: {known}")
    elif not os.path.isfile(choice.uri):
        raise ColourError(f"{where}: file not found", path=choice.uri)
    try:
        config = ocio.Config.CreateFromFile(choice.uri)
        config.validate()
    except ocio.Exception as exc:
        raise ColourError(f"cannot load {where}: {exc}") from None
    return config


def resolve_config(spec_ocio: str | None,
                   environ: Mapping[str, str] | None = None) -> tuple[ocio.Config, ConfigChoice]:
    """Choose and load the config for a run (``environ`` defaults to ``os.environ``)."""
    choice = choose_config(spec_ocio, os.environ if environ is None else environ)
    return load_config(choice), choice
