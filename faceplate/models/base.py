"""What every ONNX adapter shares: its session and batched calls."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from faceplate.errors import ModelError
from faceplate.models.runtime import ModelRegistry, Session


class OnnxAdapter:
    """An adapter bound to one model of a registry (the session is made on first use)."""

    #: Whether the model reads an image of the manifest's ``size`` (every role but the
    #: converter, which reads an embedding).
    reads_image = True

    def __init__(self, registry: ModelRegistry, model_id: str) -> None:
        """Raises:
            ModelError: the model reads an image and its manifest entry gives no ``size``
                (the image's side, in pixels) or not a whole number above 0.
        """
        self.registry = registry
        self.entry = registry.entry(model_id)
        self.template = self.entry.template or "arcface_128"
        size = self.entry.size
        if self.reads_image and (not isinstance(size, int) or isinstance(size, bool)
                                 or size <= 0):
            raise ModelError(f"model {model_id}: its manifest entry needs `size`, the side in "
                             f"pixels of the image a {self.entry.role} reads (a whole number "
                             f"above 0), not {size!r}")
        self.size = int(size or 0)

    @property
    def id(self) -> str:
        """The model's manifest id."""
        return self.entry.id

    @property
    def session(self) -> Session:
        return self.registry.session(self.entry.id)

    def run_batched(self, batch: NDArray[np.float32], name: str,
                    feeds: Callable[[NDArray[np.float32]], dict[str, np.ndarray]]
                    ) -> NDArray[np.float32]:
        """First output over ``batch``: one call when input ``name`` is batched, else per item."""
        if not len(batch):
            return np.zeros((0,), np.float32)
        if self.session.batched(name):
            return self.session.run(feeds(batch))[0]
        return np.concatenate([self.session.run(feeds(batch[i:i + 1]))[0]
                               for i in range(len(batch))])
