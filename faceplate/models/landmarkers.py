"""68-point landmarker adapter: 2DFAN4 (FAN, heatmaps at a quarter of its 256² input)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.models.align import Affine
from faceplate.models.base import OnnxAdapter
from faceplate.models.tensors import to_tensor
from faceplate.types import BoxCoords, RGBImage

#: Side, in input pixels, that the face box is scaled to (of the 256² input).
_BOX_SIDE = 195.0


def box_crop_matrix(box: BoxCoords, size: int) -> Affine:
    """Frame → crop affine of 2DFAN4: scale ``195/max(w, h)`` (for a 256 input), box centred."""
    x0, y0, x1, y1 = box
    scale = _BOX_SIDE * size / 256.0 / max(x1 - x0, y1 - y0)
    tx = (size - (x0 + x1) * scale) / 2
    ty = (size - (y0 + y1) * scale) / 2
    return np.array([[scale, 0.0, tx], [0.0, scale, ty]])


class Fan68Landmarker(OnnxAdapter):
    """2DFAN4: RGB x/255 crop around each box; output ``[0]`` (N, 68, ≥2) points in heatmap cells
    (a quarter of the input side), mapped ×4 to the crop and back through the crop's inverse."""

    def crop(self, frame: RGBImage, box: BoxCoords) -> tuple[RGBImage, Affine]:
        matrix = box_crop_matrix(box, self.size)
        crop = cv2.warpAffine(np.asarray(frame, np.float32), matrix, (self.size, self.size),
                              flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT)
        return crop, matrix

    def landmarks(self, frame: RGBImage, boxes: Sequence[BoxCoords]) -> list[NDArray[np.float64]]:
        crops = [self.crop(frame, b) for b in boxes]
        if not crops:
            return []
        name = self.entry.inputs[0]
        batch = to_tensor([c for c, _ in crops], self.entry)
        outputs = ([self.session.run({name: batch})] if self.session.batched(name) else
                   [self.session.run({name: batch[i:i + 1]}) for i in range(len(batch))])
        points = np.concatenate([o[0] for o in outputs])[..., :2].astype(np.float64)
        cell = self.size / 64.0
        result = []
        for pts, (_, matrix) in zip(points, crops):
            inverse = cv2.invertAffineTransform(matrix)
            result.append(pts * cell @ inverse[:, :2].T + inverse[:, 2])
        return result
