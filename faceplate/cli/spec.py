"""``faceplate spec``: the shot spec's JSON Schema, and checking a spec."""

from __future__ import annotations

import json
from pathlib import Path

import click

from faceplate.cli.output import Output, output_options
from faceplate.spec import check_inputs, load_spec


@click.group("spec")
def spec_group() -> None:
    """The shot spec: its JSON Schema, and checking a spec file."""


@spec_group.command("schema")
def schema() -> None:
    """Print the JSON Schema of the shot spec (for editors: yaml-language-server, CI)."""
    from faceplate.spec.contract import json_schema
    click.echo(json.dumps(json_schema(), indent=2))


@spec_group.command("check")
@click.argument("spec", type=click.Path(path_type=Path))
@output_options
def check(spec: Path, out: Output) -> None:
    """Check SPEC: every problem of the YAML at once (one ERROR line each, exit 2), then the
    input files it names. Opens no image and writes nothing."""
    shot = check_inputs(load_spec(spec))
    out.line(f"{shot.spec_path}: ok (shot {shot.shot}, {len(shot.plate.frames)} frames)")
    out.result({"spec": str(shot.spec_path), "shot": shot.shot, "ok": True,
                "frames": len(shot.plate.frames)})
