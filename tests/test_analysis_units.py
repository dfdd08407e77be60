"""Analysis' small rules, each on a case set up by hand: which boxes are one face, which
vertices dense flow can measure at all (inside the proxy), ..."""

import cv2
import numpy as np
import pytest

from faceplate.pipeline.analyse.flow import ProxyGeometry, plate_view, vertex_motion
from faceplate.pipeline.analyse.stage import _overlap


def _texture(seed: int, size=(360, 480)) -> np.ndarray:
    """A textured 8-bit RGB picture (blurred noise: corners everywhere, no repeats)."""
    noise = np.random.default_rng(seed).random(size).astype(np.float32)
    grey = cv2.GaussianBlur(noise, (0, 0), 2.0)
    grey = (grey - grey.min()) / (grey.max() - grey.min()) * 200 + 25
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


@pytest.mark.parametrize(("a", "b", "expected"), [
    # side by side, half of each over the other: 50 shared of 150 covered
    ([0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], 50 / 150),
    # a 4 x 2 box inside a 10 x 20 one: 8 of 200
    ([2.0, 3.0, 6.0, 5.0], [0.0, 0.0, 10.0, 20.0], 8 / 200),
    ([0.0, 0.0, 10.0, 20.0], [2.0, 3.0, 6.0, 5.0], 8 / 200),
    # corners overlapping by 2 x 3 of a 4 x 5 and a 6 x 4 box: 6 of 20 + 24 - 6
    ([0.0, 0.0, 4.0, 5.0], [2.0, 2.0, 8.0, 6.0], 6 / 38),
    # apart, or touching along an edge: nothing shared
    ([0.0, 0.0, 4.0, 5.0], [4.0, 0.0, 8.0, 5.0], 0.0),
    ([0.0, 0.0, 4.0, 5.0], [0.0, 6.0, 4.0, 9.0], 0.0),
])
def test_boxes_overlap_by_their_shared_area_over_the_area_they_cover(a, b, expected):
    assert _overlap(a, b) == pytest.approx(expected)


def test_a_vertex_outside_the_proxy_is_not_measured_however_well_the_flow_comes_back():
    """The whole picture moves by (2, -1) proxy pixels: every vertex inside the proxy is
    measured (display pixels at scale 1: the same (2, -1)); a vertex past any of its four edges
    is NaN, though the flow there (the edge's, replicated) would come back to it."""
    image = _texture(4)
    h, w = image.shape[:2]
    after = cv2.warpAffine(image, np.float32([[1, 0, 2], [0, 1, -1]]), (w, h),
                           flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    inside = np.array([[60.0, 60.0], [w - 60.0, 60.0], [60.0, h - 60.0], [w - 60.0, h - 60.0],
                       [w / 2, h / 2]])
    outside = np.array([[-3.0, h / 2], [w + 2.0, h / 2], [w / 2, -3.0], [w / 2, h + 2.0]])
    geometry = ProxyGeometry(0, 0, 1.0)
    found = vertex_motion(plate_view(image, geometry), plate_view(after, geometry),
                          np.concatenate([inside, outside]))
    assert np.abs(found[:len(inside)] - (2.0, -1.0)).max() < 0.2, found[:len(inside)]
    assert np.isnan(found[len(inside):]).all(), found[len(inside):]
