"""The studio licence policy, from ``faceplate.yaml``.

By default a model whose licence does not allow commercial use (non-commercial, research-only,
or trained on a set that excludes commercial use: the manifest's ``commercial: false``) is
refused; the studio allows one by name: ``allow_models: [dlib-68, inswapper_128]`` (model ids)
or ``allow_licences`` naming its licence exactly. ``allow_licences``, when given, is also an
allow-list: a model whose licence is not in it is refused, commercial or not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from faceplate.errors import LicenceRefusedError, ModelError
from faceplate.models.manifest import ModelEntry


@dataclass(frozen=True)
class LicencePolicy:
    """Allowed licences (None: any commercial licence), models allowed by name despite a
    non-commercial licence, and the config file they came from (or would come from)."""

    allow: tuple[str, ...] | None = None
    allow_models: tuple[str, ...] = ()
    source: Path | None = None

    def refusal(self, entry: ModelEntry) -> str | None:
        """Why ``entry`` is refused (one line naming model and licence), or None."""
        where = self.source or "faceplate.yaml"
        if self.allow is not None and entry.licence not in self.allow:
            return (f"model {entry.id}: licence '{entry.licence}' is not in allow_licences of "
                    f"{where}")
        named = entry.id in self.allow_models or (self.allow is not None
                                                   and entry.licence in self.allow)
        if not entry.commercial_use and not named:
            return (f"model {entry.id}: licence '{entry.licence}' does not allow commercial use; "
                    f"refused unless {where} allows it by name (allow_models: [{entry.id}])")
        return None

    def allows(self, entry: ModelEntry) -> bool:
        return self.refusal(entry) is None

    def check(self, entry: ModelEntry) -> None:
        """Raise :class:`LicenceRefusedError` when the entry is refused."""
        self.check_all([entry])

    def check_all(self, entries: Iterable[ModelEntry]) -> None:
        """Raise one :class:`LicenceRefusedError` listing every refused entry, a line each."""
        refused = [LicenceRefusedError(why, licence=e.licence, path=self.source)
                   for e in entries if (why := self.refusal(e)) is not None]
        if len(refused) == 1:
            raise refused[0]
        if refused:
            raise LicenceRefusedError("\n".join(r.message for r in refused),
                                      licence=refused[0].licence, path=self.source,
                                      refusals=refused)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$FACEPLATE_CONFIG`` or ``<user config dir>/faceplate/faceplate.yaml``."""
    environ = os.environ if env is None else env
    if environ.get("FACEPLATE_CONFIG"):
        return Path(environ["FACEPLATE_CONFIG"])
    import platformdirs
    return Path(platformdirs.user_config_dir("faceplate")) / "faceplate.yaml"


def _names(data: dict[str, object], key: str, path: Path) -> tuple[str, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ModelError(f"{key} must be a list of names", path=path)
    return tuple(str(a) for a in value)


def load_policy(path: Path | None = None) -> LicencePolicy:
    """Read the policy from ``path`` (default :func:`config_path`); no file: the default
    (commercial licences only)."""
    path = config_path() if path is None else path
    if not path.is_file():
        return LicencePolicy(source=path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"unreadable studio config: {exc}", path=path) from exc
    if not isinstance(data, dict):
        raise ModelError("the studio config must be a mapping", path=path)
    return LicencePolicy(_names(data, "allow_licences", path),
                         _names(data, "allow_models", path) or (), path)
