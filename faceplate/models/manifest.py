"""The model manifest: data (``manifest.yaml``), loaded into typed entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from faceplate.errors import ModelError

#: Words in a licence's name that mark it as not for commercial use.
_NOT_COMMERCIAL = ("non-commercial", "noncommercial", "research", "excludes commercial", "nc-")


@dataclass(frozen=True)
class ModelEntry:
    """One known model: identity, file, pinned hash, licence and I/O contract."""

    id: str
    family: str
    role: str
    file: str | None
    sha256: str | None
    licence: str
    commercial: bool | None = None
    format: str = "onnx"
    template: str | None = None
    size: int | None = None
    channels: str = "RGB"
    layout: str = "NCHW"
    scale: float = 1.0
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    inputs: tuple[str, ...] = ("input",)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def commercial_use(self) -> bool:
        """Whether the licence allows commercial delivery: the manifest's ``commercial`` key,
        else judged from the licence's name (non-commercial, research-only or excluding
        commercial use: not)."""
        if self.commercial is not None:
            return self.commercial
        name = self.licence.lower()
        return not any(word in name for word in _NOT_COMMERCIAL)

    def extra_ints(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        """A list of whole numbers from the entry's extra keys (``strides``...).

        Raises:
            ModelError: the manifest gives something else.
        """
        value = self.extra.get(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) for v in value):
            raise ModelError(f"model {self.id}: manifest key {key!r} must be a list of whole "
                             f"numbers, not {value!r}")
        return tuple(value)

    def extra_int(self, key: str, default: int) -> int:
        """A whole number from the entry's extra keys (``anchors``...)."""
        value = self.extra.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ModelError(f"model {self.id}: manifest key {key!r} must be a whole number, "
                             f"not {value!r}")
        return value


_FIELDS = set(ModelEntry.__dataclass_fields__) - {"extra"}


def _entry(raw: dict[str, Any]) -> ModelEntry:
    known = {k: v for k, v in raw.items() if k in _FIELDS}
    for key in ("mean", "std", "inputs"):
        if key in known:
            known[key] = tuple(known[key])
    extra = {k: v for k, v in raw.items() if k not in _FIELDS}
    return ModelEntry(**known, extra=extra)


#: libyaml's safe loader where PyYAML was built with it (the manifest is read at every start:
#: the pure-Python parser takes about 0.15 s a read), else the pure-Python one; same result.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_manifest(path: Path | None = None) -> dict[str, ModelEntry]:
    """Read a manifest (the packaged one when ``path`` is None) into entries keyed by id."""
    try:
        text = (path.read_text() if path is not None
                else resources.files("faceplate.models").joinpath("manifest.yaml").read_text())
        data = yaml.load(text, Loader=_SAFE_LOADER)
        entries = [_entry(raw) for raw in data["models"]]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ModelError(f"unreadable model manifest: {exc}", path=path) from exc
    return {e.id: e for e in entries}
