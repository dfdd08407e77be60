"""The Nuke plugin: a "Faceplate" menu that swaps the face on the selected Read node's plate,
in a background thread with a ProgressTask (its Cancel button honoured between frames), or
submits it to the farm, then reads the result and matte back in. Put :func:`plugin_path` on
NUKE_PATH (``faceplate plugin-path nuke``).

Every call into Nuke goes through the ``nuke`` object :func:`nuke_module` returns (the one
access function), passed down explicitly, so the logic runs in tests with a stand-in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceplate.errors import FaceplateError
from faceplate.farm import submit_shot
from faceplate.hosts.clip_spec import colourspace_name, shot_name, spec_for_clip, write_spec
from faceplate.hosts.colour_names import NUKE_DEFAULT, from_table
from faceplate.spec import load_spec

MENU = "Faceplate"
#: Where each stage's frames fall on the one progress bar (analyse reads every frame first).
_SPANS = {"analyse": (0, 50), "render": (50, 100)}


def plugin_path() -> Path:
    """The folder holding ``init.py`` and ``menu.py`` for NUKE_PATH."""
    return Path(__file__).parent / "nuke_path"


def nuke_module() -> Any:
    """The access function for Nuke's Python API."""
    import nuke
    return nuke


def qt() -> Any:
    """The access function for Qt inside Nuke: PySide6 (Nuke 16+) or PySide2."""
    try:
        from PySide6 import QtWidgets
    except ImportError:
        from PySide2 import QtWidgets
    return QtWidgets


def install_menu(nuke: Any) -> None:
    """Add the Faceplate menu to Nuke's menu bar (called from ``menu.py``)."""
    menu = nuke.menu("Nuke").addMenu(MENU)
    menu.addCommand("Swap selected Read...",
                    "import faceplate.hosts.nuke as fp; fp.swap_selected()")
    menu.addCommand("Submit selected Read to farm...",
                    "import faceplate.hosts.nuke as fp; fp.submit_selected()")


class Cancelled(Exception):
    """The artist pressed Cancel on the progress task; raised between frames."""

    def __init__(self, stage: str, frame: int | None) -> None:
        super().__init__(f"cancelled after {stage} frame {frame}")
        self.stage = stage
        self.frame = frame


def evaluated(knob: Any) -> str:
    """A string knob's text with its TCL expressions evaluated (``[value root.name]``,
    ``[getenv SHOW]``), a file knob's sequence notation (``%04d``) kept: ``getEvaluatedValue()``
    where the knob has it (file knobs), else ``value()``."""
    getter = getattr(knob, "getEvaluatedValue", None)
    return str(getter() if callable(getter) else knob.value())


@dataclass(frozen=True)
class ProjectColour:
    """How the Nuke project manages colour: ``config`` is the OCIO config it uses (a file path;
    None: faceplate's own choice); with ``nuke_default`` (Nuke's own colour management), Read
    colourspace names are mapped to faceplate's pinned config
    (:data:`faceplate.hosts.colour_names.NUKE_DEFAULT`)."""

    config: str | None = None
    nuke_default: bool = False

    def ocio_name(self, knob_text: str | None) -> str | None:
        """A Read's colorspace knob as an OCIO name of the spec's config (None: from the file).

        Raises:
            SpecError: a nuke-default name with no equivalent (key ``colorspace``).
        """
        name = colourspace_name(knob_text)
        if name is None or not self.nuke_default:
            return name
        return from_table(name, NUKE_DEFAULT, strict=True, host="Nuke (nuke-default)",
                          key="colorspace")


def project_colour(nuke: Any, environ: dict[str, str] | None = None) -> ProjectColour:
    """The project's colour management, from the root's ``colorManagement``, ``OCIO_config``
    and ``customOCIOConfigPath`` knobs (Nuke fills the path for its built-in configs too), else
    ``$OCIO``."""
    env = os.environ if environ is None else environ
    root = nuke.root()

    def text(name: str) -> str:
        knob = root.knob(name)
        return evaluated(knob).strip() if knob is not None else ""
    if text("colorManagement") == "Nuke" or text("OCIO_config") == "nuke-default":
        return ProjectColour(nuke_default=True)
    path = text("customOCIOConfigPath") or env.get("OCIO", "")
    return ProjectColour(path or None)


def read_values(node: Any) -> dict[str, Any]:
    """The knob values of a Read node that make a plate, expressions evaluated."""
    return {"file": evaluated(node["file"]), "first": int(node["first"].value()),
            "last": int(node["last"].value()), "colorspace": node["colorspace"].value(),
            "name": node.name(), "xpos": node.xpos(), "ypos": node.ypos()}


def spec_from_read(values: dict[str, Any], sources: list[str], out_dir: Path,
                   colour: ProjectColour | None = None) -> Path:
    """Write and validate the spec of the plate a Read node's knob ``values`` describe, in the
    project's colour management ``colour`` (default: an OCIO project using faceplate's config)."""
    colour = colour or ProjectColour()
    data = spec_for_clip(shot=shot_name(values["file"]), plate=values["file"],
                         first=values["first"], last=values["last"],
                         colorspace=colour.ocio_name(values.get("colorspace")),
                         sources=sources, out_dir=out_dir, ocio=colour.config)
    return write_spec(data, out_dir)


def selected_read(nuke: Any) -> Any:
    """The one selected Read node.

    Raises:
        FaceplateError: no Read, or several, are selected (one line, shown in Nuke).
    """
    reads = list(nuke.selectedNodes("Read"))
    if len(reads) == 1:
        return reads[0]
    if reads:
        raise FaceplateError(f"select one Read node ({len(reads)} are selected)")
    others = [n.name() for n in nuke.selectedNodes()]
    raise FaceplateError("select a Read node first" +
                         (f" (selected: {', '.join(others)})" if others else ""))


def _ask(nuke: Any) -> tuple[dict[str, Any], list[str], Path] | None:
    node = selected_read(nuke)
    source = nuke.getFilename("Faceplate: source face image", "*.jpg *.jpeg *.png *.exr *.tif")
    out = nuke.getFilename("Faceplate: folder for the results")
    if not source or not out:
        return None
    return read_values(node), [source], Path(out)


def create_reads(nuke: Any, values: dict[str, Any], spec_path: Path) -> list[Any]:
    """Read nodes for the swapped frames (in the plate's colourspace, as the source Read reads
    it) and the matte (raw data: no colour conversion), beside the source Read."""
    spec = load_spec(spec_path)
    reads = []
    colorspace = colourspace_name(values.get("colorspace"))
    for i, (seq, knobs) in enumerate(
            (seq, knobs) for seq, knobs in ((spec.output.path, {"colorspace": colorspace}),
                                            (spec.output.matte, {"raw": True}))
            if seq is not None):
        given = {k: v for k, v in knobs.items() if v is not None}
        read = nuke.nodes.Read(file=str(seq), first=values["first"], last=values["last"],
                               **given)
        read.setXYpos(values["xpos"] + 110 * (i + 1), values["ypos"])
        reads.append(read)
    return reads


def run_in_background(nuke: Any, values: dict[str, Any], spec_path: Path,
                      start: Callable[[Callable[[], None]], Any] | None = None) -> Any:
    """Run the shot off the main thread with a ProgressTask whose Cancel is read between frames
    (the run stops after the frame in flight; finished frames are kept, so running it again
    resumes); Read nodes for the results are created on the main thread. ``start`` runs the
    worker (default: a daemon thread)."""
    def work() -> None:
        from faceplate.nodes import ShotNode  # the pipeline loads only when a shot runs
        tasks = [nuke.ProgressTask("Faceplate")]  # Nuke closes the task when it is released

        def progress(p: Any) -> None:
            first, end = _SPANS.get(p.stage, (0, 100))
            for task in tasks:
                task.setMessage(f"{p.stage} frame {p.frame}")
                task.setProgress(first + int((end - first) * p.done / max(p.total, 1)))
                if task.isCancelled():
                    raise Cancelled(p.stage, p.frame)
        try:
            ShotNode.from_file(spec_path, progress=progress).run()
        except Cancelled as stop:
            nuke.executeInMainThread(nuke.message, args=(
                f"Faceplate: {stop}; finished frames are kept, run it again to resume",))
            return
        except FaceplateError as exc:
            nuke.executeInMainThread(nuke.message, args=(f"Faceplate: {exc}",))
            return
        finally:
            tasks.clear()
        nuke.executeInMainThread(create_reads, args=(nuke, values, spec_path))
    if start is not None:
        return start(work)
    thread = threading.Thread(target=work, name="faceplate", daemon=True)
    thread.start()
    return thread


def swap_selected(nuke: Any = None) -> Any:
    """Menu action: swap the selected Read's plate in the background."""
    nuke = nuke or nuke_module()
    try:
        asked = _ask(nuke)
        if asked is None:
            return None
        values, sources, out_dir = asked
        spec_path = spec_from_read(values, sources, out_dir, project_colour(nuke))
        return run_in_background(nuke, values, spec_path)
    except FaceplateError as exc:
        nuke.message(f"Faceplate: {exc}")
        return None


def submit_selected(nuke: Any = None, farm: str = "local") -> list[str]:
    """Menu action: submit the selected Read's plate to ``farm`` as one job."""
    nuke = nuke or nuke_module()
    try:
        asked = _ask(nuke)
        if asked is None:
            return []
        values, sources, out_dir = asked
        chosen = nuke.getInput("Faceplate: farm (local, slurm, opencue, deadline)", farm) or farm
        spec_path = spec_from_read(values, sources, out_dir, project_colour(nuke))
        if chosen == "local":  # never block Nuke's UI: run it here in the background
            run_in_background(nuke, values, spec_path)
            return ["local (background)"]
        ids = submit_shot(spec_path, chosen)
        nuke.message(f"Faceplate: submitted {', '.join(ids) or 'nothing'}")
        return ids
    except FaceplateError as exc:
        nuke.message(f"Faceplate: {exc}")
        return []
