"""OpenCue: the shot as one job of four layers built with opencue-pyoutline, serialised to
OpenCue's job XML (``<shot>.cue.xml``, checked by Cuebot against its ``cjsl`` DTD) by pyoutline
itself and launched through it.

Render is one layer over the shot's frames with the plan's chunk size, so Cuebot makes the same
chunks; each task gets its range through OpenCue's ``#FRAME_START#``/``#FRAME_END#`` tokens, or
``#FRAMESPEC#`` (the chunk's own frame list) when the frames are stepped or have holes. Layers
depend layer-on-layer as :data:`faceplate.farm.plan.CHAIN` says; Cuebot satisfies a dependency
only when the frames waited for succeeded or were eaten, so OpenCue has no "after any": with
the ``autoeat`` option dead frames are eaten and the chain always reaches the report.

Cuebot refuses a job whose user is ``root`` or whose uid is 0, and one whose show it does not
know: the show comes from the options (default ``testing``, the show a new Cuebot's seed data
creates), and a job submitted as root must name another user and uid.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faceplate.errors import FarmError, SpecError
from faceplate.farm.plan import (
    CHAIN,
    SCHEMA,
    STAGES,
    TASK_WORKERS,
    JobPlan,
    is_chunked,
    stepped,
)
from faceplate.frames import format_frames
from faceplate.spec.farm_section import OpenCueOptions

#: The show a new Cuebot knows (its seed data), used when no show is set.
DEFAULT_SHOW = "testing"
#: Cuebot's rule for show, shot and layer names (after lower-casing, ``-`` made ``_``).
_CUE_NAME = re.compile(r"[\w.-]{3,}")


def _options(plan: JobPlan) -> OpenCueOptions:
    return plan.options if isinstance(plan.options, OpenCueOptions) else OpenCueOptions()


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


def job_owner(options: OpenCueOptions) -> tuple[str, int]:
    """The job's user and uid: the options', else the submitting account's.

    Raises:
        SpecError: the user is ``root`` or the uid 0, which Cuebot refuses (exit 2).
    """
    user = options.user or getpass.getuser()
    uid = options.uid if options.uid is not None else getattr(os, "getuid", lambda: 1)()
    if user == "root" or uid == 0:
        raise SpecError(f"Cuebot refuses jobs from root (user {user}, uid {uid}): submit from "
                        "an artist's account, or set user and uid (-o user=NAME -o uid=N, or "
                        "farm.opencue in the spec or faceplate.yaml)", key="farm.opencue.user")
    return user, uid


def _check_name(kind: str, name: str, key: str) -> None:
    if not _CUE_NAME.fullmatch(name.replace("-", "_").lower()):
        raise SpecError(f"Cuebot needs {kind} names of at least 3 letters, digits, '.', '-' or "
                        f"'_'; {name!r} is not one", key=key)


def _range(frames: list[int]) -> tuple[str, str]:
    """The render layer's range and the ``--frames`` value of its tasks."""
    found = stepped(frames)
    if found is not None and found[2] == 1:
        return f"{found[0]}-{found[1]}", "#FRAME_START#-#FRAME_END#"
    return format_frames(frames), "#FRAMESPEC#"


def build_outline(plan: JobPlan) -> Any:
    """The pyoutline ``Outline`` of the shot: four Shell layers with their dependencies."""
    import outline
    from outline.modules.shell import Shell
    options = _options(plan)
    show = options.show or DEFAULT_SHOW
    _check_name("show", show, "farm.opencue.show")
    _check_name("shot", plan.shot, "shot")
    user, _ = job_owner(options)
    frames = plan.frames
    layer_range, task_frames = _range(frames)
    resources = {k: v for k, v in (("cores", options.cores), ("memory", options.memory),
                                   ("service", options.service)) if v is not None}
    ol = outline.Outline(f"fp_{plan.shot}", frame_range=layer_range, shot=plan.shot, show=show,
                         user=user)
    layers: dict[str, Any] = {}
    for stage in STAGES:
        if is_chunked(stage):
            command = [*plan.command(stage)[:3], "--frames", task_frames, *TASK_WORKERS]
            layer = Shell(stage, command=command, range=layer_range, chunk=len(plan.chunks[0]),
                          **resources)
        else:
            layer = Shell(stage, command=plan.command(stage), range=str(frames[0]), chunk=1,
                          **resources)
        layer.set_env("FACEPLATE_FARMJOB", SCHEMA)
        ol.add_layer(layer)
        for wait in CHAIN[stage]:
            layer.depend_all(layers[wait.stage])
        layers[stage] = layer
    return ol


def job_xml(plan: JobPlan) -> str:
    """The job's XML as pyoutline serialises it, with the job's uid."""
    import outline.cuerun
    import outline.util
    options = _options(plan)
    user, uid = job_owner(options)
    launcher = outline.cuerun.OutlineLauncher(build_outline(plan), user=user,
                                              autoeat=bool(options.autoeat))
    xml = launcher.serialize(use_pycuerun=False)
    written = f"<uid>{outline.util.get_uid()}</uid>"
    if uid != outline.util.get_uid() and written in xml:
        xml = xml.replace(written, f"<uid>{uid}</uid>", 1)
    return xml.replace("<spec>", f"<!-- {SCHEMA} shot={plan.shot} --><spec>", 1)


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write ``<shot>.cue.xml`` into ``outdir`` and (unless ``dry_run``) launch that very XML
    on the Cuebot of ``$CUEBOT_HOSTS`` (as pyoutline does); returns the job names.

    Raises:
        SpecError: a job Cuebot would refuse (root, a name it does not take).
        FarmError: Cuebot is unreachable or refused the job.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    with _sessions_in(outdir.absolute() / "opencue_sessions"):
        xml = job_xml(plan)
    path = outdir / f"{plan.shot}.cue.xml"
    path.write_text(xml, encoding="utf-8")
    if dry_run:
        return []
    import opencue
    try:
        jobs = opencue.api.launchSpecAndWait(xml)
    except Exception as exc:  # pycue raises grpc and connection errors of its own
        raise FarmError(f"OpenCue refused the job or is unreachable: {exc}".splitlines()[0],
                        path=path) from exc
    return [j.name() if hasattr(j, "name") else str(j) for j in (jobs or [])]
