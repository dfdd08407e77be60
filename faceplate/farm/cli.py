"""``faceplate submit``: send one shot to a farm as dependent stage tasks."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option("--farm", default="slurm", show_default=True, help="Farm backend.")
@click.option("--chunk", default=10, show_default=True, help="Frames per render task.")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), default=None,
              metavar="OUTDIR", help="Write the job files to OUTDIR only.")
@click.option("--list", "list_farms", is_flag=True, help="List farm backends and exit.")
def submit(spec: Path | None, farm: str, chunk: int, dry_run: Path | None, list_farms: bool) -> None:
    """Submit SPEC to a farm: analyse → solve → render (chunked) → report."""
    from faceplate.farm import BACKENDS, backend
    from faceplate.farm.plan import plan_shot
    from faceplate.pipeline.spec import load_spec
    if list_farms:
        for name, target in sorted(BACKENDS.items()):
            click.echo(f"{name}: {target}")
        return
    if spec is None:
        raise click.UsageError("missing argument SPEC")
    shot = load_spec(spec)
    plan = plan_shot(shot.shot, spec, list(shot.plate.frames), chunk)
    outdir = dry_run or Path(spec).absolute().parent / "farm"
    ids = backend(farm)(plan, outdir, dry_run=dry_run is not None)
    click.echo(f"job files: {outdir}")
    for job in ids:
        click.echo(f"submitted: {job}")
