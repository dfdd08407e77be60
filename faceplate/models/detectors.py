"""Face detector adapters: SCRFD and RetinaFace (anchor offsets over strides 8/16/32),
YOLO-face (rows of centre, size, score and five points) and YuNet (per-stride class, object,
box and point maps). Each sees the frame scaled to fit its square input and pasted top-left on
zeros; each reports boxes and points in frame pixels after NMS (IoU 0.4)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.models.base import OnnxAdapter
from faceplate.models.tensors import to_tensor
from faceplate.types import BoxCoords, Detection, RGBImage

#: Boxes (N, 4) as x0, y0, x1, y1; scores (N,); five points (N, 5, 2); all in input pixels.
Decoded = tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]


def _box(values: np.ndarray) -> BoxCoords:
    x0, y0, x1, y1 = (float(v) for v in values[:4])
    return x0, y0, x1, y1


def _nothing() -> Decoded:
    return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32)


def anchor_centres(size: int, stride: int, anchors: int) -> NDArray[np.float32]:
    """(cells·anchors, 2) anchor centres (x, y) in input pixels, row-major, repeated per anchor."""
    n = size // stride
    ys, xs = np.mgrid[:n, :n]
    centres = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, anchors, axis=0)


def decode_scrfd(outputs: list[np.ndarray], size: int, strides: tuple[int, ...], anchors: int,
                 threshold: float) -> Decoded:
    """SCRFD / RetinaFace: the 3·len(strides) outputs (scores, then boxes, then keypoints):
    box = anchor ∓ d·stride, kps = anchor + d·stride."""
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
        return _nothing()
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(kpss)


def decode_yoloface(output: np.ndarray, threshold: float) -> Decoded:
    """YOLO-face: output (1, 20, anchors), each column [cx, cy, w, h, score, 5 × (x, y, conf)]."""
    rows = np.asarray(output, np.float32).reshape(output.shape[-2], -1).T
    rows = rows[rows[:, 4] >= threshold]
    if not len(rows):
        return _nothing()
    centre, half = rows[:, :2], rows[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], 1)
    points = rows[:, 5:20].reshape(-1, 5, 3)[..., :2]
    return boxes, rows[:, 4].copy(), np.ascontiguousarray(points)


def decode_yunet(outputs: list[np.ndarray], size: int, strides: tuple[int, ...],
                 threshold: float) -> Decoded:
    """YuNet: 4·len(strides) outputs (class, object, box, keypoints, each per stride), one anchor
    per cell: score = cls·obj, centre = d·s + anchor, size = exp(d)·s, kps = d·s + anchor."""
    k = len(strides)
    boxes, scores, kpss = [], [], []
    for i, stride in enumerate(strides):
        score = outputs[i].reshape(-1) * outputs[k + i].reshape(-1)
        keep = score >= threshold
        if not keep.any():
            continue
        anchor = anchor_centres(size, stride, 1)[keep]
        d = outputs[2 * k + i].reshape(-1, 4)[keep]
        centre = d[:, :2] * stride + anchor
        half = np.exp(d[:, 2:]) * stride / 2
        boxes.append(np.concatenate([centre - half, centre + half], 1))
        kps = outputs[3 * k + i].reshape(-1, 5, 2)[keep] * stride + anchor[:, None, :]
        kpss.append(kps)
        scores.append(score[keep])
    if not boxes:
        return _nothing()
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(kpss)


class CanvasDetector(OnnxAdapter):
    """What every detector shares: the frame scaled to fit ``size``², pasted top-left on zeros,
    normalised per the manifest; NMS; results divided back to frame pixels."""

    nms_iou: float = 0.4

    def decode(self, outputs: list[np.ndarray], threshold: float) -> Decoded:
        raise NotImplementedError

    def detect(self, frame: RGBImage, threshold: float = 0.5) -> list[Detection]:
        h, w = frame.shape[:2]
        ratio = min(self.size / h, self.size / w)
        canvas = np.zeros((self.size, self.size, 3), np.float32)
        resized = cv2.resize(np.asarray(frame, np.float32), (round(w * ratio), round(h * ratio)),
                             interpolation=cv2.INTER_AREA)
        canvas[:resized.shape[0], :resized.shape[1]] = resized
        name = self.entry.inputs[0]
        outputs = self.session.run({name: to_tensor([canvas], self.entry)})
        boxes, scores, kps = self.decode(outputs, threshold)
        xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
        # the decode kept the scores at or above ``threshold``; NMS only drops overlaps (its own
        # threshold keeps scores strictly above it, and may not be below 0: a face at
        # ``threshold`` would go)
        keep = cv2.dnn.NMSBoxes(xywh, scores.tolist(), 0.0, self.nms_iou) if xywh else []
        return [Detection(_box(boxes[i] / ratio), float(scores[i]),
                          kps[i].astype(np.float64) / ratio)
                for i in np.asarray(keep).reshape(-1)]

    @property
    def strides(self) -> tuple[int, ...]:
        return self.entry.extra_ints("strides", (8, 16, 32))


class AnchorDetector(CanvasDetector):
    """SCRFD / RetinaFace: BGR (x − 127.5)/128, ``anchors`` per cell."""

    def decode(self, outputs: list[np.ndarray], threshold: float) -> Decoded:
        anchors = self.entry.extra_int("anchors", 2)
        return decode_scrfd(outputs, self.size, self.strides, anchors, threshold)


class YoloFaceDetector(CanvasDetector):
    """YOLO-face (yoloface_8n): BGR x/255, one output of candidate columns."""

    def decode(self, outputs: list[np.ndarray], threshold: float) -> Decoded:
        return decode_yoloface(outputs[0], threshold)


class YuNetDetector(CanvasDetector):
    """YuNet (2023mar): BGR 0..255 as is, twelve outputs."""

    def decode(self, outputs: list[np.ndarray], threshold: float) -> Decoded:
        return decode_yunet(outputs, self.size, self.strides, threshold)
