"""The shot commands: ``run``, ``demo`` and one command per stage."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from faceplate.cli.options import force_opt, frames_opt, frames_option, print_result, shot_node


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@frames_opt
@force_opt
@click.option("--only", type=click.Choice(["flagged", "overridden"]), default=None,
              help="Re-render only the frames flagged in the last report, or those a "
                   "reviewer overrode.")
def run(spec: Path, frames: str | None, force: bool,
        only: Literal["flagged", "overridden"] | None) -> None:
    """Run a shot: analyse, solve, render FRAMES (default all) and report.

    Frames whose outputs are complete and current are kept (a re-run resumes)."""
    print_result(shot_node(spec).run(frames_option(frames), only, force=force))


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo_out"),
              show_default=True, help="Folder for the demo shot and its results.")
def demo(out_dir: Path) -> None:
    """Build the demo shot from the embedded portraits and run it."""
    from faceplate.demo import build_demo_shot
    spec = build_demo_shot(out_dir.absolute())
    click.echo(f"demo shot: {spec}")
    node = shot_node(spec)
    result = node.run()
    click.echo(f"swapped frames: {node.spec.output.path}")
    if node.spec.output.matte is not None:
        click.echo(f"mattes: {node.spec.output.matte}")
    print_result(result)


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
def analyse(spec: Path) -> None:
    """Stage 1: find faces on every frame (cached)."""
    result = shot_node(spec).analyse()
    click.echo(f"analysed {len(result.frames)} frames")


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
def solve(spec: Path) -> None:
    """Stage 2: link faces into tracks over the whole shot and smooth them."""
    solved = shot_node(spec).solve()
    for s in solved:
        click.echo(f"swap {s.swap} ({s.source}): track {s.track}, {len(s.faces)} frames")


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@frames_opt
@force_opt
def render(spec: Path, frames: str | None, force: bool) -> None:
    """Stage 3: render FRAMES from the solved tracks (a farm chunk).

    Frames already complete and current are kept; a frame that fails fails the task (exit 3)
    after the other frames are done."""
    from faceplate.pipeline.runner import incomplete
    result = shot_node(spec).render(frames_option(frames), force=force)
    click.echo(f"rendered {len(result.records) - len(result.reused)} frames; "
               f"already complete: {len(result.reused)}")
    if result.failed:
        raise incomplete(result.failed)


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--compare", nargs=2, default=None, metavar="A B",
              help="Two versions (QC folders or qc.json files) to show side by side.")
def report(spec: Path, compare: tuple[str, str] | None) -> None:
    """Stage 4: merge frame records into qc.json and index.html (or compare two versions)."""
    node = shot_node(spec)
    if compare:
        from faceplate.pipeline.report.compare import compare_versions
        page = compare_versions(node.spec, node.ctx, node.preflight(models=False),
                                Path(compare[0]), Path(compare[1]))
        click.echo(f"compare: {page}")
        return
    result = node.report()
    click.echo(f"qc: {result.qc_json}\nreport: {result.index_html}")
    if result.timeline is not None:
        click.echo(f"timeline: {result.timeline}")


COMMANDS = (run, demo, analyse, solve, render, report)
