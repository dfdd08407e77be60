"""Embedding converters: an ArcFace embedding into the identity space a swapper was trained on
(SimSwap's and GHOST's ``crossface`` networks): input (N, 512) raw embedding, output (N, 512)."""

from __future__ import annotations

import numpy as np

from faceplate.models.base import OnnxAdapter
from faceplate.models.protocols import Embedding


class EmbeddingConverter(OnnxAdapter):
    """A converter named by a swapper's ``converter:`` manifest key."""

    reads_image = False  # an embedding: no ``size``

    def convert(self, embedding: Embedding) -> Embedding:
        name = self.entry.inputs[0]
        batch = np.asarray(embedding, np.float32)[np.newaxis]
        return np.asarray(self.session.run({name: batch})[0], np.float32).ravel()
