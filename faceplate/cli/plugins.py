"""``faceplate plugins`` and ``faceplate plugin-path HOST``: the plugins, where they come from."""

from __future__ import annotations

import click

from faceplate.errors import SpecError
from faceplate.registry import load
from faceplate.registry import plugins as registered


@click.command()
def plugins() -> None:
    """List the farm and host plugins and where each comes from (models: `faceplate models
    list`)."""
    for p in registered():
        click.echo(f"{p.group:16} {p.name:10} {p.target:36} {p.distribution} {p.version} "
                   f"({p.location})")


@click.command("plugin-path")
@click.argument("host")
def plugin_path(host: str) -> None:
    """Print the folder of HOST's plugin (nuke: for NUKE_PATH; resolve: the Scripts folder)."""
    module = load("faceplate.hosts", host, key="HOST")
    where = getattr(module, "plugin_path", None)
    if not callable(where):
        raise SpecError(f"host plugin {host!r} has no plugin_path()", key="HOST")
    click.echo(str(where()))
