"""``faceplate probe``: a plate sequence as it stands on disk."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("pattern")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def probe(pattern: str, as_json: bool) -> None:
    """Print the sequence PATTERN found on disk: range, holes, size, channels, windows, colour."""
    from faceplate.plateio.probe import format_table, probe_sequence  # OpenImageIO, on use
    info = probe_sequence(pattern)
    click.echo(json.dumps(info.as_dict(), indent=2) if as_json else format_table(info))
