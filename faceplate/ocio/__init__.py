"""Colour management through PyOpenColorIO: config resolution and cached conversions."""

from faceplate.ocio.config import PINNED_CONFIG, ConfigChoice, resolve_config
from faceplate.ocio.colour import ColourManager, check_spec_colourspaces

__all__ = ["PINNED_CONFIG", "ConfigChoice", "resolve_config", "ColourManager",
           "check_spec_colourspaces"]
