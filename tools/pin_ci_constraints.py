"""Write ``.ci/constraints.txt``: the installed version of every distribution that
``faceplate[test]`` needs (its whole dependency closure, environment markers applied).

CI installs through it (``PIP_CONSTRAINT`` in ``.ci/run``), so a new release on PyPI changes
nothing until someone updates the pins on purpose::

    .venv/bin/pip install -U -e '.[test]'       # take the new releases (or pin one by hand)
    .venv/bin/python -m pytest                   # the suite passes on them
    .venv/bin/python tools/pin_ci_constraints.py # write the pins; commit them with the reason

Stdlib and ``packaging`` only; run it with the interpreter of the virtual environment.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# CI's pinned dependencies: every distribution faceplate[test] needs, at the version it was
# tested with. Applied by .ci/run through PIP_CONSTRAINT; the README's command stays verbatim.
# Update on purpose: docs/testing.md ("Pinned dependencies"); written by
# tools/pin_ci_constraints.py.
"""


def closure(name: str, extras: set[str]) -> dict[str, str]:
    """Installed versions of ``name`` (with ``extras``) and everything it needs, by canonical
    name, ``name`` itself left out.

    Raises:
        metadata.PackageNotFoundError: a needed distribution is not installed.
    """
    found: dict[str, str] = {}
    todo = [(name, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        dist_name, wanted = todo.pop()
        key = (canonicalize_name(dist_name), wanted)
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(dist_name)
        if canonicalize_name(dist_name) != canonicalize_name(name):
            found[canonicalize_name(dist_name)] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not any(
                    req.marker.evaluate({**default_environment(), "extra": extra})
                    for extra in (wanted or {""})):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".ci" / "constraints.txt")
    args = parser.parse_args(argv)
    pins = closure("faceplate", {"test"})
    args.out.write_text(HEADER + "".join(f"{n}=={v}\n" for n, v in pins.items()))
    print(f"{len(pins)} pins written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
