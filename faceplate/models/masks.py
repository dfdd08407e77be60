"""Crop mattes: box, XSeg occlusion, BiSeNet regions; combined by minimum."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from faceplate.errors import ModelError
from faceplate.models.base import OnnxAdapter
from faceplate.models.tensors import to_tensor
from faceplate.types import Matte, RGBImage

#: BiSeNet face-parser classes a region name keeps.
REGIONS: dict[str, tuple[int, ...]] = {
    "skin": (1,), "left-eyebrow": (2,), "right-eyebrow": (3,), "left-eye": (4,), "right-eye": (5,),
    "glasses": (6,), "nose": (10,), "mouth": (11,), "upper-lip": (12,), "lower-lip": (13,),
}


def box_matte(size: int, blur: float) -> Matte:
    """A size² box feathered at the border (σ = 0.25·0.5·size·blur; the learned swap's
    ``box_blur``)."""
    sigma = 0.25 * 0.5 * size * blur
    pad = max(int(sigma), 1)
    m = np.zeros((size, size), np.float32)
    m[pad:size - pad, pad:size - pad] = 1.0
    return cv2.GaussianBlur(m, (0, 0), sigma) if sigma > 0 else m


def combine(*mattes: Matte) -> Matte:
    """Combine mattes of one crop by per-pixel minimum, clipped to 0..1."""
    return np.clip(np.minimum.reduce([np.asarray(m, np.float32) for m in mattes]), 0.0, 1.0)


class XSegMasker(OnnxAdapter):
    """XSeg occluder: 256² NHWC BGR/255 → occlusion matte (1 = face visible)."""

    def mask(self, crops: Sequence[RGBImage]) -> list[Matte]:
        name = self.entry.inputs[0]
        resized = [cv2.resize(c, (self.size, self.size), interpolation=cv2.INTER_AREA)
                   for c in crops]
        out = self.run_batched(to_tensor(resized, self.entry), name, lambda b: {name: b})
        return [np.clip(cv2.resize(o.reshape(self.size, self.size).astype(np.float32),
                                   c.shape[1::-1]), 0, 1) for o, c in zip(out, crops)]


class BiSeNetMasker(OnnxAdapter):
    """BiSeNet face parser: 512² RGB ImageNet-normalised → argmax classes → the selected regions."""

    regions: tuple[str, ...] = tuple(REGIONS)

    def select(self, regions: Sequence[str]) -> BiSeNetMasker:
        unknown = set(regions) - set(REGIONS)
        if unknown:
            raise ModelError(f"unknown face regions {sorted(unknown)}; known: {', '.join(REGIONS)}")
        self.regions = tuple(regions)
        return self

    def mask(self, crops: Sequence[RGBImage]) -> list[Matte]:
        name = self.entry.inputs[0]
        keep = [k for r in self.regions for k in REGIONS[r]]
        resized = [cv2.resize(c, (self.size, self.size), interpolation=cv2.INTER_AREA)
                   for c in crops]
        out = self.run_batched(to_tensor(resized, self.entry), name, lambda b: {name: b})
        labels = np.argmax(out, axis=1)
        return [cv2.resize(np.isin(lab, keep).astype(np.float32), c.shape[1::-1],
                           interpolation=cv2.INTER_LINEAR) for lab, c in zip(labels, crops)]
