"""The ``faceplate`` command line, one module per command group (see :mod:`faceplate.cli.main`)."""

from faceplate.cli.main import main

__all__ = ["main"]
