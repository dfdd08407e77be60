"""The lifecycle every node shares, on the model of OpenCue pyoutline's ``Layer.execute``: the base
class checks, runs the subclass's ``_execute``, checks the outputs, and records.

``process()`` (or calling the node) runs::

    validate()          what the inputs mean (colourspaces, models, sources); raises before
                        anything is written
    inputs() exist      every file the node declares it reads is there
    _execute()          the work (the one method a node must fill in)
    check(result)       every file the node declares it wrote is there (``outputs(result)``)
    record(result)      logs ``summary(result)`` (the line a farm task's log or ``-v`` shows)
                        and returns what callers get
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Generic, TypeVar

from faceplate.errors import OutputError, StageError

Result = TypeVar("Result")


class Node(ABC, Generic[Result]):
    """One processing step. Errors are :class:`faceplate.FaceplateError` subclasses carrying
    frame and path."""

    #: The node's name in progress reports and logs.
    name: str = "node"

    def validate(self) -> None:
        """Check what the inputs mean; raises before anything is written. Default: nothing."""

    def inputs(self) -> Sequence[tuple[Path, str]]:
        """Files the node reads, which must exist before it runs (an earlier stage's output),
        each with what to say when it does not."""
        return ()

    @abstractmethod
    def _execute(self) -> Result:
        """Do the work and return what was made."""

    def outputs(self, result: Result) -> Sequence[tuple[Path, int | None]]:
        """Files the node wrote (with the frame each belongs to), checked by :meth:`check`."""
        return ()

    def check(self, result: Result) -> None:
        """Check that every output :meth:`outputs` names is really there.

        Raises:
            OutputError: naming the missing file (and its frame).
        """
        for path, frame in self.outputs(result):
            if not path.is_file():
                raise OutputError("expected output is missing after the stage ran", path=path,
                                  frame=frame)

    def summary(self, result: Result) -> str:
        """One line saying what the node made."""
        return "done"

    def record(self, result: Result) -> Result:
        """Log :meth:`summary` and return what callers get."""
        logging.getLogger("faceplate").info("%s: %s", self.name, self.summary(result))
        return result

    def _check_inputs(self) -> None:
        for path, missing in self.inputs():
            if not path.is_file():
                raise StageError(missing, path=path)

    def process(self) -> Result:
        """validate → inputs exist → _execute → check outputs → record."""
        self.validate()
        self._check_inputs()
        result = self._execute()
        self.check(result)
        return self.record(result)

    __call__ = process
