"""A LiteRT interpreter for one ``.tflite`` file: loaded on first use, its contract checked.

Each :class:`TfliteModel` holds its own interpreter (LiteRT interpreters are not thread-safe,
so a pack instance is used by one thread at a time; processes each build their own).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceplate.errors import ModelError, ModelHashError
from faceplate.models.files import sha256_of


@dataclass(frozen=True)
class Contract:
    """What a model file must look like: its one float32 input's shape and its outputs by name."""

    input_shape: tuple[int, ...]
    outputs: dict[str, tuple[int, ...]]


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """The process's stderr (file descriptor 2) sent to the null device for the duration.

    LiteRT's C++ runtime prints ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` to
    it when the first interpreter of a process allocates its tensors, and offers no switch
    (neither ``TF_CPP_MIN_LOG_LEVEL`` nor an option); faceplate's stderr holds only ``ERROR:``
    lines. Only that call is wrapped (a few milliseconds)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


class TfliteModel:
    """``path`` run by LiteRT with ``threads`` CPU threads (None: LiteRT's default); with
    ``sha256``, a file with another hash is refused before it is loaded."""

    def __init__(self, path: str | Path, contract: Contract, threads: int | None,
                 sha256: str | None = None) -> None:
        self.path = Path(path)
        self.contract = contract
        self.threads = threads
        self.sha256 = sha256
        self._interpreter: Any = None
        self._input = 0
        self._outputs: dict[str, int] = {}

    def _load(self) -> None:
        if not self.path.is_file():
            raise ModelError(f"model file missing: {self.path}", path=self.path)
        if self.sha256 is not None:
            found = sha256_of(self.path)
            if found != self.sha256:
                raise ModelHashError(f"model file hash mismatch: {self.path}: expected sha256 "
                                     f"{self.sha256}, found {found}", path=self.path)
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelError(f"LiteRT is not installed (pip install ai-edge-litert): {exc}",
                             path=self.path) from None
        try:
            interpreter = Interpreter(model_path=str(self.path), num_threads=self.threads)
            with _native_stderr_silenced():
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"not a loadable LiteRT model: {self.path}: {exc}",
                             path=self.path) from None
        inputs = interpreter.get_input_details()
        outputs = {d["name"]: d for d in interpreter.get_output_details()}
        found_in = [tuple(int(v) for v in d["shape"]) for d in inputs]
        found_out = {n: tuple(int(v) for v in d["shape"]) for n, d in outputs.items()}
        if found_in != [self.contract.input_shape] or found_out != self.contract.outputs \
                or any(d["dtype"] is not np.float32 for d in inputs):
            raise ModelError(
                f"model does not match its contract: {self.path}: inputs {found_in}, outputs "
                f"{found_out}; expected input {self.contract.input_shape} float32, outputs "
                f"{self.contract.outputs}", path=self.path)
        self._interpreter = interpreter
        self._input = inputs[0]["index"]
        self._outputs = {n: int(d["index"]) for n, d in outputs.items()}

    def load(self) -> None:
        """Load and check the file now (otherwise the first :meth:`run` does)."""
        if self._interpreter is None:
            self._load()

    def run(self, tensor: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """Outputs by name for one input ``tensor`` of the contract's shape."""
        self.load()
        try:
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(tensor, np.float32))
            self._interpreter.invoke()
            return {n: np.array(self._interpreter.get_tensor(i)) for n, i in self._outputs.items()}
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"model failed to run: {self.path}: {exc}", path=self.path) from None
