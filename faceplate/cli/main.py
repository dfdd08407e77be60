"""The ``faceplate`` command group. With host plugins, the only place that catches
:class:`FaceplateError`: one ``ERROR:`` line and the error's exit code (see the README)."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from faceplate import __version__
from faceplate.cli.doctor import doctor
from faceplate.cli.models import models
from faceplate.cli.plugins import plugin_path, plugins
from faceplate.cli.probe import probe
from faceplate.cli.review import review
from faceplate.cli.signals import stop_on_signals
from faceplate.cli.stages import COMMANDS
from faceplate.cli.submit import submit
from faceplate.errors import FaceplateError, one_line
from faceplate.pipeline.stop import StopFlag


class _Boundary(click.Group):
    """Turns every error into one ``ERROR: <key|file|frame>: <what>`` line and the exit code of
    the README's table: faceplate errors, command-line usage errors (2), signals (130, 143)."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            _error(_usage_line(exc))
            sys.exit(exc.exit_code)
        except click.Abort:  # an interrupt click caught while it parsed the command line
            _error("SIGINT: interrupted")
            sys.exit(128 + signal.SIGINT)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        flag = ctx.ensure_object(StopFlag)
        try:
            with stop_on_signals(flag):
                return super().invoke(ctx)
        except FaceplateError as exc:
            _error(exc.one_line())
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            _error("SIGINT: interrupted")
            ctx.exit(128 + signal.SIGINT)


def _error(line: str) -> None:
    click.echo(f"ERROR: {one_line(line)}", err=True)


def _usage_line(exc: click.ClickException) -> str:
    """``<option or argument or command>: <what>`` of a command-line usage error."""
    where = getattr(exc, "option_name", None)
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        param = exc.param
        where = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
    if where is None and isinstance(exc, click.UsageError) and exc.ctx is not None:
        where = exc.ctx.command_path
    what = (exc.message if isinstance(exc, click.BadParameter) and exc.message
            and not isinstance(exc, click.MissingParameter) else exc.format_message())
    return f"{where}: {what}" if where else what


@click.group(cls=_Boundary)
@click.version_option(__version__, prog_name="faceplate")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage does.")
def main(verbose: bool) -> None:
    """faceplate: headless face replacement for VFX plates."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(name)s: %(message)s", stream=sys.stderr)


for _command in (*COMMANDS, review, doctor, plugins, plugin_path, probe, submit, models):
    main.add_command(_command)
