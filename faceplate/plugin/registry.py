"""Plugins through entry points: farms (``faceplate.farms``) and hosts (``faceplate.hosts``).

faceplate registers its own plugins in its ``pyproject.toml``; a studio package adds its own
farm or host the same way, with no change here. Models are data, listed from the model
manifest (``faceplate models list``). Nothing is imported until it is loaded by name.
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib.util
from importlib import metadata

from faceplate.errors import SpecError

GROUPS = ("faceplate.farms", "faceplate.hosts")


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin and where it came from (distribution, version, location)."""

    group: str
    name: str
    target: str
    distribution: str
    version: str
    location: str


def _location(module: str) -> str:
    """The file a plugin's module would load from, found without running the module itself
    (its parent packages are imported)."""
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return "not importable"
    if found is None:
        return "not importable"
    return found.origin or ", ".join(found.submodule_search_locations or []) or "?"


def _origin(ep: metadata.EntryPoint) -> tuple[str, str, str]:
    dist = ep.dist
    name, version = (dist.metadata["Name"], dist.version) if dist is not None else ("?", "?")
    return name, version, _location(ep.module)


def discover(group: str) -> dict[str, metadata.EntryPoint]:
    """The entry points of ``group`` by name (none imported)."""
    return {ep.name: ep for ep in metadata.entry_points(group=group)}


def plugins(groups: tuple[str, ...] = GROUPS) -> list[PluginInfo]:
    """Every registered plugin of ``groups``, sorted by group and name."""
    found = []
    for group in groups:
        for name, ep in sorted(discover(group).items()):
            found.append(PluginInfo(group, name, ep.value, *_origin(ep)))
    return found


def load(group: str, name: str, *, key: str | None = None) -> object:
    """Import and return the plugin ``name`` of ``group``.

    Raises:
        SpecError: no plugin of that name (naming ``key``, the option or spec key that chose it).
    """
    found = discover(group)
    if name not in found:
        known = ", ".join(sorted(found)) or "none installed"
        raise SpecError(f"unknown {group.rsplit('.', 1)[-1][:-1]} {name!r}; known: {known}",
                        key=key)
    return found[name].load()
