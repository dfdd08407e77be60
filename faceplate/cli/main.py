"""The ``faceplate`` command group. With host plugins, the only place that catches
:class:`FaceplateError`: one ``ERROR:`` line and the error's exit code (see the README)."""

from __future__ import annotations

import importlib
import signal
import sys
from typing import Any

import click

from faceplate import __version__
from faceplate.cli.output import set_verbosity
from faceplate.cli.signals import STOP_FLAG_KEY, stop_on_signals
from faceplate.errors import FaceplateError, one_line
from faceplate.memory import keep_freed_memory
from faceplate.pipeline.stop import StopFlag

#: Each command's module and name there: a command's module (and what it imports) is imported
#: only when that command runs or help lists it, so `faceplate render` pays for no report.
_COMMANDS = {
    "run": ("stages", "run"), "demo": ("stages", "demo"), "analyse": ("stages", "analyse"),
    "solve": ("stages", "solve"), "render": ("stages", "render"),
    "report": ("stages", "report"), "review": ("review", "review"),
    "doctor": ("doctor", "doctor"), "plugins": ("plugins", "plugins"),
    "plugin-path": ("plugins", "plugin_path"), "probe": ("probe", "probe"),
    "submit": ("submit", "submit"), "models": ("models", "models"),
    "spec": ("spec", "spec_group"),
}


class _Boundary(click.Group):
    """Turns every error into one ``ERROR: <key|file|frame>: <what>`` line and the exit code of
    the README's table: faceplate errors, command-line usage errors (2), signals (130, 143).
    Its commands are imported when they are looked up (:data:`_COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            module, name = _COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"faceplate.cli.{module}"), name)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        keep_freed_memory()  # a process of its own: frames' buffers reused, not faulted again
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
        flag = ctx.meta.setdefault(STOP_FLAG_KEY, StopFlag())
        try:
            with stop_on_signals(flag):
                return super().invoke(ctx)
        except FaceplateError as exc:
            for error in exc.parts():  # several spec errors or refused models: a line each
                _error(error.one_line())
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
@click.option("-v", "--verbose", is_flag=True,
              help="Log what each stage does (also after the subcommand).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing but errors (also after the subcommand).")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """faceplate: headless face replacement for VFX plates."""
    ctx.obj = {"verbose": verbose, "quiet": quiet}
    set_verbosity(verbose, quiet)
