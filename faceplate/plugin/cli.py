"""``faceplate plugin-path HOST``: the folder to install a host plugin from."""

from __future__ import annotations

import click


@click.command("plugin-path")
@click.argument("host")
def plugin_path(host: str) -> None:
    """Print the folder of HOST's plugin (nuke: for NUKE_PATH; resolve: the Scripts folder)."""
    from faceplate.plugin.registry import load
    module = load("faceplate.hosts", host, key="HOST")
    click.echo(str(module.plugin_path()))  # type: ignore[attr-defined]
