"""What the shot commands share: the frame-range and force options, and how a node is made and
its result printed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from faceplate.errors import SpecError
from faceplate.frames import parse_frames

if TYPE_CHECKING:
    from faceplate.nodes import ShotNode
    from faceplate.nodes.shot import ShotResult

force_opt = click.option("--force", is_flag=True,
                         help="Render every frame again, even those already complete and current.")
frames_opt = click.option("--frames", "frames", default=None, metavar="RANGE",
                          help="Frames to render, e.g. 1001-1010 (default: the whole plate).")


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


def shot_node(spec: Path) -> ShotNode:
    """The node of the spec file ``spec``, drawing progress bars on a terminal; a signal stops
    its run after the frame in flight (the command line's stop flag)."""
    from faceplate.cli.progress_bar import StageBars
    from faceplate.nodes import ShotNode  # the pipeline loads only when a shot command runs
    from faceplate.pipeline.stop import StopFlag
    context = click.get_current_context(silent=True)
    stop = context.find_object(StopFlag) if context is not None else None
    node = ShotNode.from_file(spec, progress=StageBars(), stop=stop)
    if stop is not None:
        stop.watched = True
    return node


def print_result(result: ShotResult) -> None:
    """What a run did, in three lines."""
    summary = result.report.summary
    rendered = result.render
    click.echo(f"frames rendered: {len(rendered.records) - len(rendered.reused)}; "
               f"already complete: {len(rendered.reused)}; "
               f"flagged in shot: {summary['flagged']} {summary['flagged_frames']}")
    click.echo(f"qc: {result.report.qc_json}")
    click.echo(f"report: {result.report.index_html}")
