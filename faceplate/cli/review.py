"""``faceplate review``: reviewer decisions per frame range, kept beside the spec."""

from __future__ import annotations

from pathlib import Path

import click

from faceplate.cli.options import frames_option
from faceplate.errors import SpecError
from faceplate.spec import check_inputs, load_spec
from faceplate.spec.overrides import Override, add_override, overrides_path, parse_set


@click.group()
def review() -> None:
    """Reviewer decisions per frame range, kept in overrides.yaml beside the spec."""


@review.command("mark")
@click.argument("spec", type=click.Path(path_type=Path))
@click.argument("frames")
@click.option("--skip", is_flag=True, help="Pass these frames through unswapped.")
@click.option("--hold", type=int, default=None, metavar="FRAME",
              help="Use FRAME's alignment on these frames.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Change a swap parameter on these frames (repeatable).")
def review_mark(spec: Path, frames: str, skip: bool, hold: int | None,
                assignments: tuple[str, ...]) -> None:
    """Mark FRAMES of SPEC: --skip, --hold FRAME or --set key=value."""
    chosen = [name for name, on in (("--skip", skip), ("--hold", hold is not None),
                                    ("--set", bool(assignments))) if on]
    if len(chosen) != 1:
        raise SpecError("give exactly one of --skip, --hold FRAME, --set key=value", key="review")
    shot = check_inputs(load_spec(spec))
    selected = tuple(frames_option(frames, key="FRAMES") or ())
    if skip:
        override = Override(selected, "skip")
    elif hold is not None:
        override = Override(selected, "hold", hold=hold)
    else:
        override = Override(selected, "set", values=parse_set(list(assignments)))
    path = overrides_path(shot.spec_path)
    assert path is not None  # a spec loaded from a file has a path
    add_override(path, override, shot.plate.frames)
    click.echo(f"{path}: {override.as_yaml()}")
    click.echo(f"re-render with: faceplate run {spec} --only overridden")
