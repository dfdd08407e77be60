"""Colour management through PyOpenColorIO: config resolution, cached conversions and review
displays. Knows nothing of the shot spec: callers pass names and the keys to blame."""

from faceplate.ocio.colour import ColourManager
from faceplate.ocio.config import PINNED_CONFIG, ConfigChoice, resolve_config

__all__ = ["PINNED_CONFIG", "ColourManager", "ConfigChoice", "resolve_config"]
