"""How every command prints: text lines, or one JSON document (``--json``), or nothing but
errors (``-q/--quiet``); and ``-v/--verbose`` and ``-q`` taken after the subcommand as well as
before it.

A command takes the options with :func:`output_options` and is handed an :class:`Output`::

    @click.command()
    @output_options
    def mark(out: Output, ...) -> None:
        out.line("marked")                 # text mode only
        out.result({"marked": [...]})      # the JSON document (--json)

Errors still go to stderr as ``ERROR:`` lines, whatever the mode (the command group's).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Output:
    """Where a command's output goes: ``json`` prints only the document given to
    :meth:`result`; ``quiet`` prints nothing on stdout."""

    json: bool = False
    quiet: bool = False
    _document: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> bool:
        """Whether text lines are printed (neither ``--json`` nor ``--quiet``)."""
        return not self.json and not self.quiet

    def line(self, text: str = "") -> None:
        """Print a line of the text output."""
        if self.text:
            click.echo(text)

    def result(self, document: dict[str, Any]) -> None:
        """Add ``document``'s keys to the JSON document (printed once the command ends)."""
        self._document.update(document)

    def finish(self) -> None:
        """Print the JSON document, if asked for (called when the command returns)."""
        if self.json and not self.quiet:
            click.echo(json.dumps(self._document, indent=2, default=str))


def set_verbosity(verbose: bool, quiet: bool) -> None:
    """Log INFO with ``verbose``, only errors with ``quiet``, else warnings (stderr)."""
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(name)s: %(message)s", stream=sys.stderr)
    root.setLevel(level)


def _group_flags() -> tuple[bool, bool]:
    """``-v``/``-q`` given before the subcommand (kept on the group's context object)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    flags = root.obj if root is not None and isinstance(root.obj, dict) else {}
    return bool(flags.get("verbose")), bool(flags.get("quiet"))


def output_options(func: F) -> F:
    """Give a command ``--json``, ``-q/--quiet`` and ``-v/--verbose`` and pass it ``out``."""

    @click.option("--json", "as_json", is_flag=True,
                  help="Print one JSON document on stdout instead of text.")
    @click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
    @click.option("-v", "--verbose", is_flag=True, help="Log what each stage does.")
    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
        group_verbose, group_quiet = _group_flags()
        quiet, verbose = quiet or group_quiet, verbose or group_verbose
        set_verbosity(verbose, quiet)
        out = Output(json=as_json, quiet=quiet)
        result = func(*args, out=out, **kwargs)
        out.finish()
        return result
    return wrapper  # type: ignore[return-value]
