"""``faceplate review``: reviewer decisions per frame range, kept in ``overrides.yaml`` beside
the spec, from the command line (``mark``), the review page (``serve``) or an OTIO timeline
(``import-otio``). Every decision goes through :func:`mark`, so each is checked and written
with its audit line (who, when, through what) the same way."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import click

from faceplate.cli.output import Output, output_options
from faceplate.errors import SpecError
from faceplate.frames import format_frames, parse_frames
from faceplate.spec import ShotSpec, check_inputs, load_spec
from faceplate.spec.overrides import (
    Action,
    Override,
    add_override,
    check_override,
    load_overrides,
    overrides_path,
    parse_set,
    utc_stamp,
)


def reviewer() -> str:
    """Who is deciding, when ``--by`` is not given: the login name."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


by_opt = click.option("--by", default=None, metavar="NAME",
                      help="Who decides, for the audit line (default: your login name).")


@dataclass(frozen=True)
class Marked:
    """A decision written to ``path``."""

    path: Path
    override: Override

    def line(self) -> str:
        """The one line ``review mark``, ``review serve`` and ``import-otio`` print."""
        return (f"frames {format_frames(list(self.override.frames))}: "
                f"{self.override.describe()} → {self.path}")


def frames_arg(text: str, key: str = "frames") -> tuple[int, ...]:
    """The frames of a FRAMES argument.

    Raises:
        SpecError: not a frame range (naming ``key``).
    """
    try:
        return tuple(parse_frames(text))
    except SpecError as exc:
        raise SpecError(exc.message, key=key) from None


def decide(shot: ShotSpec, frames: tuple[int, ...], action: Action, *,
           hold: int | None = None, assignments: tuple[str, ...] = (), by: str, via: str,
           now: datetime | None = None, key: str = "decision",
           set_key: str | None = None) -> Override:
    """One decision with its audit line, checked against the shot (not written yet).

    Raises:
        SpecError: the decision breaks the rules, naming ``key`` (where it came from; the
            assignments' errors name ``set_key``, else ``key``).
    """
    if action == "hold" and hold is None:
        raise SpecError("hold needs the frame whose alignment to use", key="hold")
    values = parse_set(list(assignments), key=set_key or key) if action == "set" else {}
    override = Override(frames, action, hold=hold if action == "hold" else None, values=values,
                        by=by, at=utc_stamp(now or datetime.now(timezone.utc)), via=via)
    check_override(override, shot.plate.frames, key)
    return override


def overrides_file(shot: ShotSpec) -> Path:
    """The shot's ``overrides.yaml``.

    Raises:
        SpecError: a spec built in code has none.
    """
    path = overrides_path(shot.spec_path)
    if path is None:
        raise SpecError("a spec built in code has no overrides.yaml beside it", key="spec")
    return path


def mark(shot: ShotSpec, frames: tuple[int, ...], action: Action, *, hold: int | None = None,
         assignments: tuple[str, ...] = (), by: str, via: str, now: datetime | None = None,
         key: str = "decision", set_key: str | None = None) -> Marked:
    """Check one decision and append it to the shot's ``overrides.yaml`` with its audit line:
    the one way ``review mark``, ``review serve`` and ``import-otio`` write decisions.

    Raises:
        SpecError: the decision breaks the rules (nothing is written).
    """
    override = decide(shot, frames, action, hold=hold, assignments=assignments, by=by, via=via,
                      now=now, key=key, set_key=set_key)
    path = overrides_file(shot)
    add_override(path, override, shot.plate.frames)
    return Marked(path, override)


def rerender_hint(spec: Path, marked: list[Marked]) -> str | None:
    """How to apply the decisions (None when none of them changes a render)."""
    if any(m.override.changes_render for m in marked):
        return f"re-render with: faceplate run {spec} --only overridden"
    return None


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
@click.option("--approve", is_flag=True, help="Approve these frames as rendered.")
@by_opt
@output_options
def review_mark(spec: Path, frames: str, skip: bool, hold: int | None,
                assignments: tuple[str, ...], approve: bool, by: str | None,
                out: Output) -> None:
    """Mark FRAMES of SPEC: --skip, --hold FRAME, --set key=value or --approve."""
    given: tuple[tuple[Action, bool], ...] = (
        ("skip", skip), ("hold", hold is not None), ("set", bool(assignments)),
        ("approve", approve))
    chosen = [name for name, on in given if on]
    if len(chosen) != 1:
        raise SpecError("give exactly one of --skip, --hold FRAME, --set key=value, --approve",
                        key="review")
    shot = check_inputs(load_spec(spec))
    marked = mark(shot, frames_arg(frames, "FRAMES"), chosen[0], hold=hold,
                  assignments=assignments, by=by or reviewer(), via="review mark",
                  key="review mark", set_key="--set")
    out.line(marked.line())
    hint = rerender_hint(spec, [marked])
    if hint:
        out.line(hint)
    out.result({"overrides": str(marked.path), "decision": marked.override.as_record(),
                "rerender": hint})


@review.command("serve")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@by_opt
def review_serve(spec: Path, port: int, by: str | None) -> None:
    """Serve SPEC's review page on 127.0.0.1 and take decisions from it (Ctrl-C stops)."""
    from faceplate.cli.review_server import serve
    shot = check_inputs(load_spec(spec))
    serve(shot, spec, port=port, by=by or reviewer())


@review.command("import-otio")
@click.argument("timeline", type=click.Path(path_type=Path))
@click.option("--spec", "spec", type=click.Path(path_type=Path), default=None,
              help="The shot's spec (default: the one the timeline was exported for).")
@by_opt
@output_options
def review_import_otio(timeline: Path, spec: Path | None, by: str | None, out: Output) -> None:
    """Read decisions from the markers of an OTIO TIMELINE into overrides.yaml.

    A marker named `skip`, `hold N`, `set key=value ...` or `approve` is a decision over the
    frames it covers; faceplate's own flag markers and other markers are listed, not used."""
    from faceplate.pipeline.report.timeline import read_decisions
    found = read_decisions(timeline)
    spec_path = spec or found.spec
    if spec_path is None:
        raise SpecError("the timeline does not name its shot's spec: give --spec", key="--spec")
    shot = check_inputs(load_spec(spec_path))
    who, via = by or reviewer(), f"otio {timeline.name}"
    path = overrides_file(shot)
    before = {_same(o) for o in load_overrides(path, shot.plate.frames)}
    # every marker is checked before the first decision is written
    decisions = [decide(shot, d.frames, d.action, hold=d.hold, assignments=d.assignments,
                        by=who, via=via, key=d.marker) for d in found.decisions]
    marked, already = [], []
    for override in decisions:
        if _same(override) in before:
            already.append(override)
            out.line(f"already in {path.name}: frames "
                     f"{format_frames(list(override.frames))}: {override.what()}")
            continue
        add_override(path, override, shot.plate.frames)
        before.add(_same(override))
        marked.append(Marked(path, override))
        out.line(marked[-1].line())
    for note in found.ignored:
        out.line(f"not a decision, left out: {note}")
    out.line(f"{len(marked)} decision(s) imported from {timeline}")
    hint = rerender_hint(spec_path, marked)
    if hint:
        out.line(hint)
    out.result({"overrides": str(path), "imported": [m.override.as_record() for m in marked],
                "already": [o.as_record() for o in already], "left_out": found.ignored,
                "rerender": hint})


def _same(o: Override) -> tuple[object, ...]:
    """What makes two decisions one (their audit aside), so a timeline imported twice adds
    nothing the second time."""
    return (o.frames, o.action, o.hold, tuple(sorted(o.values.items())), o.via)
