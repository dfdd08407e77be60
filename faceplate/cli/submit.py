"""``faceplate submit``: send one shot to a farm as dependent stage tasks."""

from __future__ import annotations

from pathlib import Path

import click

from faceplate.farm import GROUP, submit_shot
from faceplate.registry import plugins


@click.command()
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option("--farm", default="local", show_default=True,
              help="Farm backend: local, slurm, opencue, deadline (see --list).")
@click.option("--chunk", default=10, show_default=True, help="Frames per render task.")
@click.option("--max-parallel", "max_parallel", type=int, default=None, metavar="N",
              help="Render tasks running at once (local: worker processes, default the CPU "
                   "count).")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), default=None,
              metavar="OUTDIR", help="Write the job files to OUTDIR only.")
@click.option("--list", "list_farms", is_flag=True, help="List farm backends and exit.")
def submit(spec: Path | None, farm: str, chunk: int, max_parallel: int | None,
           dry_run: Path | None, list_farms: bool) -> None:
    """Submit SPEC to a farm: analyse → solve → render (chunked) → report."""
    if list_farms:
        for p in plugins((GROUP,)):
            click.echo(f"{p.name}: {p.target} ({p.distribution} {p.version}, {p.location})")
        return
    if spec is None:
        raise click.UsageError("missing argument SPEC")
    outdir = dry_run or Path(spec).absolute().parent / "farm"
    ids = submit_shot(spec, farm, chunk=chunk, outdir=outdir, dry_run=dry_run is not None,
                      max_parallel=max_parallel)
    click.echo(f"job files: {outdir}")
    for job in ids:
        click.echo(f"submitted: {job}")
