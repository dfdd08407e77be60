"""``faceplate submit``: send one shot to a farm as dependent stage tasks."""

from __future__ import annotations

from pathlib import Path

import click

from faceplate.cli.output import Output, output_options
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
@click.option("-o", "--option", "options", multiple=True, metavar="KEY=VALUE",
              help="A farm resource option (repeatable), over the spec's farm: section and "
                   "faceplate.yaml: slurm partition/account/time/mem/cpus/gres, deadline "
                   "pool/group/priority, opencue show/user/uid/cores/memory/service/autoeat.")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), default=None,
              metavar="OUTDIR", help="Write the job files and submit.sh to OUTDIR only.")
@click.option("--list", "list_farms", is_flag=True, help="List farm backends and exit.")
@output_options
def submit(spec: Path | None, farm: str, chunk: int, max_parallel: int | None,
           options: tuple[str, ...], dry_run: Path | None, list_farms: bool,
           out: Output) -> None:
    """Submit SPEC to a farm: analyse → solve → render (chunked) → report.

    The report runs once render has ended, whatever its exit, and exits 3 naming the frames
    that failed; a failed analyse or solve stops what follows it (see docs/farm.md)."""
    if list_farms:
        found = list(plugins((GROUP,)))
        for p in found:
            out.line(f"{p.name}: {p.target} ({p.distribution} {p.version}, {p.location})")
        out.result({"farms": [{"name": p.name, "target": p.target,
                               "distribution": p.distribution, "version": p.version,
                               "location": p.location} for p in found]})
        return
    if spec is None:
        raise click.UsageError("missing argument SPEC")
    outdir = dry_run or Path(spec).absolute().parent / "farm"
    ids = submit_shot(spec, farm, chunk=chunk, outdir=outdir, dry_run=dry_run is not None,
                      max_parallel=max_parallel, options=options)
    out.line(f"job files: {outdir}")
    for job in ids:
        out.line(f"submitted: {job}")
    script = outdir / "submit.sh"
    if dry_run is not None and script.is_file():
        out.line(f"submit with: bash {script}")
    out.result({"farm": farm, "job_files": str(outdir), "dry_run": dry_run is not None,
                "submit_script": str(script) if script.is_file() else None, "jobs": ids})
