"""The Nuke plugin: a "Faceplate" menu that swaps the face on the selected Read node's plate,
in a background thread with a ProgressTask, or submits it to the farm, then reads the result
and matte back in. Put :func:`plugin_path` on NUKE_PATH (``faceplate plugin-path nuke``).

Every call into Nuke goes through the ``nuke`` object :func:`nuke_module` returns (the one
access function), passed down explicitly, so the logic runs in tests with a stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceplate.errors import FaceplateError
from faceplate.farm import submit_shot
from faceplate.hosts.clip_spec import colourspace_name, shot_name, spec_for_clip, write_spec
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


def read_values(node: Any) -> dict[str, Any]:
    """The knob values of a Read node that make a plate."""
    return {"file": node["file"].value(), "first": int(node["first"].value()),
            "last": int(node["last"].value()), "colorspace": node["colorspace"].value(),
            "name": node.name(), "xpos": node.xpos(), "ypos": node.ypos()}


def spec_from_read(values: dict[str, Any], sources: list[str], out_dir: Path) -> Path:
    """Write and validate the spec of the plate a Read node's knob ``values`` describe."""
    data = spec_for_clip(shot=shot_name(values["file"]), plate=values["file"],
                         first=values["first"], last=values["last"],
                         colorspace=colourspace_name(values.get("colorspace")),
                         sources=sources, out_dir=out_dir)
    return write_spec(data, out_dir)


def _ask(nuke: Any) -> tuple[dict[str, Any], list[str], Path] | None:
    node = nuke.selectedNode()
    if node.Class() != "Read":
        raise FaceplateError(f"select a Read node (selected: {node.name()})")
    source = nuke.getFilename("Faceplate: source face image", "*.jpg *.jpeg *.png *.exr *.tif")
    out = nuke.getFilename("Faceplate: folder for the results")
    if not source or not out:
        return None
    return read_values(node), [source], Path(out)


def create_reads(nuke: Any, values: dict[str, Any], spec_path: Path) -> list[Any]:
    """Read nodes for the swapped frames and the matte, beside the source Read."""
    spec = load_spec(spec_path)
    reads = []
    for i, seq in enumerate(p for p in (spec.output.path, spec.output.matte) if p is not None):
        read = nuke.nodes.Read(file=str(seq), first=values["first"], last=values["last"])
        read.setXYpos(values["xpos"] + 110 * (i + 1), values["ypos"])
        reads.append(read)
    return reads


def run_in_background(nuke: Any, values: dict[str, Any], spec_path: Path,
                      start: Callable[[Callable[[], None]], Any] | None = None) -> Any:
    """Run the shot off the main thread with a ProgressTask; Read nodes for the results are
    created on the main thread. ``start`` runs the worker (default: a daemon thread)."""
    def work() -> None:
        from faceplate.nodes import ShotNode  # the pipeline loads only when a shot runs
        tasks = [nuke.ProgressTask("Faceplate")]  # Nuke closes the task when it is released

        def progress(p: Any) -> None:
            start, end = _SPANS.get(p.stage, (0, 100))
            for task in tasks:
                task.setMessage(f"{p.stage} frame {p.frame}")
                task.setProgress(start + int((end - start) * p.done / max(p.total, 1)))
        try:
            ShotNode.from_file(spec_path, progress=progress).run()
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
        return run_in_background(nuke, values, spec_from_read(values, sources, out_dir))
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
        spec_path = spec_from_read(values, sources, out_dir)
        if chosen == "local":  # never block Nuke's UI: run it here in the background
            run_in_background(nuke, values, spec_path)
            return ["local (background)"]
        ids = submit_shot(spec_path, chosen)
        nuke.message(f"Faceplate: submitted {', '.join(ids) or 'nothing'}")
        return ids
    except FaceplateError as exc:
        nuke.message(f"Faceplate: {exc}")
        return []
