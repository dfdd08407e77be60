"""Render-farm submission: one job per shot (analyse → solve → chunked render → report).

Backends are plugins in the ``faceplate.farms`` entry-point group (see
:mod:`faceplate.registry`), each a ``submit(plan, outdir, *, dry_run)`` function,
imported only when chosen, so ``import faceplate.farm`` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, cast

from faceplate.errors import SpecError
from faceplate.farm.options import resolve_options
from faceplate.farm.plan import JobPlan, plan_shot
from faceplate.registry import load
from faceplate.spec import check_inputs, load_spec

GROUP = "faceplate.farms"
DEFAULT_FARM = "local"


class SubmitFunction(Protocol):
    """A farm backend: write the job files for ``plan`` into ``outdir`` and, unless
    ``dry_run``, hand them to the scheduler; returns the scheduler's job ids."""

    def __call__(self, plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]: ...


def backend(name: str) -> SubmitFunction:
    """The submit function of farm ``name``, imported on first use.

    Raises:
        SpecError: no farm of that name, or what it names is not a submit function.
    """
    found = load(GROUP, name, key="--farm")
    if not callable(found):
        raise SpecError(f"farm plugin {name!r} is not a submit function", key="--farm")
    return cast(SubmitFunction, found)


def submit_shot(spec: str | os.PathLike[str], farm: str = DEFAULT_FARM, *, chunk: int = 10,
                outdir: str | os.PathLike[str] | None = None, dry_run: bool = False,
                max_parallel: int | None = None, options: Sequence[str] = ()) -> list[str]:
    """Submit the shot ``spec`` (a spec file) to ``farm`` as one job of dependent stage tasks.

    Render tasks hold ``chunk`` frames each; at most ``max_parallel`` run at once (for
    ``local``: the number of worker processes, default the cores this process may use).
    ``options`` are the farm's resource options as ``KEY=VALUE`` (over the spec's ``farm:``
    section and the studio's ``faceplate.yaml``, see :mod:`faceplate.farm.options`). Job files
    go to ``outdir`` (default ``farm/`` beside the spec). With ``dry_run`` they are only
    written. Returns the scheduler's job ids (empty on a dry run).

    Raises:
        SpecError: a bad spec, farm name, option or chunk size, or input the farm cannot take
            (exit 2).
        FarmError: the scheduler is missing or refused the job (exit 6).
    """
    shot = check_inputs(load_spec(spec))
    submit_to = backend(farm)
    plan = plan_shot(shot.shot, Path(spec), list(shot.plate.frames), chunk,
                     max_parallel=max_parallel, options=resolve_options(farm, shot, options))
    target = Path(outdir) if outdir is not None else Path(spec).absolute().parent / "farm"
    return submit_to(plan, target, dry_run=dry_run)


__all__ = ["DEFAULT_FARM", "GROUP", "SubmitFunction", "backend", "submit_shot"]
