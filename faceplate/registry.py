"""Plugins by group and name: farms (``faceplate.farms``) and hosts (``faceplate.hosts``).

Where plugins come from, in order of precedence (the first one naming a plugin wins):

1. Plugin files on ``$FACEPLATE_PLUGIN_PATH`` (``os.pathsep``-separated, first file first): JSON
   mapping a group to ``{name: "module:attribute"}``, e.g.
   ``{"faceplate.farms": {"tractor": "studio_tractor.farm:submit"}}``. A missing or unreadable
   file is an error naming it. An empty variable means no plugin files.
2. Entry points of the group that other installed distributions register, unless
   ``$FACEPLATE_DISABLE_ENTRYPOINT_PLUGINS`` is set to anything but an empty string.
3. faceplate's own plugins, registered as entry points in its ``pyproject.toml``; the switch
   above leaves these on, so a studio can run with nothing but faceplate and its plugin files.

Nothing is imported until a plugin is loaded by name. Models are data, listed from the model
manifest (``faceplate models list``), not plugins.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from faceplate.errors import SpecError

GROUPS = ("faceplate.farms", "faceplate.hosts")
#: Plugin files, searched first.
PATH_VARIABLE = "FACEPLATE_PLUGIN_PATH"
#: Set to skip the entry points of distributions other than faceplate.
DISABLE_VARIABLE = "FACEPLATE_DISABLE_ENTRYPOINT_PLUGINS"
#: The distribution whose entry points are built in.
BUILT_IN = "faceplate"


@dataclass(frozen=True)
class PluginInfo:
    """One plugin and where it came from: ``origin`` is ``plugin file``, ``entry point`` or
    ``built in``; ``distribution`` and ``version`` name the package (for a plugin file, the file
    and ``-``); ``location`` is the file its module would load from."""

    group: str
    name: str
    target: str
    distribution: str
    version: str
    location: str
    origin: str


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


def _module(target: str) -> str:
    return target.partition(":")[0].strip()


def _from_files(group: str, environ: Mapping[str, str]) -> dict[str, PluginInfo]:
    found: dict[str, PluginInfo] = {}
    for text in environ.get(PATH_VARIABLE, "").split(os.pathsep):
        if not text:
            continue
        path = Path(text)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecError(f"unreadable plugin file: {exc}", key=PATH_VARIABLE,
                            path=path) from None
        plugins = data.get(group, {}) if isinstance(data, dict) else None
        if not isinstance(plugins, dict):
            raise SpecError(f"expected {{group: {{name: 'module:attribute'}}}} in {path}",
                            key=PATH_VARIABLE, path=path)
        for name, target in plugins.items():
            if name not in found:
                found[name] = PluginInfo(group, name, str(target), str(path), "-",
                                         _location(_module(str(target))), "plugin file")
    return found


def _from_entry_points(group: str, environ: Mapping[str, str]) -> tuple[dict[str, PluginInfo],
                                                                        dict[str, PluginInfo]]:
    """(other distributions' entry points, faceplate's own), by name."""
    others: dict[str, PluginInfo] = {}
    built_in: dict[str, PluginInfo] = {}
    disabled = bool(environ.get(DISABLE_VARIABLE))
    for ep in metadata.entry_points(group=group):
        dist = ep.dist
        name, version = (dist.metadata["Name"], dist.version) if dist is not None else ("?", "?")
        own = name == BUILT_IN
        if disabled and not own:
            continue
        info = PluginInfo(group, ep.name, ep.value, name, version, _location(ep.module),
                          "built in" if own else "entry point")
        (built_in if own else others).setdefault(ep.name, info)
    return others, built_in


def discover(group: str, environ: Mapping[str, str] | None = None) -> dict[str, PluginInfo]:
    """The plugins of ``group`` by name, the one with precedence for each (none imported)."""
    env = os.environ if environ is None else environ
    others, built_in = _from_entry_points(group, env)
    return {**built_in, **others, **_from_files(group, env)}


def plugins(groups: tuple[str, ...] = GROUPS,
            environ: Mapping[str, str] | None = None) -> list[PluginInfo]:
    """Every plugin of ``groups`` that would load, sorted by group and name."""
    return [info for group in groups for _, info in sorted(discover(group, environ).items())]


def load(group: str, name: str, *, key: str | None = None,
         environ: Mapping[str, str] | None = None) -> object:
    """Import and return the plugin ``name`` of ``group``.

    Raises:
        SpecError: no plugin of that name, or its target does not import (naming ``key``, the
            option or spec key that chose it).
    """
    found = discover(group, environ)
    if name not in found:
        known = ", ".join(sorted(found)) or "none installed"
        raise SpecError(f"unknown {group.rpartition('.')[2][:-1]} {name!r}; known: {known}",
                        key=key)
    module, _, attribute = found[name].target.partition(":")
    try:
        loaded: object = importlib.import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            loaded = getattr(loaded, part)
    except (ImportError, AttributeError) as exc:
        raise SpecError(f"plugin {name!r} ({found[name].target}) does not load: {exc}",
                        key=key) from None
    return loaded
