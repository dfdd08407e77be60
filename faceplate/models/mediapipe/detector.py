"""BlazeFace (MediaPipe's face detectors) on a letterboxed proxy of any image.

Facts from MediaPipe's graph configs (face_detection_short_range.pbtxt,
face_detection_full_range.pbtxt, face_detection.pbtxt), checked here on real faces:

- input: the whole image fitted into the model's square (aspect kept, centred, black bars),
  RGB scaled to -1..1;
- SSD anchors, fixed size 1x1, centres at ((col + 0.5) / cols, (row + 0.5) / rows), ordered
  row, column, anchor: short range 128 px, strides 8, 16, 16, 16 (16x16 cells x 2 anchors, then
  8x8 cells x 6) = 896; full range 192 px, one layer of stride 4 (48x48 cells x 1) = 2304;
- each box is 16 values: centre x, centre y, width, height, then 6 keypoints (x, y), all in
  model pixels relative to the anchor centre (divided by the input size: 128 or 192);
- score: sigmoid of the raw value clipped to +-100; kept from 0.5 (short) or 0.6 (full range);
- weighted non-maximum suppression at IoU 0.3 (overlapping boxes averaged by score);
- keypoints: 0 and 1 the eyes (0 on the image's left for an upright, unmirrored face: the
  person's right eye), 2 nose tip, 3 mouth centre, 4 and 5 the ear tragions (4 on the image's
  left).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.models.mediapipe.runner import Contract, TfliteModel

Image8 = NDArray[np.uint8]
KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth_centre", "right_ear", "left_ear")


@dataclass(frozen=True)
class DetectorSpec:
    """One BlazeFace variant: file, input size, anchor layout and score threshold."""

    file: str
    size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float
    input_name: str
    boxes_name: str
    scores_name: str

    @property
    def num_anchors(self) -> int:
        return sum(math.ceil(self.size / s) ** 2 * self.anchors_per_layer for s in self.strides)

    @property
    def contract(self) -> Contract:
        n = self.num_anchors
        return Contract((1, self.size, self.size, 3),
                        {self.boxes_name: (1, n, 16), self.scores_name: (1, n, 1)})


SHORT_RANGE = DetectorSpec("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2, 0.5,
                           "input", "regressors", "classificators")
FULL_RANGE = DetectorSpec("face_detection_full_range_sparse.tflite", 192, (4,), 1, 0.6,
                          "input_1", "Identity", "Identity_1")


@dataclass(frozen=True)
class FaceDetection:
    """A face: box (x0, y0, x1, y1), six keypoints (6, 2) and score 0..1, in image pixels."""

    box: tuple[float, float, float, float]
    keypoints: NDArray[np.float64]
    score: float

    def shifted(self, dx: float, dy: float) -> FaceDetection:
        """The detection moved by (dx, dy) pixels."""
        x0, y0, x1, y1 = self.box
        return FaceDetection((x0 + dx, y0 + dy, x1 + dx, y1 + dy), self.keypoints + (dx, dy),
                             self.score)

    def unscaled(self, scale_x: float, scale_y: float) -> FaceDetection:
        """The detection on an image ``scale`` times larger than the one it was found on
        (pixel centres at integers: a point x maps to (x + 0.5) / scale - 0.5)."""
        x0, y0, x1, y1 = self.box
        scale = np.array([scale_x, scale_y])
        return FaceDetection((x0 / scale_x, y0 / scale_y, x1 / scale_x, y1 / scale_y),
                             (self.keypoints + 0.5) / scale - 0.5, self.score)


def anchor_centres(spec: DetectorSpec) -> NDArray[np.float64]:
    """(N, 2) anchor centres (x, y) in 0..1 of the model input, in the model's output order.

    Consecutive layers of one stride share a grid: their anchors are interleaved per cell."""
    out = []
    i = 0
    while i < len(spec.strides):
        stride, per_cell = spec.strides[i], 0
        while i < len(spec.strides) and spec.strides[i] == stride:
            per_cell += spec.anchors_per_layer
            i += 1
        cells = math.ceil(spec.size / stride)
        grid = (np.arange(cells) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        out.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(out)


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model's square: model = scale * image + offset, both
    measured from pixel edges."""

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float

    def to_image(self, xy: NDArray[np.float64], points: bool = True) -> NDArray[np.float64]:
        """Model-input coordinates -> image pixels: point positions (pixel centres at
        integers), or with ``points=False`` box edges."""
        edges = (xy - (self.offset_x, self.offset_y)) / (self.scale_x, self.scale_y)
        return edges - 0.5 if points else edges


def letterbox(image: Image8, size: int) -> tuple[NDArray[np.float32], Letterbox]:
    """``image`` fitted, aspect kept and centred, into ``size x size``; -1..1 float tensor."""
    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(np.ascontiguousarray(image), (new_w, new_h), interpolation=interp)
    x0, y0 = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[y0:y0 + new_h, x0:x0 + new_w] = small
    tensor = canvas.astype(np.float32) / 127.5 - 1.0
    return tensor[None], Letterbox(new_w / width, new_h / height, x0, y0)


def shrink(image: Image8, short_side: int) -> tuple[Image8, float, float]:
    """``image`` made smaller so its short side is ``short_side`` (never larger): an area
    average by a whole factor (fast), then linear to the exact size. Returns it and its scale
    (its pixels per image pixel) in x and y."""
    height, width = image.shape[:2]
    if min(height, width) <= short_side:
        return image, 1.0, 1.0
    scale = short_side / min(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    factor = int(1 / scale)
    small = np.ascontiguousarray(image)
    if factor >= 2:
        small = np.asarray(cv2.resize(small, (width // factor, height // factor),
                                      interpolation=cv2.INTER_AREA), np.uint8)
    proxy = cv2.resize(small, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(proxy, np.uint8), new_w / width, new_h / height


def _iou(box: NDArray[np.float64], others: NDArray[np.float64]) -> NDArray[np.float64]:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.maximum(x1 - x0, 0.0) * np.maximum(y1 - y0, 0.0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union: NDArray[np.float64] = area + areas - inter
    return inter / np.maximum(union, 1e-12)


def weighted_nms(boxes: NDArray[np.float64], keypoints: NDArray[np.float64],
                 scores: NDArray[np.float64], iou: float = 0.3
                 ) -> list[tuple[NDArray[np.float64], NDArray[np.float64], float]]:
    """Best box first; each keeps its own score and the score-weighted mean of the boxes and
    keypoints overlapping it by more than ``iou`` (those are removed)."""
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    out = []
    alive = np.ones(len(scores), bool)
    for i in range(len(scores)):
        if not alive[i]:
            continue
        idx = np.flatnonzero(alive)
        group = idx[np.greater(_iou(boxes[i], boxes[idx]), iou)]
        group = np.union1d(group, [i])
        w = scores[group][:, None]
        out.append(((boxes[group] * w).sum(0) / w.sum(),
                    (keypoints[group] * w[:, :, None]).sum(0) / w.sum(), float(scores[i])))
        alive[group] = False
    return out


class BlazeFaceDetector:
    """A BlazeFace model (``spec``: :data:`FULL_RANGE` or :data:`SHORT_RANGE`) on any image."""

    def __init__(self, folder: Path, spec: DetectorSpec = FULL_RANGE, threads: int | None = 1):
        self.spec = spec
        self.model = TfliteModel(folder / spec.file, spec.contract, threads)
        self._anchors = anchor_centres(spec)

    def detect(self, image: Image8, min_score: float | None = None) -> list[FaceDetection]:
        """Faces in an 8-bit RGB image of any size and aspect, best first, in its pixels."""
        tensor, fit = letterbox(image, self.spec.size)
        out = self.model.run(tensor)
        raw = out[self.spec.boxes_name][0].astype(np.float64)
        logits = np.clip(out[self.spec.scores_name][0, :, 0].astype(np.float64), -100.0, 100.0)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = scores >= (self.spec.min_score if min_score is None else min_score)
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self._anchors[keep]
        size = self.spec.size
        centre = raw[:, 0:2] + anchors * size
        half = raw[:, 2:4] / 2
        boxes = np.hstack([centre - half, centre + half])
        keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :] * size
        found = []
        for b, k, s in weighted_nms(boxes, keypoints, scores):
            (x0, y0), (x1, y1) = fit.to_image(b.reshape(2, 2), points=False)
            found.append(FaceDetection((float(x0), float(y0), float(x1), float(y1)),
                                       fit.to_image(k), s))
        return found


def merge(*found: list[FaceDetection], iou: float = 0.3) -> list[FaceDetection]:
    """Detections of several detectors on one image as one list, best first: boxes that
    overlap by more than ``iou`` become one (score-weighted mean, best score)."""
    every = [d for group in found for d in group]
    if not every:
        return []
    merged = weighted_nms(np.array([d.box for d in every], np.float64),
                          np.array([d.keypoints for d in every], np.float64),
                          np.array([d.score for d in every], np.float64), iou)
    return [FaceDetection((float(b[0]), float(b[1]), float(b[2]), float(b[3])), k, s)
            for b, k, s in merged]
