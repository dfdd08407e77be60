"""Working-space float RGB (0..1) to model tensors and back, per the manifest's contract."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from faceplate.models.manifest import ModelEntry
from faceplate.types import RGBImage


def to_tensor(crops: list[RGBImage], entry: ModelEntry) -> NDArray[np.float32]:
    """Stack crops (H, W, 3, RGB 0..1) into the entry's layout, channel order and normalisation:
    ``(x·255 / scale − mean) / std``."""
    batch = np.stack([np.asarray(c, np.float32) for c in crops]) * np.float32(255.0)
    if entry.channels == "BGR":
        batch = batch[..., ::-1]
    mean, std = np.asarray(entry.mean, np.float32), np.asarray(entry.std, np.float32)
    batch = (batch / np.float32(entry.scale) - mean) / std
    if entry.layout == "NCHW":
        batch = batch.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(batch, np.float32)


def from_tensor(batch: NDArray[np.floating], entry: ModelEntry,
                denormalise: bool) -> list[RGBImage]:
    """Model output (N, 3, H, W) back to RGB 0..1 crops: de-normalised (``x·std + mean``) or
    clipped, as the family's contract says."""
    out = np.asarray(batch, np.float32)
    if entry.layout == "NCHW":
        out = out.transpose(0, 2, 3, 1)
    if denormalise:
        out = out * np.asarray(entry.std, np.float32) + np.asarray(entry.mean, np.float32)
    if entry.channels == "BGR":
        out = out[..., ::-1]
    return [np.clip(o, 0.0, 1.0).astype(np.float32) for o in out]
