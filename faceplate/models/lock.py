"""The studio's model lock: the sha256 of each approved model file, written by
``faceplate models pin`` and enforced by ``faceplate models verify`` and by every run before a
model is loaded.

Where: ``$FACEPLATE_MODEL_LOCK``, else ``models.lock.yaml`` beside the studio config
(:func:`faceplate.models.policy.config_path`, e.g. ``~/.config/faceplate/models.lock.yaml``).
No file: nothing is locked (the manifest's pinned hashes still hold).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from faceplate.errors import ModelError
from faceplate.models.policy import config_path

LOCK_SCHEMA = "faceplate.modellock/1"


def lock_path(env: Mapping[str, str] | None = None) -> Path:
    """``$FACEPLATE_MODEL_LOCK``, else ``models.lock.yaml`` beside the studio config."""
    environ = os.environ if env is None else env
    if environ.get("FACEPLATE_MODEL_LOCK"):
        return Path(environ["FACEPLATE_MODEL_LOCK"])
    return config_path(environ).with_name("models.lock.yaml")


@dataclass(frozen=True)
class ModelLock:
    """Model id -> (file name, sha256) the studio approved, and the lock file they came from."""

    pins: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    source: Path | None = None

    def sha256(self, model_id: str) -> str | None:
        """The approved sha256 of ``model_id`` (None: not locked)."""
        pin = self.pins.get(model_id)
        return pin[1] if pin is not None else None


def load_lock(path: Path | None = None) -> ModelLock:
    """The lock at ``path`` (default :func:`lock_path`); an empty lock when there is none.

    Raises:
        ModelError: the file is unreadable or not a lock.
    """
    path = lock_path() if path is None else path
    if not path.is_file():
        return ModelLock(source=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != LOCK_SCHEMA:
            raise ModelError(f"not a model lock (schema {LOCK_SCHEMA})", path=path)
        pins = {str(k): (str(v["file"]), str(v["sha256"]).lower())
                for k, v in (data.get("models") or {}).items()}
    except (OSError, yaml.YAMLError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(f"unreadable model lock: {exc}", path=path) from None
    return ModelLock(pins, path)


def write_lock(path: Path, pins: Mapping[str, tuple[str, str]]) -> None:
    """Write ``pins`` (model id -> file name, sha256) to ``path`` atomically."""
    body = {"schema": LOCK_SCHEMA,
            "models": {k: {"file": f, "sha256": s} for k, (f, s) in sorted(pins.items())}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)
