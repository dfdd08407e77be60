"""Reviewer overrides (``overrides.yaml`` beside the spec, schema ``faceplate.overrides/1``):
per frame range, skip the swap, hold another frame's alignment, or change a parameter.

The solve applies them, so every render of those frames, in any process, sees them::

    schema: faceplate.overrides/1
    overrides:
      - {frames: 1012-1015, skip: true}
      - {frames: 1020, hold: 1019}
      - {frames: 1030-1032, set: {feather: 0.1}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from faceplate.errors import SpecError
from faceplate.frames import format_frames, outside, parse_frames, shown
from faceplate.spec.yamlfile import load_yaml
from faceplate.written import write_bytes

SCHEMA = "faceplate.overrides/1"
Action = Literal["skip", "hold", "set"]

#: Parameters a reviewer may change per frame range, with their valid ranges.
SETTABLE: dict[str, tuple[float, float]] = {
    "identity_amount": (0.0, 1.0),
    "feather": (0.0, 1.0),
    "erode": (0.0, 0.5),
    "blend_softness": (0.0, 1.0),
}


@dataclass(frozen=True)
class Override:
    """One reviewer decision over a frame range."""

    frames: tuple[int, ...]
    action: Action
    hold: int | None = None
    values: dict[str, float] = field(default_factory=dict)

    def as_yaml(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"frames": format_frames(list(self.frames))}
        if self.action == "skip":
            entry["skip"] = True
        elif self.action == "hold":
            entry["hold"] = self.hold
        else:
            entry["set"] = dict(self.values)
        return entry


def overrides_path(spec_path: Path | None) -> Path | None:
    """``overrides.yaml`` beside the spec (None for a spec built in code)."""
    return spec_path.parent / "overrides.yaml" if spec_path is not None else None


def parse_set(assignments: list[str]) -> dict[str, float]:
    """``["feather=0.1", ...]`` as validated values.

    Raises:
        SpecError: an unknown key or a value out of range.
    """
    values = {}
    for text in assignments:
        key, sep, raw = text.partition("=")
        if not sep:
            raise SpecError(f"expected key=value, got {shown(text)}", key="--set")
        values[key.strip()] = raw.strip()
    return _values(values, "--set")


def _values(raw: Any, key: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise SpecError("expected a mapping of parameter: value", key=key)
    values = {}
    for name, value in raw.items():
        if name not in SETTABLE:
            raise SpecError(f"unknown parameter (settable: {', '.join(sorted(SETTABLE))})",
                            key=f"{key}.{name}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SpecError(f"expected a number, got {shown(value)}", key=f"{key}.{name}") from None
        low, high = SETTABLE[name]
        if not low <= number <= high:
            raise SpecError(f"{number:g} is outside {low:g}..{high:g}", key=f"{key}.{name}")
        values[name] = number
    return values


def _entry(raw: Any, key: str, plate_frames: set[int]) -> Override:
    if not isinstance(raw, dict):
        raise SpecError("expected a mapping", key=key)
    unknown = set(raw) - {"frames", "skip", "hold", "set"}
    if unknown:
        raise SpecError("unknown key (allowed: frames, hold, set, skip)",
                        key=f"{key}.{sorted(unknown)[0]}")
    actions = [a for a in ("skip", "hold", "set") if a in raw]
    if len(actions) != 1:
        raise SpecError("expected exactly one of skip, hold, set", key=key)
    try:
        frames = parse_frames(raw.get("frames", ""))
    except SpecError as exc:
        raise SpecError(exc.message, key=f"{key}.frames") from None
    beyond = outside(frames, plate_frames)
    if beyond:
        raise SpecError(f"frames {format_frames(beyond)} are outside the plate range",
                        key=f"{key}.frames")
    action = actions[0]
    if action == "skip":
        if raw["skip"] is not True:
            raise SpecError("expected true", key=f"{key}.skip")
        return Override(tuple(frames), "skip")
    if action == "hold":
        hold = raw["hold"]
        if not isinstance(hold, int) or isinstance(hold, bool) or hold not in plate_frames:
            raise SpecError(f"expected a frame of the plate, got {shown(hold)}", key=f"{key}.hold")
        return Override(tuple(frames), "hold", hold=hold)
    return Override(tuple(frames), "set", values=_values(raw["set"], f"{key}.set"))


def load_overrides(path: Path | None, plate_frames: tuple[int, ...]) -> list[Override]:
    """The overrides in ``path`` (none if there is no such file).

    Raises:
        SpecError: naming the entry and key, with the file's path.
    """
    if path is None or not path.exists():
        return []
    try:
        data = load_yaml(path, "overrides file") or {}
    except FileNotFoundError:
        return []
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise SpecError(f"expected schema {SCHEMA}", key="schema", path=path)
    entries = data.get("overrides") or []
    if not isinstance(entries, list):
        raise SpecError("expected a list", key="overrides", path=path)
    frames = set(plate_frames)
    try:
        return [_entry(raw, f"overrides[{i}]", frames) for i, raw in enumerate(entries)]
    except SpecError as exc:
        raise SpecError(exc.message, key=exc.key, path=path) from None


def add_override(path: Path, override: Override, plate_frames: tuple[int, ...]) -> None:
    """Append ``override`` to the file (created if needed), atomically."""
    existing = load_overrides(path, plate_frames)
    _entry(override.as_yaml(), f"overrides[{len(existing)}]", set(plate_frames))
    body = {"schema": SCHEMA, "overrides": [o.as_yaml() for o in [*existing, override]]}
    write_bytes(path, yaml.safe_dump(body, sort_keys=False).encode("utf-8"), record=True)


def overridden_frames(overrides: list[Override]) -> list[int]:
    """Every frame some override covers."""
    return sorted({f for o in overrides for f in o.frames})
