"""A farm's resource options for one submission, resolved once from where a studio sets them.

Precedence, highest first: the command line (``faceplate submit -o KEY=VALUE``), the spec's
``farm:`` section, the environment (OpenCue's show: ``$CUE_SHOW``, then ``$SHOW``), the studio's
``faceplate.yaml`` (``farm:`` section; ``$FACEPLATE_CONFIG`` or the user config folder). Each
source is checked against the farm's options (:mod:`faceplate.spec.farm_section`), with errors
naming the source's key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from faceplate.errors import SpecError, raise_spec_errors
from faceplate.models.policy import config_path
from faceplate.spec import ShotSpec
from faceplate.spec.farm_section import FARM_OPTIONS, given
from faceplate.spec.validation import validate

#: Environment variables naming an option, by farm, first found wins.
ENVIRONMENT = {"opencue": {"show": ("CUE_SHOW", "SHOW")}}


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """``["partition=gpu", ...]`` as a mapping.

    Raises:
        SpecError: an assignment without ``=`` (key ``-o``).
    """
    values: dict[str, str] = {}
    errors = []
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            errors.append(SpecError(f"expected KEY=VALUE, got {text!r}", key="-o"))
            continue
        values[key.strip()] = value.strip()
    raise_spec_errors(errors)
    return values


def studio_farm_section(path: Path | None = None) -> tuple[dict[str, Any], Path]:
    """The ``farm:`` section of the studio's ``faceplate.yaml`` (empty when there is none).

    Raises:
        SpecError: the file is unreadable or its section is not a mapping of farms.
    """
    path = config_path() if path is None else path
    if not path.is_file():
        return {}, path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"unreadable studio config: {exc}".splitlines()[0], path=path) from None
    section = data.get("farm") if isinstance(data, dict) else None
    if section is None:
        return {}, path
    if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
        raise SpecError("expected a mapping of farm names to options", key="farm", path=path)
    return section, path


def resolve_options(farm: str, spec: ShotSpec, assignments: Sequence[str] = (), *,
                    environ: Mapping[str, str] | None = None,
                    config: Path | None = None) -> Any:
    """The options of ``farm`` for ``spec``: an options dataclass for the farms faceplate
    ships, a plain mapping for a plugin farm.

    Raises:
        SpecError: a bad option in any source, naming its key (``-o cpus``,
            ``farm.slurm.time`` in the studio file...).
    """
    env = os.environ if environ is None else environ
    cls = FARM_OPTIONS.get(farm)
    studio, studio_path = studio_farm_section(config)
    layers: list[dict[str, Any]] = []
    raw_studio = studio.get(farm) or {}
    layers.append(given(validate(cls, raw_studio, f"farm.{farm}", path=studio_path))
                  if cls is not None else dict(raw_studio))
    for option, names in ENVIRONMENT.get(farm, {}).items():
        name = next((n for n in names if env.get(n)), None)
        if name is not None and cls is not None:
            try:
                layers.append(given(validate(cls, {option: env[name]})))
            except SpecError as exc:
                raise SpecError(exc.message.split(": ", 1)[-1], key=f"${name}") from None
    layers.append(given(spec.farm.get(farm) or {}))
    cli = parse_assignments(assignments)
    if cls is not None:
        errors: list[SpecError] = []
        for key, value in cli.items():
            try:
                validate(cls, {key: value}, "-o ")
            except SpecError as exc:
                errors.extend(getattr(exc, "errors", (exc,)))
        raise_spec_errors(errors)
        layers.append(given(validate(cls, cli, "-o ")))
    else:
        layers.append(cli)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    return validate(cls, merged, f"farm.{farm}") if cls is not None else merged
