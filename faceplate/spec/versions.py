"""Spec versions: the version this faceplate writes, and one upgrade function per later version.

A spec of an older version is upgraded step by step before it is validated: the function for
version ``n`` takes the plain data of a version ``n - 1`` spec and returns it as version ``n``
would say it (keys renamed, sections moved). Only versions whose keys change need a function;
a version that merely adds optional keys maps to :func:`unchanged`. Version 1 is the first, so
there is nothing to upgrade yet; the next version adds ``{2: upgrade_to_2}`` to ``UPGRADES``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from faceplate.errors import SpecError
from faceplate.frames import shown

#: The ``version`` this faceplate writes and reads.
SPEC_VERSION = 1

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]

#: Version → the function upgrading a spec of the version before it to that version.
UPGRADES: Mapping[int, Upgrade] = MappingProxyType({})


def unchanged(data: dict[str, Any]) -> dict[str, Any]:
    """The upgrade of a version that only adds optional keys."""
    return data


def upgrade_function_for(version: int,
                         upgrades: Mapping[int, Upgrade] = UPGRADES) -> Upgrade | None:
    """The function upgrading a spec of version ``version - 1`` to ``version`` (None: none)."""
    return upgrades.get(version)


def upgrade(data: dict[str, Any], *, upgrades: Mapping[int, Upgrade] = UPGRADES,
            current: int = SPEC_VERSION) -> dict[str, Any]:
    """``data`` (a spec's plain data) upgraded from its ``version`` to ``current``; a spec
    already at ``current`` comes back as is.

    Raises:
        SpecError: the version is not a whole number from 1 to ``current``, or a step has no
            upgrade function (key ``version``).
    """
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= current:
        raise SpecError(f"unsupported spec version {shown(version)} "
                        f"(this faceplate reads {current})",
                        key="version")
    for target in range(version + 1, current + 1):
        step = upgrade_function_for(target, upgrades)
        if step is None:
            raise SpecError(f"no upgrade from spec version {target - 1} to {target}",
                            key="version")
        data = {**step(copy.deepcopy(data)), "version": target}  # the caller's data is kept
    return data
