"""The lifecycle every node shares: validate inputs → execute → check outputs → record results."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

Result = TypeVar("Result")


class Node(ABC, Generic[Result]):
    """One processing step. Call :meth:`process` (or the node itself); subclasses fill in the
    four phases. Errors are :class:`faceplate.FaceplateError` subclasses carrying frame and path.
    """

    #: The node's name in progress reports and logs.
    name: str = "node"

    def validate(self) -> None:
        """Check the inputs; raises before anything is written. Default: nothing to check."""

    @abstractmethod
    def execute(self) -> Result:
        """Do the work and return what was made."""

    def check(self, result: Result) -> None:
        """Check the outputs ``result`` names are really there. Default: nothing to check."""

    def record(self, result: Result) -> Result:
        """Record the results (files others read) and return what callers get. Default: as is."""
        return result

    def process(self) -> Result:
        """validate → execute → check → record."""
        self.validate()
        result = self.execute()
        self.check(result)
        return self.record(result)

    __call__ = process
