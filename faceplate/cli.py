"""The ``faceplate`` command line. The only place (with host plugins) that catches
:class:`FaceplateError`; exit codes are listed in the README."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from faceplate import __version__
from faceplate.errors import FaceplateError


class _Boundary(click.Group):
    """Turns faceplate errors into one ``ERROR:`` line and the error's exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FaceplateError as exc:
            click.echo(f"ERROR: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _frames_option(text: str | None) -> list[int] | None:
    if text is None:
        return None
    from faceplate.errors import SpecError
    from faceplate.plateio.sequence import parse_frames
    try:
        return parse_frames(text)
    except SpecError as exc:
        raise SpecError(exc.message, key="--frames") from None


def _node(spec: Path):
    from faceplate.nodes import ShotNode
    from faceplate.progress_bar import StageBars
    return ShotNode.from_file(spec, progress=StageBars())


def _print_result(result) -> None:
    summary = result.report.summary
    rendered = result.render
    click.echo(f"frames rendered: {len(rendered.records) - len(rendered.reused)}; "
               f"already complete: {len(rendered.reused)}; "
               f"flagged in shot: {summary['flagged']} {summary['flagged_frames']}")
    click.echo(f"qc: {result.report.qc_json}")
    click.echo(f"report: {result.report.index_html}")


force_opt = click.option("--force", is_flag=True,
                         help="Render every frame again, even those already complete and current.")
frames_opt = click.option("--frames", "frames", default=None, metavar="RANGE",
                          help="Frames to render, e.g. 1001-1010 (default: the whole plate).")


@click.group(cls=_Boundary)
@click.version_option(__version__, prog_name="faceplate")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage does.")
def main(verbose: bool) -> None:
    """faceplate: headless face replacement for VFX plates."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(name)s: %(message)s", stream=sys.stderr)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@frames_opt
@force_opt
@click.option("--only", type=click.Choice(["flagged", "overridden"]), default=None,
              help="Re-render only the frames flagged in the last report, or those a "
                   "reviewer overrode.")
def run(spec: Path, frames: str | None, force: bool, only: str | None) -> None:
    """Run a shot: analyse, solve, render FRAMES (default all) and report.

    Frames whose outputs are complete and current are kept (a re-run resumes)."""
    _print_result(_node(spec).run(_frames_option(frames), only, force=force))


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo_out"),
              show_default=True, help="Folder for the demo shot and its results.")
def demo(out_dir: Path) -> None:
    """Build the demo shot from the embedded portraits and run it."""
    from faceplate.demo import build_demo_shot
    spec = build_demo_shot(out_dir.absolute())
    click.echo(f"demo shot: {spec}")
    node = _node(spec)
    result = node.run()
    click.echo(f"swapped frames: {node.spec.output.path}")
    if node.spec.output.matte is not None:
        click.echo(f"mattes: {node.spec.output.matte}")
    _print_result(result)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
def analyse(spec: Path) -> None:
    """Stage 1: find faces on every frame (cached)."""
    result = _node(spec).analyse()
    click.echo(f"analysed {len(result.frames)} frames")


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
def solve(spec: Path) -> None:
    """Stage 2: link faces into tracks over the whole shot and smooth them."""
    solved = _node(spec).solve()
    for s in solved:
        click.echo(f"swap {s.swap} ({s.source}): track {s.track}, {len(s.faces)} frames")


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@frames_opt
@force_opt
def render(spec: Path, frames: str | None, force: bool) -> None:
    """Stage 3: render FRAMES from the solved tracks (a farm chunk).

    Frames already complete and current are kept; a frame that fails fails the task (exit 3)
    after the other frames are done."""
    from faceplate.errors import IncompleteShotError
    result = _node(spec).render(_frames_option(frames), force=force)
    click.echo(f"rendered {len(result.records) - len(result.reused)} frames; "
               f"already complete: {len(result.reused)}")
    if result.failed:
        from faceplate.plateio.sequence import format_frames
        raise IncompleteShotError(f"{len(result.failed)} frame(s) not written: "
                                  f"{format_frames(result.failed)}", frames=result.failed)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--compare", nargs=2, default=None, metavar="A B",
              help="Two versions (QC folders or qc.json files) to show side by side.")
def report(spec: Path, compare: tuple[str, str] | None) -> None:
    """Stage 4: merge frame records into qc.json and index.html (or compare two versions)."""
    node = _node(spec)
    if compare:
        from faceplate.pipeline.compare import compare_versions
        page = compare_versions(node.spec, node.ctx, Path(compare[0]), Path(compare[1]))
        click.echo(f"compare: {page}")
        return
    result = node.report()
    click.echo(f"qc: {result.qc_json}\nreport: {result.index_html}")


@main.group()
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
    from faceplate.errors import SpecError
    from faceplate.pipeline.overrides import Override, add_override, overrides_path, parse_set
    from faceplate.pipeline.spec import load_spec
    chosen = [name for name, on in (("--skip", skip), ("--hold", hold is not None),
                                    ("--set", bool(assignments))) if on]
    if len(chosen) != 1:
        raise SpecError("give exactly one of --skip, --hold FRAME, --set key=value", key="review")
    shot = load_spec(spec)
    selected = tuple(_frames_option(frames) or ())
    if skip:
        override = Override(selected, "skip")
    elif hold is not None:
        override = Override(selected, "hold", hold=hold)
    else:
        override = Override(selected, "set", values=parse_set(list(assignments)))
    path = overrides_path(shot.spec_path)
    add_override(path, override, shot.plate.frames)
    click.echo(f"{path}: {override.as_yaml()}")
    click.echo(f"re-render with: faceplate run {spec} --only overridden")


@main.command()
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option("--ocio", "ocio_config", default=None, help="Config to check instead of the default.")
def doctor(spec: Path | None, ocio_config: str | None) -> None:
    """Say which OCIO config, models and execution providers a run would use, and from where.

    With SPEC, load the shot's models and show the provider each one actually got."""
    import importlib.util
    import onnxruntime
    from faceplate.context import RunContext
    shot = None
    if spec is not None:
        from faceplate.pipeline.spec import load_spec
        shot = load_spec(spec)
    ctx = RunContext.create(ocio_config or (shot.ocio if shot else None),
                            models=shot.models if shot else None)
    choice = ctx.colour.choice
    click.echo(f"faceplate {__version__}")
    click.echo(f"OCIO config: {choice.uri} (from {choice.origin})")
    for name, version in ctx.models.versions().items():
        click.echo(f"{name}: {version}")
    for m in ctx.models.models:
        click.echo(f"model {m.id}: {m.role}, {m.distribution} {m.file}, licence {m.licence}")
    click.echo(f"onnxruntime {onnxruntime.__version__}: providers available "
               f"{', '.join(onnxruntime.get_available_providers())}")
    torch = "installed" if importlib.util.find_spec("onnx2torch") and importlib.util.find_spec("torch") \
        else "not installed (pip install 'faceplate[torch]')"
    click.echo(f"torch backend (onnx2torch): {torch}")
    if shot is not None and shot.models.learned:
        from faceplate.pipeline.shot import ShotRunner
        ShotRunner(shot, ctx).check()
        for model, provider in ctx.providers().items():
            click.echo(f"{model}: runs on {provider}")


@main.command()
def plugins() -> None:
    """List the farm and host plugins and where each comes from (models: `faceplate models list`)."""
    from faceplate.plugin.registry import plugins as registered
    for p in registered():
        click.echo(f"{p.group:16} {p.name:10} {p.target:36} {p.distribution} {p.version} ({p.location})")


# Command groups from other packages register here, one line each.
from faceplate.plateio.probe_cli import probe; main.add_command(probe)  # noqa: E402
from faceplate.farm.cli import submit; main.add_command(submit)  # noqa: E402
from faceplate.models.cli import models; main.add_command(models)  # noqa: E402
from faceplate.plugin.cli import plugin_path; main.add_command(plugin_path)  # noqa: E402
