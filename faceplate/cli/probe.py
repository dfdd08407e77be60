"""``faceplate probe``: a plate sequence as it stands on disk."""

from __future__ import annotations

import click

from faceplate.cli.output import Output, output_options


@click.command()
@click.argument("pattern")
@output_options
def probe(pattern: str, out: Output) -> None:
    """Print the sequence PATTERN found on disk: range, holes, size, channels, windows, colour.

    Exits 2 when no file matches PATTERN, 3 when its first frame is unreadable."""
    from faceplate.plateio.probe import format_table, probe_sequence  # OpenImageIO, on use
    info = probe_sequence(pattern)
    out.line(format_table(info))
    out.result(info.as_dict())
