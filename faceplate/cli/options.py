"""What the shot commands share: the frame-range and force options, and how a node is made and
its result printed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from faceplate.cli.output import Output
from faceplate.errors import SpecError
from faceplate.frames import format_frames, parse_frames

if TYPE_CHECKING:
    from faceplate.models.dlib_process import DescriptorProcess
    from faceplate.nodes import ShotNode
    from faceplate.nodes.pool import Workers
    from faceplate.nodes.shot import ShotResult

force_opt = click.option("--force", is_flag=True,
                         help="Render every frame again, even those already complete and current.")
frames_opt = click.option("--frames", "frames", default=None, metavar="RANGE",
                          help="Frames to render, e.g. 1001-1010 (default: the whole plate).")

workers_opt = click.option("--workers", "workers", default="auto", show_default=True,
                           metavar="N|auto",
                           help="Render in N processes; auto: one per two cores this process may "
                                "use (at most 8, each with at least 8 frames).")


def workers_option(text: str) -> Workers:
    """The render processes a ``--workers`` value asks for.

    Raises:
        SpecError: neither ``auto`` nor a whole number of at least 1 (naming ``--workers``).
    """
    if text == "auto":
        return "auto"
    if not text.strip().isdigit() or int(text) < 1:
        raise SpecError(f"must be auto or a whole number of at least 1, not {text!r}",
                        key="--workers")
    return int(text)


def frames_option(text: str | None, key: str = "--frames") -> list[int] | None:
    """The frames of a ``--frames`` value (None: not given).

    Raises:
        SpecError: not a frame range (naming ``key``).
    """
    if text is None:
        return None
    try:
        return parse_frames(text)
    except SpecError as exc:
        raise SpecError(exc.message, key=key) from None


def shot_node(spec: Path, out: Output | None = None,
              descriptors: DescriptorProcess | None = None) -> ShotNode:
    """The node of the spec file ``spec``, drawing progress bars on a terminal (not when
    ``out`` is quiet); a signal stops its run after the frame in flight (the command line's
    stop flag); ``descriptors``: the command's helper process for identities, if any."""
    from faceplate.cli.progress_bar import StageBars
    from faceplate.cli.signals import STOP_FLAG_KEY
    from faceplate.nodes import ShotNode  # the pipeline loads only when a shot command runs
    quiet = out is not None and out.quiet
    context = click.get_current_context(silent=True)
    stop = context.meta.get(STOP_FLAG_KEY) if context is not None else None
    node = ShotNode.from_file(spec, progress=None if quiet else StageBars(), stop=stop,
                              descriptors=descriptors)
    if stop is not None:
        stop.watched = True
    return node


def print_result(result: ShotResult, out: Output) -> None:
    """What a run did, in three lines (or as the JSON document)."""
    summary = result.report.summary
    rendered = result.render
    reused = set(rendered.reused)  # once, not once a frame
    done = [r.frame for r in rendered.outcomes if r.frame not in reused]
    out.line(f"frames rendered: {len(rendered.outcomes) - len(rendered.reused)}; "
             f"already complete: {len(rendered.reused)}; "
             f"flagged in shot: {summary['flagged']} {summary['flagged_frames']}")
    out.line(f"qc: {result.report.qc_json}")
    out.line(f"report: {result.report.index_html}")
    out.result({"rendered": format_frames(done), "reused": format_frames(rendered.reused),
                "failed": format_frames(rendered.failed), "qc": str(result.report.qc_json),
                "report": str(result.report.index_html), "summary": summary})
