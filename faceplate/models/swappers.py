"""Recognizer (ArcFace) and swapper (inswapper, HyperSwap, SimSwap, GHOST) adapters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceplate.errors import ModelError
from faceplate.models.align import warp_face
from faceplate.models.base import OnnxAdapter
from faceplate.models.protocols import AlignedFace, Embedding
from faceplate.models.tensors import from_tensor, to_tensor
from faceplate.types import Points5, RGBImage


class ArcFaceRecognizer(OnnxAdapter):
    """ArcFace: arcface_112_v2 at 112², RGB, x/127.5 − 1 → raw 512-d embedding."""

    def embed(self, frame: RGBImage, points: Sequence[Points5]) -> list[Embedding]:
        crops = [warp_face(frame, p, self.template, self.size)[0] for p in points]
        name = self.entry.inputs[0]
        out = self.run_batched(to_tensor(crops, self.entry), name, lambda b: {name: b})
        return [np.asarray(o, np.float32).reshape(-1) for o in out]


def source_vector(embedding: Embedding, mode: str, emap: np.ndarray | None) -> np.ndarray:
    """The swapper's ``source`` input from a raw embedding.

    ``emap``: embedding · emap / ‖embedding‖ (inswapper); ``l2``: L2-normalised; ``raw``: as is.
    """
    e = np.asarray(embedding, np.float32).reshape(-1)
    if mode == "emap":
        if emap is None:
            raise ModelError("inswapper model has no initializer to read emap from")
        return (e @ emap / np.linalg.norm(e)).astype(np.float32)[None]
    if mode == "l2":
        return (e / np.linalg.norm(e)).astype(np.float32)[None]
    return e[None]


class OnnxSwapper(OnnxAdapter):
    """Swapper families: inputs ``target`` (aligned crop, normalised) and ``source`` (embedding).

    Output ``[0]`` CHW RGB, de-normalised (``output: denorm``) or clipped to 0..1 (``clip``).
    """

    def swap(self, frame: RGBImage, points: Sequence[Points5],
             source: Embedding) -> list[AlignedFace]:
        warped = [warp_face(frame, p, self.template, self.size) for p in points]
        mode = str(self.entry.extra.get("source_embedding", "l2"))
        emap = self.session.initializers[-1] if self.session.initializers else None
        src = source_vector(source, mode, emap)
        target_name, source_name = self.entry.inputs[0], self.entry.inputs[1]

        def feeds(b: np.ndarray) -> dict[str, np.ndarray]:
            return {target_name: b, source_name: np.repeat(src, len(b), axis=0)}
        out = self.run_batched(to_tensor([c for c, _ in warped], self.entry), target_name, feeds)
        crops = from_tensor(out, self.entry, self.entry.extra.get("output") == "denorm")
        return [AlignedFace(c, m) for c, (_, m) in zip(crops, warped)]
