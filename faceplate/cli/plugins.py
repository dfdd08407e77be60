"""``faceplate plugins`` and ``faceplate plugin-path HOST``: the plugins, where they come from."""

from __future__ import annotations

import click

from faceplate.cli.output import Output, output_options
from faceplate.errors import SpecError
from faceplate.registry import load
from faceplate.registry import plugins as registered


@click.command()
@output_options
def plugins(out: Output) -> None:
    """List the farm and host plugins and where each comes from (models: `faceplate models
    list`)."""
    found = list(registered())
    for p in found:
        out.line(f"{p.group:16} {p.name:10} {p.target:36} {p.distribution} {p.version} "
                 f"({p.location})")
    out.result({"plugins": [{"group": p.group, "name": p.name, "target": p.target,
                             "distribution": p.distribution, "version": p.version,
                             "location": p.location, "origin": p.origin} for p in found]})


@click.command("plugin-path")
@click.argument("host")
@output_options
def plugin_path(host: str, out: Output) -> None:
    """Print the folder of HOST's plugin (nuke: for NUKE_PATH; resolve: the Scripts folder)."""
    module = load("faceplate.hosts", host, key="HOST")
    where = getattr(module, "plugin_path", None)
    if not callable(where):
        raise SpecError(f"host plugin {host!r} has no plugin_path()", key="HOST")
    out.line(str(where()))
    out.result({"host": host, "path": str(where())})
