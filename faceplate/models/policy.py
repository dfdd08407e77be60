"""The studio licence policy: ``allow_licences`` in ``faceplate.yaml``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from faceplate.errors import LicenceRefusedError, ModelError
from faceplate.models.manifest import ModelEntry


@dataclass(frozen=True)
class LicencePolicy:
    """Allowed licences (None: every licence allowed) and the config file they came from."""

    allow: tuple[str, ...] | None = None
    source: Path | None = None

    def check(self, entry: ModelEntry) -> None:
        """Raise :class:`LicenceRefusedError` when the entry's licence is not allowed."""
        if self.allow is not None and entry.licence not in self.allow:
            raise LicenceRefusedError(
                f"model {entry.id}: licence '{entry.licence}' is not in allow_licences "
                f"of {self.source}", licence=entry.licence, path=self.source)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$FACEPLATE_CONFIG`` or ``<user config dir>/faceplate/faceplate.yaml``."""
    environ = os.environ if env is None else env
    if environ.get("FACEPLATE_CONFIG"):
        return Path(environ["FACEPLATE_CONFIG"])
    import platformdirs
    return Path(platformdirs.user_config_dir("faceplate")) / "faceplate.yaml"


def load_policy(path: Path | None = None) -> LicencePolicy:
    """Read the policy from ``path`` (default :func:`config_path`); no file: allow everything."""
    path = config_path() if path is None else path
    if not path.is_file():
        return LicencePolicy()
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"unreadable studio config: {exc}", path=path) from exc
    allow = data.get("allow_licences")
    if allow is None:
        return LicencePolicy(source=path)
    if not isinstance(allow, list):
        raise ModelError("allow_licences must be a list of licence names", path=path)
    return LicencePolicy(tuple(str(a) for a in allow), path)
