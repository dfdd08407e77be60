"""Render-farm submission: one job per shot (analyse → solve → chunked render → report).

Backends are registered by name in :data:`BACKENDS` (``module:function``) and imported only
when chosen, so ``import faceplate.farm`` stays light.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Callable, Mapping

from faceplate.errors import SpecError

BACKENDS: Mapping[str, str] = MappingProxyType({
    "slurm": "faceplate.farm.slurm:submit",
})


def backend(name: str) -> Callable[..., object]:
    """The submit function of farm ``name``, imported on first use."""
    try:
        target = BACKENDS[name]
    except KeyError:
        raise SpecError(f"unknown farm {name!r}; known: {', '.join(sorted(BACKENDS))}",
                        key="--farm") from None
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)
