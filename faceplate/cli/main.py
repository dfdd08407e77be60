"""The ``faceplate`` command group. With host plugins, the only place that catches
:class:`FaceplateError`: one ``ERROR:`` line and the error's exit code (see the README)."""

from __future__ import annotations

from typing import Any

import click

from faceplate import __version__
from faceplate.cli.doctor import doctor
from faceplate.cli.models import models
from faceplate.cli.output import set_verbosity
from faceplate.cli.plugins import plugin_path, plugins
from faceplate.cli.probe import probe
from faceplate.cli.review import review
from faceplate.cli.spec import spec_group
from faceplate.cli.stages import COMMANDS
from faceplate.cli.submit import submit
from faceplate.errors import FaceplateError


class _Boundary(click.Group):
    """Turns faceplate errors into one ``ERROR:`` line and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FaceplateError as exc:
            for line in str(exc).splitlines() or [""]:  # several spec errors: one line each
                click.echo(f"ERROR: {line}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Boundary)
@click.version_option(__version__, prog_name="faceplate")
@click.option("-v", "--verbose", is_flag=True,
              help="Log what each stage does (also after the subcommand).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing but errors (also after the subcommand).")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """faceplate: headless face replacement for VFX plates."""
    ctx.obj = {"verbose": verbose, "quiet": quiet}
    set_verbosity(verbose, quiet)


for _command in (*COMMANDS, review, doctor, plugins, plugin_path, probe, submit, models,
                 spec_group):
    main.add_command(_command)
