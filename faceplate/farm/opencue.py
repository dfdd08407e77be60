"""OpenCue: the shot as one job of four layers built with opencue-pyoutline, serialised to
OpenCue's job XML (``<shot>.cue.xml``) by pyoutline itself and launched through it.

Render is one layer over the shot's frame range with the plan's chunk size, so Cuebot makes
the same chunks; each task gets its range through OpenCue's ``#FRAME_START#``/``#FRAME_END#``
tokens. Layers depend layer-on-layer: analyse → solve → render → report.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faceplate.errors import FarmError
from faceplate.farm.plan import SCHEMA, STAGES, JobPlan, is_chunked


@contextlib.contextmanager
def _sessions_in(folder: Path) -> Iterator[None]:
    """pyoutline writes a session folder per job; keep it beside the job file, not in $HOME."""
    import outline
    before = outline.config.get("outline", "session_dir")
    outline.config.set("outline", "session_dir", str(folder))
    try:
        yield
    finally:
        outline.config.set("outline", "session_dir", before)


def build_outline(plan: JobPlan) -> Any:
    """The pyoutline ``Outline`` of the shot: four Shell layers with their dependencies."""
    import outline
    from outline.modules.shell import Shell
    first, last = plan.contiguous_range("OpenCue")
    chunk = len(plan.chunks[0])
    show = os.environ.get("CUE_SHOW") or os.environ.get("SHOW") or "faceplate"
    ol = outline.Outline(f"fp_{plan.shot}", frame_range=f"{first}-{last}", shot=plan.shot,
                         show=show, user=getpass.getuser())
    previous = None
    for stage in STAGES:
        if is_chunked(stage):
            command = plan.command(stage)[:3] + ["--frames", "#FRAME_START#-#FRAME_END#"]
            layer = Shell(stage, command=command, range=f"{first}-{last}", chunk=chunk)
        else:
            layer = Shell(stage, command=plan.command(stage), range=str(first), chunk=1)
        layer.set_env("FACEPLATE_FARMJOB", SCHEMA)
        ol.add_layer(layer)
        if previous is not None:
            layer.depend_all(previous)
        previous = layer
    return ol


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write ``<shot>.cue.xml`` into ``outdir`` and (unless ``dry_run``) launch it on Cuebot;
    returns the job names."""
    import outline.cuerun
    outdir.mkdir(parents=True, exist_ok=True)
    with _sessions_in(outdir.absolute() / "opencue_sessions"):
        launcher = outline.cuerun.OutlineLauncher(build_outline(plan))
        xml = launcher.serialize(use_pycuerun=False)
        path = outdir / f"{plan.shot}.cue.xml"
        path.write_text(xml.replace("<spec>", f"<!-- {SCHEMA} shot={plan.shot} --><spec>", 1),
                        encoding="utf-8")
        if dry_run:
            return []
        try:
            jobs = launcher.launch(use_pycuerun=False)
        except Exception as exc:  # pycue raises grpc and connection errors of its own
            raise FarmError(f"OpenCue refused the job or is unreachable: {exc}".splitlines()[0],
                            path=path) from exc
    return [j.name() if hasattr(j, "name") else str(j) for j in (jobs or [])]
