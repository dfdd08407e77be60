"""The DaVinci Resolve script (Workspace > Scripts): swap the face on the current timeline
clip's media, or submit it to a farm, and import the results into the media pool. Copy or link
the script from :func:`plugin_path` (``faceplate plugin-path resolve``) into Resolve's
``Fusion/Scripts/Utility`` folder.

Every call into Resolve goes through the object :func:`resolve_app` returns (the one access
function), passed down explicitly, so the logic runs in tests with a stand-in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from faceplate.errors import FaceplateError, SpecError
from faceplate.farm import submit_shot
from faceplate.hosts.clip_spec import (
    colourspace_name,
    printf_pattern,
    shot_name,
    spec_for_clip,
    write_spec,
)
from faceplate.spec import load_spec

#: Resolve shows an image sequence as ``/p/sh010.[1001-1048].exr``.
_RANGE = re.compile(r"\[(\d+)-(\d+)\]")


def plugin_path() -> Path:
    """The folder holding the script for Resolve's Scripts menu."""
    return Path(__file__).parent / "scripts"


def resolve_app(injected: Any = None) -> Any:
    """The access function for Resolve's scripting API: the ``resolve`` object Resolve injects
    into scripts it runs, else the one ``DaVinciResolveScript`` connects to."""
    if injected is not None:
        return injected
    import DaVinciResolveScript
    app = DaVinciResolveScript.scriptapp("Resolve")
    if app is None:
        raise FaceplateError("DaVinci Resolve is not running or does not allow external scripts")
    return app


def clip_plate(item: Any) -> dict[str, Any]:
    """The plate of a timeline item's media: sequence pattern, first and last frame, colourspace."""
    media = item.GetMediaPoolItem()
    if media is None:
        raise SpecError("the current timeline item has no media", key="clip")
    path = media.GetClipProperty("File Path")
    match = _RANGE.search(path)
    if match is None:
        raise SpecError(f"not an image sequence: {path}", key="clip")
    first, last = match.group(1), match.group(2)
    pattern = path[:match.start()] + "#" * len(first) + path[match.end():]
    return {"file": pattern, "first": int(first), "last": int(last),
            "colorspace": colourspace_name(media.GetClipProperty("Input Color Space") or None)}


def import_results(media_pool: Any, spec_path: Path) -> Any:
    """Import the swapped frames and the matte as image sequences into the media pool."""
    spec = load_spec(spec_path)
    first, last = spec.plate.frames[0], spec.plate.frames[-1]
    results = [seq for seq in (spec.output.path, spec.output.matte) if seq is not None]
    return media_pool.ImportMedia([{"FilePath": printf_pattern(str(seq)), "StartIndex": first,
                                    "EndIndex": last} for seq in results])


def swap_current_clip(resolve: Any, sources: list[str], out_dir: Path | None = None,
                      farm: str | None = None) -> list[str]:
    """Build the spec of the current clip, run it here (``farm`` None) and import the results,
    or submit it to ``farm``; returns what was imported or submitted."""
    project = resolve.GetProjectManager().GetCurrentProject()
    timeline = project.GetCurrentTimeline() if project else None
    item = timeline.GetCurrentVideoItem() if timeline else None
    if item is None:
        raise SpecError("no current video clip on the timeline", key="clip")
    plate = clip_plate(item)
    folder = out_dir or Path(plate["file"]).parent / "faceplate"
    spec_path = write_spec(spec_for_clip(shot=shot_name(plate["file"]), plate=plate["file"],
                                         first=plate["first"], last=plate["last"],
                                         colorspace=plate["colorspace"], sources=sources,
                                         out_dir=folder), folder)
    if farm is not None:
        return submit_shot(spec_path, farm)
    from faceplate.nodes import ShotNode  # the pipeline loads only when a shot runs
    ShotNode.from_file(spec_path).run()
    imported = import_results(project.GetMediaPool(), spec_path)
    return [str(i) for i in (imported or [])]


def main(injected: Any = None, environ: dict[str, str] | None = None) -> str:
    """The script's entry: sources from ``FACEPLATE_SOURCES`` (paths separated like PATH),
    optional ``FACEPLATE_OUT`` and ``FACEPLATE_FARM``. Returns a one-line status (errors too)."""
    env = os.environ if environ is None else environ
    try:
        sources = [s for s in env.get("FACEPLATE_SOURCES", "").split(os.pathsep) if s]
        if not sources:
            raise SpecError("set FACEPLATE_SOURCES to the source face image(s)",
                            key="FACEPLATE_SOURCES")
        out = Path(env["FACEPLATE_OUT"]) if env.get("FACEPLATE_OUT") else None
        done = swap_current_clip(resolve_app(injected), sources, out, env.get("FACEPLATE_FARM"))
        return f"Faceplate: done ({len(done)} item(s))"
    except FaceplateError as exc:
        return f"Faceplate: {exc}"
