"""The DaVinci Resolve script (Workspace > Scripts): swap the face on the frames the current
timeline clip uses, or submit them to a farm, and bring the result into the media pool with the
matte attached to it as a clip matte. Copy or link the script from :func:`plugin_path`
(``faceplate plugin-path resolve``) into Resolve's ``Fusion/Scripts/Utility`` folder.

Every call into Resolve goes through the object :func:`resolve_app` returns (the one access
function), passed down explicitly, so the logic runs in tests with a stand-in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from faceplate.errors import FaceplateError, SpecError
from faceplate.farm import submit_shot
from faceplate.frames import SequencePath
from faceplate.hosts.clip_spec import (
    colourspace_name,
    printf_pattern,
    shot_name,
    spec_for_clip,
    write_spec,
)
from faceplate.hosts.colour_names import RESOLVE, from_table
from faceplate.spec import load_spec

#: Resolve shows an image sequence as ``/p/sh010.[1001-1048].exr``.
_RANGE = re.compile(r"\[(\d+)-(\d+)\]")
#: Environment variable overriding the plate's colourspace (an OCIO name).
COLOURSPACE_VARIABLE = "FACEPLATE_COLORSPACE"
Say = Callable[[str], None]


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


def used_range(item: Any, first: int, last: int) -> tuple[int, int]:
    """The media frames the timeline item uses: its left offset (the frames trimmed off the
    media's head, ``GetLeftOffset()``) and its ``GetDuration()``, within ``first``-``last``.

    Raises:
        SpecError: the item uses no frame of the media (key ``clip``).
    """
    start = first + int(item.GetLeftOffset())
    end = min(last, start + int(item.GetDuration()) - 1)
    if start > end:  # end is at most last
        raise SpecError(f"the clip uses no frame of its media ({first}-{last})", key="clip")
    return start, end


def input_colourspace(media: Any, project: Any, environ: Mapping[str, str]) -> str | None:
    """The plate's colourspace as an OCIO name: ``$FACEPLATE_COLORSPACE``, else the clip's
    ``Input Color Space`` (the project's ``colorSpaceInput`` when the clip follows the project),
    mapped by :data:`faceplate.hosts.colour_names.RESOLVE`; None: from the file."""
    if environ.get(COLOURSPACE_VARIABLE):
        return environ[COLOURSPACE_VARIABLE].strip()
    name = colourspace_name(media.GetClipProperty("Input Color Space") or None)
    if name in (None, "Project") and project is not None:
        name = colourspace_name(project.GetSetting("colorSpaceInput") or None)
    if name is None:
        return None
    return from_table(name, RESOLVE, strict=False, host="Resolve", key="Input Color Space")


def clip_plate(item: Any, project: Any = None,
               environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The plate of a timeline item: its media's sequence pattern, the frames the item uses and
    the colourspace."""
    media = item.GetMediaPoolItem()
    if media is None:
        raise SpecError("the current timeline item has no media", key="clip")
    path = media.GetClipProperty("File Path")
    match = _RANGE.search(path)
    if match is None:
        raise SpecError(f"not an image sequence: {path}", key="clip")
    first, last = used_range(item, int(match.group(1)), int(match.group(2)))
    pattern = path[:match.start()] + "#" * len(match.group(1)) + path[match.end():]
    return {"file": pattern, "first": first, "last": last,
            "colorspace": input_colourspace(media, project, os.environ if environ is None
                                            else environ)}


def resolve_sequence(seq: SequencePath, first: int, last: int) -> str:
    """A sequence as Resolve names it: ``/out/sh010_fp_matte.[1001-1048].exr``."""
    pattern = printf_pattern(str(seq))
    match = re.search(r"%0(\d+)d", pattern)
    pad = int(match.group(1)) if match else 1
    return re.sub(r"%0\d+d", f"[{first:0{pad}d}-{last:0{pad}d}]", pattern, count=1)


def import_results(resolve: Any, media_pool: Any, spec_path: Path) -> list[Any]:
    """Import the swapped frames as an image sequence into the media pool and add the matte to
    that clip as its clip matte (``MediaStorage.AddClipMattesToMediaPool``).

    Raises:
        FaceplateError: Resolve imported nothing or refused the matte.
    """
    spec = load_spec(spec_path)
    first, last = spec.plate.frames[0], spec.plate.frames[-1]
    imported = media_pool.ImportMedia([{"FilePath": printf_pattern(str(spec.output.path)),
                                        "StartIndex": first, "EndIndex": last}])
    if not imported:
        raise FaceplateError(f"Resolve imported nothing from {spec.output.path}")
    if spec.output.matte is not None:
        matte = resolve_sequence(spec.output.matte, first, last)
        if not resolve.GetMediaStorage().AddClipMattesToMediaPool(imported[0], [matte]):
            raise FaceplateError(f"Resolve did not add the matte {matte} to the result clip")
    return list(imported)


def _progress(say: Say) -> Callable[[Any], None]:
    """Progress lines on Resolve's console: each stage at every tenth of its frames."""
    def report(p: Any) -> None:
        if p.done == p.total or p.done * 10 // p.total != (p.done - 1) * 10 // p.total:
            say(f"Faceplate: {p.stage} {p.done}/{p.total} (frame {p.frame})")
    return report


def swap_current_clip(resolve: Any, sources: list[str], out_dir: Path | None = None,
                      farm: str | None = None, *, environ: Mapping[str, str] | None = None,
                      say: Say = print) -> list[str]:
    """Build the spec of the frames the current clip uses, run it here (``farm`` None) and
    import the results, or submit it to ``farm``; returns what was imported or submitted."""
    project = resolve.GetProjectManager().GetCurrentProject()
    timeline = project.GetCurrentTimeline() if project else None
    item = timeline.GetCurrentVideoItem() if timeline else None
    if item is None:
        raise SpecError("no current video clip on the timeline", key="clip")
    plate = clip_plate(item, project, environ)
    folder = out_dir or Path(plate["file"]).parent / "faceplate"
    spec_path = write_spec(spec_for_clip(shot=shot_name(plate["file"]), plate=plate["file"],
                                         first=plate["first"], last=plate["last"],
                                         colorspace=plate["colorspace"], sources=sources,
                                         out_dir=folder), folder)
    if farm is not None:
        return submit_shot(spec_path, farm)
    from faceplate.nodes import ShotNode  # the pipeline loads only when a shot runs
    ShotNode.from_file(spec_path, progress=_progress(say)).run()
    imported = import_results(resolve, project.GetMediaPool(), spec_path)
    return [str(i) for i in imported]


def main(injected: Any = None, environ: dict[str, str] | None = None,
         say: Say = print) -> str:
    """The script's entry: sources from ``FACEPLATE_SOURCES`` (paths separated like PATH),
    optional ``FACEPLATE_OUT``, ``FACEPLATE_FARM`` and ``FACEPLATE_COLORSPACE``. Progress goes
    to ``say`` (Resolve's console); returns a one-line status (errors too)."""
    env = os.environ if environ is None else environ
    try:
        sources = [s for s in env.get("FACEPLATE_SOURCES", "").split(os.pathsep) if s]
        if not sources:
            raise SpecError("set FACEPLATE_SOURCES to the source face image(s)",
                            key="FACEPLATE_SOURCES")
        out = Path(env["FACEPLATE_OUT"]) if env.get("FACEPLATE_OUT") else None
        done = swap_current_clip(resolve_app(injected), sources, out, env.get("FACEPLATE_FARM"),
                                 environ=env, say=say)
        return f"Faceplate: done ({len(done)} item(s))"
    except FaceplateError as exc:
        return "Faceplate: " + "; ".join(str(exc).splitlines())
