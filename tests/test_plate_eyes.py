"""The swapped face's eyes and mouth open as the plate's do (issue 16), on real faces: Obama
as the source on Biden's portrait with its lids lowered or its jaw dropped (the demo's head
rig, :mod:`faceplate.demo.head_warp`) and on the astronaut's portrait (eyes far wider than
the source's). Openness is read by dlib's 68 points, found independently on plate and result
(bench/faces.py), with the benchmark's measures (lid gap and inner-lip gap over eye width)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import DATA
from face_rig import DEMO, SRGB, obama_source, u8

from faceplate.demo.head_warp import Expression, HeadRig
from faceplate.demo.plate_look import Look, add_grain
from faceplate.face import image_metrics as im
from faceplate.face.eyes import PlateEyes, plate_eye_weight, plate_eyes
from faceplate.face.matte import eye_mask
from faceplate.face.mesh import LIDS, eye_openings, face_size
from faceplate.face.swapper import ReferenceSwapper, SourceFace, identity_geometry
from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.context import RunContext

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from faces import Dlib68

#: Issue 16's targets are eye openness within 0.015 of the plate's and mouth within 0.03,
#: means over a shot's frames (bench/platematch.py). On one still, dlib's eye reading swings
#: by about 0.005-0.02 with any change to the face around the eyes, so the stills here are
#: held to 0.02 (the swaps these tests guard against read 0.03-0.05 off).
EYE_TOLERANCE, MOUTH_TOLERANCE = 0.02, 0.03


@pytest.fixture(scope="module")
def ctx():
    return RunContext.create(None, environ={})


@pytest.fixture(scope="module")
def source(ctx):
    return obama_source(ctx)


@pytest.fixture(scope="module")
def dlib68():
    return Dlib68()


@pytest.fixture(scope="module")
def biden_rig(dlib68) -> HeadRig:
    """The demo's head rig on Biden's portrait (display sRGB, the working space), driven by
    dlib's 68 points of the still (built once: the tests only pose it)."""
    rgb = cv2.cvtColor(cv2.imread(str(DATA / "biden.jpg")), cv2.COLOR_BGR2RGB)
    face = dlib68.find(rgb, upsample=1)
    assert face is not None
    return HeadRig(rgb.astype(np.float32) / 255.0, face.points)


def _biden_performing(rig: HeadRig, expression: Expression) -> np.ndarray:
    """Biden's portrait with ``expression`` applied by the head rig."""
    return np.clip(rig.expression(expression), 0.0, 1.0)


def _swap_and_read(ctx, dlib68: Dlib68, plate: np.ndarray, source: SourceFace
                   ) -> tuple[np.ndarray, np.ndarray]:
    """dlib's 68 points on the plate and on the composite (as the render makes it) of the
    swap on the mesh the pack finds on the plate."""
    plate8 = u8(plate)
    detections = ctx.face_pack.detect(plate8, upsample=1)
    assert detections
    points = ctx.face_pack.landmarks(plate8, detections[0])
    assert points is not None
    result = ReferenceSwapper().swap(plate, points, source)
    shown = plate + result.matte[..., None] * (result.rgb - plate)
    on_plate, on_result = dlib68.find(plate8, upsample=1), dlib68.find(u8(shown), upsample=1)
    assert on_plate is not None and on_result is not None
    return on_plate.points, on_result.points


# --- which eyes ------------------------------------------------------------------------------

def _lids_scaled(points: np.ndarray, factors: tuple[float, float] | float) -> np.ndarray:
    """``points`` with each eye's lid gap scaled by its factor about its corner line."""
    out = np.array(points, np.float64)
    for eye, factor in enumerate(np.broadcast_to(factors, (2,))):
        lids = list(LIDS[eye])
        corner = out[LIDS[eye][0], :2]
        axis = out[LIDS[eye][8], :2] - corner
        axis /= np.linalg.norm(axis)
        offsets = out[lids, :2] - corner
        along = np.outer(offsets @ axis, axis)
        out[lids, :2] = corner + along + factor * (offsets - along)
    return out


def test_the_swap_geometry_keeps_the_plates_opening(source):
    """Biden's mesh: the swap's geometry moves each eye as a whole, so its lid opening is the
    plate's exactly, although the source's eyes are shaped otherwise."""
    biden = source.landmarks  # any face: the source's own mesh, its lids half as open
    plate = _lids_scaled(biden, 0.5)
    geometry = identity_geometry(plate, _lids_scaled(biden, 1.0) * 1.1, 0.8)
    np.testing.assert_allclose(eye_openings(geometry), eye_openings(plate), atol=1e-9)


@pytest.mark.parametrize("factors, expected", [
    ((1.0, 1.0), (0.0, 0.0)),    # as open as the source's: the source's eyes
    ((1.3, 1.2), (0.0, 0.0)),    # somewhat wider: the source's eyes, a little stretched
    ((0.6, 1.0), (1.0, 0.0)),    # one eye's lids 40 % lower: the plate's eyes, both of them
    ((0.8, 0.8), (1.0, 0.0)),    # both 20 % lower
    ((1.8, 1.8), (0.0, 1.0)),    # 1.8 times as open (the astronaut against Obama)
    ((1.9, 1.5), (0.0, 1.0)),    # their mean 1.7
])
def test_the_plates_eyes_are_kept_where_the_openings_differ_much(source, factors, expected):
    """The plate's lid gap scaled from the source's (about each eye's corner line; the
    openings checked to scale so): lowered lids or far wider eyes keep the plate's eyes."""
    plate = _lids_scaled(source.landmarks, factors)
    np.testing.assert_allclose(np.array(eye_openings(plate)),
                               np.array(factors) * eye_openings(source.landmarks), rtol=1e-6)
    assert plate_eye_weight(plate, source.landmarks) == PlateEyes(*expected)


def test_the_kept_eyes_are_the_plates_moved_with_the_swap(ctx, source):
    """Biden's plate and mesh, lids lowered on the mesh: inside each eye opening of the
    swap's geometry the mask is the weight given and the pixels are the plate's, moved by
    that eye's lids' mean step (worked out here with a translation of the whole image);
    lowered lids keep a ring of 0.045 face size past the lid line, far wider eyes one of 1 px
    and their lower lid's margin (0.02 face size below it); weight 0 keeps nothing."""
    biden = find_face(DATA / "biden.jpg", None, ctx, key="test")
    shape = biden.image.shape[:2]
    points = _lids_scaled(biden.landmarks, 0.5)
    geometry = identity_geometry(points, source.landmarks, 0.8)
    mask, moved = plate_eyes(biden.image, points, geometry, PlateEyes(0.75, 0.0))
    for eye in (0, 1):
        step = (geometry[list(LIDS[eye]), :2] - points[list(LIDS[eye]), :2]).mean(axis=0)
        assert np.linalg.norm(step) > 0.5
        shifted = cv2.warpAffine(biden.image, np.float64([[1, 0, step[0]], [0, 1, step[1]]]),
                                 biden.image.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
        inside = eye_mask(geometry, shape, eye) > 0.5
        assert inside.sum() > 10
        np.testing.assert_allclose(mask[inside], 0.75)
        np.testing.assert_allclose(moved[inside], shifted[inside], atol=1e-5)

    def band(inner: int, outer: int) -> np.ndarray:
        """Pixels between ``inner`` and ``outer`` px past the image-left eye's lid line."""
        opening = eye_mask(geometry, shape, 0)
        return (cv2.dilate(opening, np.ones((2 * outer + 1,) * 2))
                - cv2.dilate(opening, np.ones((2 * inner + 1,) * 2))) > 0

    ring = round(0.045 * face_size(points))
    assert ring >= 3
    assert mask[band(ring - 1, ring)].min() == 0.75 and mask[band(ring, ring + 1)].max() == 0.0
    wide, _ = plate_eyes(biden.image, points, geometry, PlateEyes(0.0, 1.0))
    assert wide[band(0, 1)].min() == 1.0
    # past that 1 px, far wider eyes keep the plate's lower lid margin only: 0.02 face size
    # below the middle of the lower lid, at right angles to the eye's corner line (the face
    # twice the size, so that is more than 3 px)
    big, big_points = 2.0 * geometry, 2.0 * points
    wide, _ = plate_eyes(np.zeros((2 * shape[0], 2 * shape[1], 3), np.float32), big_points,
                         big, PlateEyes(0.0, 1.0))
    lower, upper = big[145, :2], big[159, :2]  # middles of the image-left lower and upper lid
    along = big[133, :2] - big[33, :2]
    down = np.array([-along[1], along[0]]) / np.linalg.norm(along)
    down = down if down @ (lower - upper) > 0 else -down
    below = 0.02 * face_size(big_points)
    assert below >= 4

    def at(point: np.ndarray) -> float:
        return float(wide[round(point[1]), round(point[0])])

    assert at(lower + (below - 1) * down) == 1.0 and at(lower + (below + 2) * down) == 0.0
    assert at(upper - 2.5 * down) == 0.0
    none, _ = plate_eyes(biden.image, points, geometry, PlateEyes(0.0, 0.0))
    assert none.max() == 0.0


def test_the_kept_eyes_are_not_blurred_or_regrained_again(ctx, biden_rig, source):
    """Biden's lids lowered 55 % on a plate grained 10 % (the plate's eyes kept): inside
    each eye opening of the swap's geometry (eroded 1 px), the result is the plate's own
    pixels moved by that eye's lids' mean step (a translation of the whole image, worked out
    here) within 0.008 on average; the plate's eyes blurred to the plate's sharpness and
    grained again with the source's face read 0.013-0.014 off."""
    plate = _biden_performing(biden_rig, Expression(lids=0.55))
    plate = np.clip(add_grain(plate, Look(grain=0.1, grain_size=0.9),
                              np.random.default_rng(1)), 0.0, 1.0)
    points = ctx.face_pack.landmarks(u8(plate), ctx.face_pack.detect(u8(plate), upsample=1)[0])
    assert plate_eye_weight(points, source.landmarks).lowered == 1.0
    result = ReferenceSwapper().swap(plate, points, source)
    geometry = identity_geometry(points, source.landmarks, 0.8)
    for eye in (0, 1):
        step = (geometry[list(LIDS[eye]), :2] - points[list(LIDS[eye]), :2]).mean(axis=0)
        shifted = cv2.warpAffine(plate, np.float64([[1, 0, step[0]], [0, 1, step[1]]]),
                                 plate.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
        inside = cv2.erode(eye_mask(geometry, plate.shape[:2], eye), np.ones((3, 3))) > 0.99
        assert inside.sum() > 50
        assert np.abs(result.rgb[inside] - shifted[inside]).mean() <= 0.008, eye


# --- openness on real faces -------------------------------------------------------------------

def test_lowered_lids_stay_lowered(ctx, dlib68, biden_rig, source):
    """Biden's lids lowered 40-70 % by the head rig (dlib reads each plate at least 0.035
    less open than the still): the result reads the plate's eye openness within 0.02 on
    average over the seven plates (as the benchmark averages over frames), and within 0.05
    on each (dlib's reading of one still swings by about 0.02 from one lid height to the
    next)."""
    still = dlib68.find(u8(_biden_performing(biden_rig, Expression())), upsample=1)
    assert still is not None
    differences = []
    for lids in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        plate = _biden_performing(biden_rig, Expression(lids=lids))
        on_plate, on_result = _swap_and_read(ctx, dlib68, plate, source)
        assert im.eye_openness(on_plate) < im.eye_openness(still.points) - 0.035, lids
        differences.append(im.eye_openness(on_result) - im.eye_openness(on_plate))
    assert abs(np.mean(differences)) <= EYE_TOLERANCE, differences
    assert np.abs(differences).max() <= 0.05, differences


def test_eyes_wider_than_the_sources_stay_as_wide(ctx, dlib68, source):
    """The astronaut's eyes, far wider than Obama's smiling ones (the dense mesh's opening
    more than 1.6 times his), her portrait magnified 2x (cubic) as the benchmark's soft plate
    magnifies it: the result reads her eye openness within 0.02."""
    astronaut = find_face(DEMO / "astronaut.png", SRGB, ctx, key="test")
    ratio = np.mean(eye_openings(astronaut.landmarks)) / np.mean(eye_openings(source.landmarks))
    assert ratio > 1.6
    rgb = cv2.cvtColor(cv2.imread(str(DEMO / "astronaut.png")), cv2.COLOR_BGR2RGB)
    plate = cv2.resize(rgb.astype(np.float32) / 255.0, None, fx=2, fy=2,
                       interpolation=cv2.INTER_CUBIC)[:600, 100:700]
    on_plate, on_result = _swap_and_read(ctx, dlib68, np.clip(plate, 0.0, 1.0), source)
    difference = im.eye_openness(on_result) - im.eye_openness(on_plate)
    assert abs(difference) <= EYE_TOLERANCE, difference


@pytest.mark.parametrize("jaw", [0.0, 0.6])
def test_the_mouth_opens_as_the_plates(ctx, dlib68, biden_rig, source, jaw):
    """Biden's mouth as in the still and dropped open by the head rig (dlib reads the open
    plate's inner-lip gap above 0.1): the result's mouth openness is the plate's within
    0.03."""
    plate = _biden_performing(biden_rig, Expression(jaw=jaw))
    on_plate, on_result = _swap_and_read(ctx, dlib68, plate, source)
    if jaw:
        assert im.mouth_openness(on_plate) > 0.1
    difference = im.mouth_openness(on_result) - im.mouth_openness(on_plate)
    assert abs(difference) <= MOUTH_TOLERANCE, difference
