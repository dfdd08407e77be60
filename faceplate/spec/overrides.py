"""Reviewer overrides (``overrides.yaml`` beside the spec, schema ``faceplate.overrides/2``):
per frame range, skip the swap, hold another frame's alignment, change a parameter, or approve
the frames as rendered. Each entry is one decision with its audit line: who (``by``), when
(``at``, ISO 8601 UTC) and through what (``via``).

The solve applies them, so every render of those frames, in any process, sees them::

    schema: faceplate.overrides/2
    overrides:
      - {frames: 1012-1015, skip: true, by: alice, at: '2025-06-01T14:02:11Z', via: review mark}
      - {frames: 1020, hold: 1019, by: alice, at: '2025-06-01T14:03:40Z', via: review serve}
      - {frames: 1030-1032, set: {feather: 0.1}, by: bob, at: '2025-06-02T09:12:00Z', via: otio}
      - {frames: 1040, approve: true, by: bob, at: '2025-06-02T09:13:05Z', via: review serve}

Version 1 files (no audit keys, no ``approve``) are read as they are and written back as
version 2 when a decision is added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml

from faceplate.errors import SpecError
from faceplate.frames import format_frames, outside, parse_frames, shown
from faceplate.spec.yamlfile import load_yaml
from faceplate.written import write_bytes

SCHEMA = "faceplate.overrides/2"
READABLE_SCHEMAS = ("faceplate.overrides/1", SCHEMA)
Action = Literal["skip", "hold", "set", "approve"]
ACTIONS: tuple[Action, ...] = ("skip", "hold", "set", "approve")
_AUDIT_KEYS = ("by", "at", "via")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

#: Parameters a reviewer may change per frame range, with their valid ranges.
SETTABLE: dict[str, tuple[float, float]] = {
    "identity_amount": (0.0, 1.0),
    "feather": (0.0, 1.0),
    "erode": (0.0, 0.5),
    "blend_softness": (0.0, 1.0),
}


def utc_stamp(moment: datetime) -> str:
    """``moment`` as the audit line writes it: ISO 8601 in UTC to the second, ``...Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Override:
    """One reviewer decision over a frame range, with who made it, when and through what
    (None on decisions of a version-1 file)."""

    frames: tuple[int, ...]
    action: Action
    hold: int | None = None
    values: dict[str, float] = field(default_factory=dict)
    by: str | None = None
    at: str | None = None
    via: str | None = None

    def as_yaml(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"frames": format_frames(list(self.frames))}
        if self.action == "hold":
            entry["hold"] = self.hold
        elif self.action == "set":
            entry["set"] = dict(self.values)
        else:  # skip, approve
            entry[self.action] = True
        entry.update({k: getattr(self, k) for k in _AUDIT_KEYS if getattr(self, k) is not None})
        return entry

    @property
    def changes_render(self) -> bool:
        """Whether the decision changes what is rendered (an approval does not)."""
        return self.action != "approve"

    def what(self) -> str:
        """The decision in words: ``skip (pass through unswapped)``, ``hold frame 1003's
        alignment``, ``set feather=0.2``, ``approve as rendered``."""
        if self.action == "hold":
            return f"hold frame {self.hold}'s alignment"
        if self.action == "set":
            return "set " + ", ".join(f"{k}={v:g}" for k, v in sorted(self.values.items()))
        return {"skip": "skip (pass through unswapped)", "approve": "approve as rendered"}[
            self.action]

    def who_when(self) -> str:
        """``by alice at 2025-06-01 14:02:11 UTC via review serve`` (what is known of it)."""
        parts = [f"by {self.by}" if self.by else "by an unrecorded reviewer"]
        if self.at:
            parts.append("at " + self.at.replace("T", " ").replace("Z", " UTC"))
        if self.via:
            parts.append(f"via {self.via}")
        return " ".join(parts)

    def describe(self) -> str:
        """What, who and when in one line: ``skip (pass through unswapped), by alice at ...``."""
        return f"{self.what()}, {self.who_when()}"

    def as_record(self) -> dict[str, Any]:
        """The decision as QC records it: frames, action, what, by, at, via."""
        return {"frames": format_frames(list(self.frames)), "action": self.action,
                "what": self.what(), "by": self.by, "at": self.at, "via": self.via}


def overrides_path(spec_path: Path | None) -> Path | None:
    """``overrides.yaml`` beside the spec (None for a spec built in code)."""
    return spec_path.parent / "overrides.yaml" if spec_path is not None else None


def parse_set(assignments: list[str], key: str = "--set") -> dict[str, float]:
    """``["feather=0.1", ...]`` as validated values.

    Raises:
        SpecError: not ``key=value``, an unknown key or a value out of range.
    """
    values = {}
    for text in assignments:
        name, sep, raw = text.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"expected key=value, got {shown(text)}", key=key)
        values[name.strip()] = raw.strip()
    return _values(values, key)


def _values(raw: Any, key: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise SpecError("expected a mapping of parameter: value", key=key)
    values = {}
    for name, value in raw.items():
        if name not in SETTABLE:
            raise SpecError(f"unknown parameter (settable: {', '.join(sorted(SETTABLE))})",
                            key=f"{key}.{name}")
        if isinstance(value, bool):
            raise SpecError(f"expected a number, got {value!r}", key=f"{key}.{name}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SpecError(f"expected a number, got {shown(value)}", key=f"{key}.{name}") from None
        low, high = SETTABLE[name]
        if not low <= number <= high:  # also refuses nan
            raise SpecError(f"{number:g} is outside {low:g}..{high:g}", key=f"{key}.{name}")
        values[name] = number
    return values


def _audit(raw: dict[str, Any], key: str) -> dict[str, str]:
    audit = {}
    for name in _AUDIT_KEYS:
        if name not in raw:
            continue
        value = raw[name]
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise SpecError("expected a short text", key=f"{key}.{name}")
        if name == "at" and not _TIME.match(value):
            raise SpecError(f"expected a UTC time such as 2025-06-01T14:02:11Z, got {value!r}",
                            key=f"{key}.at")
        audit[name] = value
    return audit


def _entry(raw: Any, key: str, plate_frames: set[int]) -> Override:
    if not isinstance(raw, dict):
        raise SpecError("expected a mapping", key=key)
    unknown = set(raw) - {"frames", *ACTIONS, *_AUDIT_KEYS}
    if unknown:
        raise SpecError(f"unknown key (allowed: frames, {', '.join(sorted(ACTIONS))}, "
                        f"{', '.join(_AUDIT_KEYS)})", key=f"{key}.{sorted(unknown)[0]}")
    actions = [a for a in ACTIONS if a in raw]
    if len(actions) != 1:
        raise SpecError(f"expected exactly one of {', '.join(ACTIONS)}", key=key)
    try:
        frames = parse_frames(raw.get("frames", ""))
    except SpecError as exc:
        raise SpecError(exc.message, key=f"{key}.frames") from None
    beyond = outside(frames, plate_frames)
    if beyond:
        raise SpecError(f"frames {format_frames(beyond)} are outside the plate range",
                        key=f"{key}.frames")
    audit = _audit(raw, key)
    by, at, via = audit.get("by"), audit.get("at"), audit.get("via")
    action = actions[0]
    if action in ("skip", "approve"):
        if raw[action] is not True:
            raise SpecError("expected true", key=f"{key}.{action}")
        return Override(tuple(frames), action, by=by, at=at, via=via)
    if action == "hold":
        hold = raw["hold"]
        if not isinstance(hold, int) or isinstance(hold, bool) or hold not in plate_frames:
            raise SpecError(f"expected a frame of the plate, got {shown(hold)}",
                            key=f"{key}.hold")
        return Override(tuple(frames), "hold", hold=hold, by=by, at=at, via=via)
    return Override(tuple(frames), "set", values=_values(raw["set"], f"{key}.set"), by=by,
                    at=at, via=via)


def check_override(override: Override, plate_frames: tuple[int, ...], key: str) -> None:
    """Hold a decision made in code (a command line, the review page, an OTIO marker) to the
    rules a file's entry is held to.

    Raises:
        SpecError: naming ``key``.
    """
    _entry(override.as_yaml(), key, set(plate_frames))


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
    if not isinstance(data, dict) or data.get("schema") not in READABLE_SCHEMAS:
        raise SpecError(f"expected schema {SCHEMA}", key="schema", path=path)
    entries = data.get("overrides") or []
    if not isinstance(entries, list):
        raise SpecError("expected a list", key="overrides", path=path)
    frames = set(plate_frames)
    try:
        return [_entry(raw, f"overrides[{i}]", frames) for i, raw in enumerate(entries)]
    except SpecError as exc:
        exc.path = str(path)  # its message already names the entry and key
        raise


def add_override(path: Path, override: Override, plate_frames: tuple[int, ...]) -> None:
    """Append ``override`` to the file (created if needed; a version-1 file is written back
    as version 2), atomically.

    Raises:
        SpecError: the file or the decision breaks the rules (nothing is written).
    """
    existing = load_overrides(path, plate_frames)
    check_override(override, plate_frames, f"overrides[{len(existing)}]")
    body = {"schema": SCHEMA, "overrides": [o.as_yaml() for o in [*existing, override]]}
    write_bytes(path, yaml.safe_dump(body, sort_keys=False).encode("utf-8"), record=True)


def overridden_frames(overrides: list[Override]) -> list[int]:
    """Every frame some decision re-renders (approvals re-render nothing)."""
    return sorted({f for o in overrides if o.changes_render for f in o.frames})


def decisions_by_frame(overrides: list[Override]) -> dict[int, list[Override]]:
    """The decisions covering each frame, in the order they were made."""
    by_frame: dict[int, list[Override]] = {}
    for o in overrides:
        for f in o.frames:
            by_frame.setdefault(f, []).append(o)
    return by_frame
