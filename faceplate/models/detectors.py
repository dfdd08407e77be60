"""Face detector adapters: SCRFD and RetinaFace (anchor decoding over strides 8/16/32)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.models.base import OnnxAdapter
from faceplate.models.protocols import Detection
from faceplate.models.tensors import to_tensor
from faceplate.types import RGBImage


def anchor_centres(size: int, stride: int, anchors: int) -> NDArray[np.float32]:
    """(cells·anchors, 2) anchor centres (x, y) in input pixels, row-major, repeated per anchor."""
    n = size // stride
    ys, xs = np.mgrid[:n, :n]
    centres = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, anchors, axis=0)


def decode_scrfd(outputs: list[np.ndarray], size: int, strides: tuple[int, ...], anchors: int,
                 threshold: float) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Boxes (x0, y0, x1, y1), scores and 5 points in input pixels from the 3·len(strides) outputs
    (scores, then boxes, then keypoints): box = anchor ∓ d·stride, kps = anchor + d·stride."""
    k = len(strides)
    boxes, scores, kpss = [], [], []
    for i, stride in enumerate(strides):
        score = outputs[i].reshape(-1)
        keep = score >= threshold
        if not keep.any():
            continue
        centre = anchor_centres(size, stride, anchors)[keep]
        d = outputs[k + i].reshape(-1, 4)[keep] * stride
        boxes.append(np.concatenate([centre - d[:, :2], centre + d[:, 2:]], 1))
        kps = outputs[2 * k + i].reshape(-1, 10)[keep].reshape(-1, 5, 2) * stride
        kpss.append(kps + centre[:, None, :])
        scores.append(score[keep])
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32)
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(kpss)


class AnchorDetector(OnnxAdapter):
    """SCRFD / RetinaFace: frame scaled to fit size², pasted top-left on zeros, BGR (x−127.5)/128;
    NMS IoU 0.4; results in frame pixels."""

    nms_iou: float = 0.4

    def detect(self, frame: RGBImage, threshold: float = 0.5) -> list[Detection]:
        h, w = frame.shape[:2]
        ratio = min(self.size / h, self.size / w)
        canvas = np.zeros((self.size, self.size, 3), np.float32)
        resized = cv2.resize(np.asarray(frame, np.float32), (round(w * ratio), round(h * ratio)),
                             interpolation=cv2.INTER_AREA)
        canvas[:resized.shape[0], :resized.shape[1]] = resized
        name = self.entry.inputs[0]
        outputs = self.session.run({name: to_tensor([canvas], self.entry)})
        strides = tuple(self.entry.extra.get("strides", (8, 16, 32)))  # type: ignore[arg-type]
        boxes, scores, kps = decode_scrfd(outputs, self.size, strides,
                                          int(self.entry.extra.get("anchors", 2)), threshold)  # type: ignore[arg-type]
        xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
        keep = cv2.dnn.NMSBoxes(xywh, scores.tolist(), threshold, self.nms_iou) if xywh else []
        return [Detection(tuple(float(v) for v in boxes[i] / ratio), float(scores[i]),  # type: ignore[arg-type]
                          kps[i].astype(np.float64) / ratio) for i in np.asarray(keep).reshape(-1)]
