"""The swap's composite judged from the files it writes, with expected values computed here from
first principles, never by the code under test:

- inside the matte's feather the output lies between the plate and the swapped face in
  proportion to the matte (the swapped face taken from a render of the same face with no
  feather, where that render's matte is 1);
- the matte covers the inner face and ends near the face's outline (MediaPipe's face oval);
- outside the matte every channel is the plate's, bit for bit;
- the swapped skin has the plate's colour, measured in CIE L*a*b* (D65).

Files are read as what they mean: each image's data window placed in the plate's (the matte
may be written with a smaller data window; outside it its value is 0)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest
from colour_reference import (
    AP1_TO_REC709,
    acescg_to_lab,
    linear_rec709_to_lab,
    srgb_decode,
    srgb_encode,
)
from conftest import read_header, read_pixels
from render_rig import RenderRig, make_rig

from faceplate.pipeline.render.swap import (
    SWAP_MARGIN,
    face_region,
    seam_band,
    seam_difference,
)
from faceplate.plateio.frame import Box

FRAME = 1002
KEYFRAME = 1001

#: MediaPipe Face Mesh's face oval (``FACEMESH_FACE_OVAL``), in order around the face.
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109]
#: Outer eye corners: the face size the matte's settings are relative to.
EYE_CORNERS = (33, 263)
#: Points well inside the face: nose tip and bridge, between the eyes, both cheeks.
INNER_FACE = (1, 4, 6, 9, 168, 197, 205, 425)
#: What is not skin, as (mesh point, radius × face size): irises, brows, mouth.
NOT_SKIN = ((468, 0.3), (473, 0.3), (105, 0.2), (334, 0.2), (52, 0.2), (282, 0.2), (13, 0.45))


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("composite"), colour)


def _plate_window(path: Path) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the data window, in display-window pixels."""
    spec = read_header(path)
    return spec.x - spec.full_x, spec.y - spec.full_y, spec.width, spec.height


def _on(window: tuple[int, int, int, int], path: Path, fmt=oiio.UNKNOWN) -> np.ndarray:
    """Every channel of ``path`` over ``window`` (display-window pixels), 0 outside its data
    window."""
    spec = read_header(path)
    pixels = read_pixels(path, fmt=fmt)
    x, y, w, h = window
    canvas = np.zeros((h, w, spec.nchannels), pixels.dtype)
    ox, oy = spec.x - spec.full_x - x, spec.y - spec.full_y - y
    canvas[max(oy, 0):oy + spec.height, max(ox, 0):ox + spec.width] = \
        pixels[max(-oy, 0):h - oy, max(-ox, 0):w - ox]
    return canvas


@pytest.fixture(scope="module")
def rendered(rig, tmp_path_factory):
    """Frame FRAME rendered as the shot says, and again with no feather (a hard matte), with the
    plate, both outputs and both mattes over the plate's data window."""
    feathered = rig.spec_for(tmp_path_factory.mktemp("feathered"))
    hard = rig.spec_for(tmp_path_factory.mktemp("hard"))
    record = rig.render_one(feathered, FRAME)
    assert record.status == "swapped"
    hard_record = rig.render_one(hard, FRAME, rig.with_face(FRAME, params={"feather": 0.0}))
    assert hard_record.status == "swapped"
    plate_path = rig.spec.plate.path.frame(FRAME)
    window = _plate_window(plate_path)
    plate_spec = read_header(plate_path)
    for path in (feathered.output.path.frame(FRAME), feathered.output.matte.frame(FRAME)):
        spec = read_header(path)
        assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == \
            (plate_spec.full_x, plate_spec.full_y, plate_spec.full_width, plate_spec.full_height)
    return dict(
        window=window,
        plate=_on(window, plate_path),
        out=_on(window, feathered.output.path.frame(FRAME)),
        matte=_on(window, feathered.output.matte.frame(FRAME), oiio.FLOAT)[..., 0],
        swapped=_on(window, hard.output.path.frame(FRAME)),
        hard_matte=_on(window, hard.output.matte.frame(FRAME), oiio.FLOAT)[..., 0],
        landmarks=np.asarray(rig.face(FRAME).landmarks)[:, :2] - window[:2],
        mesh=np.asarray(rig.face(FRAME).landmarks), record=record,
        hard_record=hard_record)


def test_inside_the_feather_the_output_mixes_plate_and_swap_by_the_matte(rendered):
    plate, out, swapped = (rendered[k][..., :3].astype(np.float64)
                           for k in ("plate", "out", "swapped"))
    m, hard = rendered["matte"].astype(np.float64), rendered["hard_matte"]
    # Where the hard render's matte is 1 its output is the swapped face itself.
    band = (m > 0) & (m < 1) & (hard == 1)
    assert band.sum() > 500
    expected = plate + m[..., None] * (swapped - plate)
    # Both outputs are half floats: each rounded once (2^-11 relative), so 2^-10 of the
    # largest value bounds the difference; a step between plate and face is far larger.
    scale = np.maximum(np.abs(plate), np.abs(swapped))
    error = np.abs(out - expected)[band]
    assert (error <= 2.0 ** -10 * scale[band] + 1e-7).all(), error.max()
    # The check can fail: a hard paste (the face at full strength in the feather) and the
    # plate left alone there each miss the expected values on many pixels.
    for pasted in (swapped, plate):
        missed = (np.abs(pasted - expected)[band] > 2.0 ** -10 * scale[band] + 1e-7).any(axis=1)
        assert missed.sum() > 300
    # The mix lies between the two everywhere in the feather.
    low, high = np.minimum(plate, swapped), np.maximum(plate, swapped)
    slack = 2.0 ** -10 * scale
    assert ((out >= low - slack) & (out <= high + slack))[band].all()


def test_where_the_matte_is_one_the_output_is_the_swapped_face(rendered):
    full = rendered["matte"] == 1
    assert full.sum() > 1000
    np.testing.assert_array_equal(rendered["out"][..., :3][full],
                                  rendered["swapped"][..., :3][full])


def test_outside_the_matte_every_channel_is_the_plate_bit_for_bit(rendered):
    plate, out, m = rendered["plate"], rendered["out"], rendered["matte"]
    assert plate.dtype == out.dtype == np.float16 and plate.shape == out.shape
    outside = m == 0
    assert 0.8 < outside.mean() < 1.0
    np.testing.assert_array_equal(out[outside].view(np.uint16), plate[outside].view(np.uint16))
    # The channels beyond RGB (the depth AOV) are the plate's everywhere, under the face too.
    np.testing.assert_array_equal(out[..., 3:].view(np.uint16), plate[..., 3:].view(np.uint16))
    # ...and the face did change: the matte marks where the swap is.
    inside = m > 0.5
    changed = (out[..., :3] != plate[..., :3]).any(axis=2)
    assert changed[inside].mean() > 0.9


def _face_size(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[EYE_CORNERS[0]] - points[EYE_CORNERS[1]]))


def test_the_matte_covers_the_inner_face_and_ends_near_the_face_oval(rendered):
    m, points = rendered["matte"], rendered["landmarks"]
    size = _face_size(points)
    oval = np.zeros(m.shape, np.uint8)
    cv2.fillPoly(oval, [np.round(points[FACE_OVAL] * 16).astype(np.int32)], 1, shift=4)
    beyond = cv2.distanceTransform(1 - oval, cv2.DIST_L2, 5)  # pixels outside the oval
    # The matte is 0 more than 0.15 face sizes outside the oval (the feather reaches about
    # 0.08: its Gaussian's 3.3 sigma, 0.07 each, less the 0.02 erosion), so a matte grown
    # past the face, or a feather widened, fails here.
    assert beyond[m > 0].max() < 0.15 * size
    # It holds the face: 1 on the nose, between the eyes and on both cheeks...
    for index in INNER_FACE:
        x, y = np.round(points[index]).astype(int)
        assert m[y, x] == 1.0, f"matte {m[y, x]} at mesh point {index}"
    # ...and most of the oval (its top reaches into the hairline, which the source's own
    # face does not cover; the open mouth is cut out).
    assert (m[oval > 0] > 0.5).mean() > 0.6
    # It is soft at the edge: a band of values between 0 and 1 about a feather wide.
    soft = ((m > 0.05) & (m < 0.95)).sum()
    perimeter = cv2.arcLength(points[FACE_OVAL].astype(np.float32), True)
    assert 0.04 * size * perimeter < soft < 0.5 * size * perimeter


def test_the_swapped_skin_has_the_plates_colour_in_cielab(rendered):
    plate, out, m, points = (rendered[k] for k in ("plate", "out", "matte", "landmarks"))
    size = _face_size(points)
    oval = np.zeros(m.shape, np.uint8)
    cv2.fillPoly(oval, [np.round(points[FACE_OVAL] * 16).astype(np.int32)], 1, shift=4)
    ys, xs = np.mgrid[:m.shape[0], :m.shape[1]]
    features = np.zeros(m.shape, bool)
    for index, radius in NOT_SKIN:
        x, y = points[index]
        features |= (xs - x) ** 2 + (ys - y) ** 2 < (radius * size) ** 2
    inner = cv2.distanceTransform(oval, cv2.DIST_L2, 5) > 0.05 * size
    skin = inner & ~features & (m > 0.5)  # the face's skin, mostly the swapped face
    assert skin.sum() > 1000
    plate_lab = acescg_to_lab(plate[..., :3][skin]).mean(axis=0)
    out_lab = acescg_to_lab(out[..., :3][skin]).mean(axis=0)
    # The face is another person's (the pixels changed), with the plate's skin colour: CIE76
    # ΔE of the mean colours within 5 (about 2 measured; without colour matching the
    # source's skin lands about 12 away).
    assert np.abs(out[..., :3][skin] - plate[..., :3][skin]).mean() > 0.01
    delta_e = float(np.linalg.norm(out_lab - plate_lab))
    assert delta_e < 5.0, (out_lab, plate_lab)


def test_the_matte_has_no_hard_edge(rendered):
    """The feather (a Gaussian of 0.07 face sizes, about 5 pixels here) and the mouth's cut
    (0.03) change the matte by well under 0.35 from one pixel to the next; a hard paste, or a
    matte cut off at the edge of the region the swap works in, steps by up to 1.

    Measured below the nose tip (MediaPipe point 1): above it, the plate's hair in front of
    the forehead and temples is cut out along the hair's own edge, which is as sharp as the
    plate's hair is."""
    below = int(np.ceil(rendered["landmarks"][1, 1]))
    m = rendered["matte"].astype(np.float64)[below:]
    steps = max(np.abs(np.diff(m, axis=0)).max(), np.abs(np.diff(m, axis=1)).max())
    assert 0.01 < steps < 0.35


def _working_lab(acescg: np.ndarray) -> np.ndarray:
    """CIE Lab of ACEScg pixels as the working space (sRGB-encoded Rec.709) shows them,
    clipped to 0..1."""
    encoded = np.clip(srgb_encode(np.asarray(acescg, np.float64) @ AP1_TO_REC709.T), 0, 1)
    return linear_rec709_to_lab(srgb_decode(encoded))


def _seam(plate: np.ndarray, out: np.ndarray, m: np.ndarray, mesh: np.ndarray) -> float:
    """docs/qc.md's seam: CIE76 ΔE of the mean Lab difference between result and plate, in the
    working space, over a band just inside the matte's outer edge (5% of the face size wide,
    at least 2 pixels; where the matte is at least 0.95; the edge of an open mouth's cut, a hole
    in the matte, is not a seam)."""
    size = float(np.linalg.norm(mesh[EYE_CORNERS[0]] - mesh[EYE_CORNERS[1]]))  # in 3D
    band = max(2, round(0.05 * size))
    below = (m < 0.95).astype(np.uint8)
    _, labels = cv2.connectedComponents(below, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, border[border > 0]).astype(np.uint8)
    near_edge = cv2.dilate(outside, np.ones((2 * band + 1, 2 * band + 1), np.uint8)) > 0
    seam_band = (m >= 0.95) & near_edge
    assert seam_band.sum() > 100
    delta = _working_lab(out[..., :3][seam_band]) - _working_lab(plate[..., :3][seam_band])
    return float(np.linalg.norm(delta.mean(axis=0)))


def test_the_recorded_seam_is_the_colour_step_just_inside_the_matte_edge(rendered):
    plate, mesh = rendered["plate"], rendered["mesh"]
    # The hard-edged render shows a step at its edge (about 1.4 ΔE now that the face takes the
    # plate's light; 3 before); the feathered one shows less. Each record's seam is the
    # step its own files show.
    hard = _seam(plate, rendered["swapped"], rendered["hard_matte"], mesh)
    soft = _seam(plate, rendered["out"], rendered["matte"], mesh)
    assert 1.0 < hard < 3.0 and soft < hard, (hard, soft)
    assert rendered["hard_record"].faces[0].seam == pytest.approx(hard, abs=0.1)
    assert rendered["record"].faces[0].seam == pytest.approx(soft, abs=0.1)


# --- what the render measures of the swap ----------------------------------------------------

def test_the_plates_identity_is_the_analysed_descriptor_else_measured_on_the_frame(rig, tmp_path):
    # the identity check runs on the track's keyframes (its first frame is one)
    source = rig.node.sources()["actor_a"].descriptor
    given = rig.render_one(rig.spec_for(tmp_path / "given"), KEYFRAME,
                           rig.with_face(KEYFRAME, descriptor=[float(v) for v in source]))
    face = given.faces[0]
    # The analysed descriptor is taken as the plate's face: here the source's, so the output's
    # distance to "the original" is its distance to the source.
    assert face.identity_distance_to_original == face.identity_distance_to_source
    analysed = rig.render_one(rig.spec_for(tmp_path / "analysed"), KEYFRAME).faces[0]
    unmeasured = rig.render_one(rig.spec_for(tmp_path / "none"), KEYFRAME,
                                rig.with_face(KEYFRAME, descriptor=None)).faces[0]
    # Without one (an interpolated face), it is measured on the plate's frame: the same face.
    assert unmeasured.identity_distance_to_original == pytest.approx(
        analysed.identity_distance_to_original, abs=0.05)
    assert abs(analysed.identity_distance_to_original - face.identity_distance_to_original) > 0.1


def _shifted(box: list[float], dx: float, dy: float) -> list[float]:
    x0, y0, x1, y1 = box
    return [x0 + dx, y0 + dy, x1 + dx, y1 + dy]


@pytest.mark.parametrize("where", ["right", "left", "below", "above", "off the frame"])
def test_an_interpolated_face_is_pasted_only_where_a_face_lies_inside_its_box(rig, tmp_path,
                                                                             where):
    """The plate's face is found in the region, but its centre lies outside the interpolated
    face's box (beside it, above or below it), or the face is off the frame: not pasted."""
    face = rig.face(FRAME)
    x0, y0, x1, y1 = face.bbox
    if where == "off the frame":
        points = np.asarray(face.landmarks) + (-5000.0, 0.0, 0.0)
        changes = dict(landmarks=points.tolist(), bbox=_shifted(face.bbox, -5000, 0))
    else:
        dx, dy = {"right": ((x1 - x0) + 1, 0.0), "left": (-(x1 - x0) - 1, 0.0),
                  "below": (0.0, (y1 - y0) + 1), "above": (0.0, -(y1 - y0) - 1)}[where]
        changes = dict(bbox=_shifted(face.bbox, dx, dy))
    spec = rig.spec_for(tmp_path)
    record = rig.render_one(spec, FRAME, rig.with_face(FRAME, origin="interpolated", **changes))
    assert record.status == "passthrough" and record.flags == ["no_face"]
    assert record.reasons["no_face"].startswith("track 0: interpolated alignment rejected")


def test_an_interpolated_face_is_pasted_on_a_faint_face(rig, tmp_path):
    """Fog and deep soft focus: the plate's face, blurred (4 px) at a tenth of its contrast,
    is still a face to the very low threshold the check uses (the detector scores it about
    -0.2: below 0, above -1), so the interpolated face is pasted."""
    frame = rig.plate(FRAME)
    x0, y0, x1, y1 = (int(v) for v in rig.face(FRAME).bbox)
    d = frame.data_box
    pad = x1 - x0
    rows = slice(max(0, y0 - pad - d.y0), y1 + pad - d.y0)
    cols = slice(max(0, x0 - pad - d.x0), x1 + pad - d.x0)
    rgb = frame.pixels[rows, cols, :3].astype(np.float32)
    faint = 0.18 + 0.1 * (cv2.GaussianBlur(rgb, (0, 0), 4) - 0.18)
    frame.pixels[rows, cols, :3] = faint.astype(np.float16)
    plates = tmp_path / "plates"
    rig.write_plate(plates, frame)
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    record = rig.render_one(spec, FRAME, rig.with_face(FRAME, origin="interpolated"))
    assert record.status == "swapped" and "no_face" not in record.flags
    assert "interpolated_alignment" in record.flags


# --- the seam measured on a matte built for it -----------------------------------------------

GREY = np.array([0.46, 0.46, 0.46], np.float32)  # working-space (sRGB-encoded) values
WARM = np.array([0.56, 0.44, 0.38], np.float32)
GREEN = np.array([0.30, 0.62, 0.30], np.float32)


def _delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """CIE76 ΔE between two sRGB-encoded colours, from the published sRGB transforms."""
    lab = linear_rec709_to_lab(srgb_decode(np.stack([a, b]).astype(np.float64)))
    return float(np.linalg.norm(lab[0] - lab[1]))


def _cut_face(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matte, result, plate) of a face that fills its 40 × 40 region, cut by the frame's
    edge on every side but one, where the matte falls to 0 over a 1-pixel notch (rows 12-27
    of that side); an open mouth (a hole) in the middle. The result is the plate's grey but
    warm over the 8 columns next to the notch and green around the mouth. ``side`` turns
    the whole picture by quarter turns (0: the notch on the right)."""
    matte = np.ones((40, 40), np.float32)
    matte[12:28, 39] = 0.0
    matte[17:23, 14:26] = 0.0
    result = np.tile(GREY, (40, 40, 1))
    result[:, 32:] = WARM
    result[12:28, 8:30] = GREEN
    plate = np.tile(GREY, (40, 40, 1))
    return tuple(np.ascontiguousarray(np.rot90(a, side)) for a in (matte, result, plate))


@pytest.mark.parametrize("side", [0, 1, 2, 3], ids=["right", "top", "left", "bottom"])
def test_the_seam_of_a_face_cut_by_the_frame_edge_is_measured_along_its_one_open_side(side):
    """Where the matte reaches the region's border (a face cut by the frame's edge) that border
    is not a seam, nor is the mouth's cut: only the band inside the notch counts, whichever
    side it is on. Everywhere in that band the result is WARM on GREY."""
    matte, result, plate = _cut_face(side)
    seam = seam_difference(result, plate, matte, band=3)
    assert seam == pytest.approx(_delta_e(WARM, GREY), abs=0.3)
    assert abs(_delta_e(WARM, GREY) - _delta_e(GREEN, GREY)) > 10  # the mouth's would show


def test_the_seam_of_a_face_inside_its_region_is_its_band_whatever_lies_beyond_the_matte():
    """A hard square matte well inside its region (the matte's edge one pixel from its box's):
    the band 3 pixels inside the square's edge is WARM, deeper in GREEN, and beyond the matte
    the result is GREEN too (not measured): the seam is WARM on GREY, all of it."""
    matte = np.zeros((80, 90), np.float32)
    matte[20:61, 25:71] = 1.0
    result = np.tile(GREEN, (80, 90, 1))
    result[20:61, 25:71] = WARM
    result[23:58, 28:68] = GREEN
    plate = np.tile(GREY, (80, 90, 1))
    seam = seam_difference(result, plate, matte, band=3)
    assert seam == pytest.approx(_delta_e(WARM, GREY), abs=0.3)


@pytest.mark.parametrize("rows, measured", [(16, True), (15, False)])
def test_a_seam_band_of_16_pixels_is_measured_and_one_of_15_is_not(rows, measured):
    """The matte is 0 on the first column only; a 1-pixel band is then the second column:
    ``rows`` pixels."""
    matte = np.ones((rows, 6), np.float32)
    matte[:, 0] = 0.0
    result = np.tile(GREY, (rows, 6, 1))
    result[:, 1] = WARM
    plate = np.tile(GREY, (rows, 6, 1))
    seam = seam_difference(result, plate, matte, band=1)
    if measured:
        assert seam == pytest.approx(_delta_e(WARM, GREY), abs=0.3)
    else:
        assert seam is None


@pytest.mark.parametrize("where", ["box ends right of the centre, region moved right",
                                   "box starts left of the centre",
                                   "box starts above the centre",
                                   "box starts above the centre, region moved right"])
def test_the_found_faces_centre_is_taken_in_frame_pixels_from_its_own_x_and_y(rig, tmp_path,
                                                                            where):
    """The interpolated face's box holds the plate face's centre 8 px from one of its edges:
    the found face's centre (x from its box's left and right, y from its top and bottom, in
    frame pixels) lies inside, and the face is pasted. In the first case the interpolated
    mesh lies 50 px right of the face (its region too: the face is found 50 px further left
    in the region than it is high); an x taken from the box's top would lie about half that
    further right, outside; in the last, a y taken from the box's right would lie about half
    that higher, outside. A centre taken a third of the way, not half, would lie outside the
    left or top edge."""
    face = rig.face(FRAME)
    x0, y0, x1, y1 = face.bbox
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    changes = {}
    if where.startswith("box ends right"):
        changes["landmarks"] = (np.asarray(face.landmarks) + (50.0, 0.0, 0.0)).tolist()
        changes["bbox"] = [cx + 8 - w, y0, cx + 8, y1]
    elif where == "box starts left of the centre":
        changes["bbox"] = [cx - 8, y0, cx - 8 + w, y1]
    else:
        changes["bbox"] = [x0, cy - 8, x1, cy - 8 + h]
        if where.endswith("region moved right"):
            changes["landmarks"] = (np.asarray(face.landmarks) + (50.0, 0.0, 0.0)).tolist()
    spec = rig.spec_for(tmp_path)
    record = rig.render_one(spec, FRAME, rig.with_face(FRAME, origin="interpolated", **changes))
    assert record.status == "swapped" and "no_face" not in record.flags


def test_a_faces_region_is_its_mesh_box_grown_by_045_of_its_longer_side_inside_the_data():
    """Mesh box x 100-200, y 50-130 (longer side 100): 45 px each way, floored and ceiled to
    whole pixels, then cut to the data window."""
    points = np.array([[100.0, 50.0, 0.0], [200.0, 130.0, 9.0], [150.4, 90.0, -3.0]])
    assert face_region(points, Box(0, 0, 1000, 1000)) == Box(55, 5, 245, 175)
    points[1, :2] = (200.2, 130.6)  # x1 + 45.09, y1 + 45.09: ceiled
    assert face_region(points, Box(0, 0, 1000, 1000)) == Box(54, 4, 246, 176)
    assert face_region(points, Box(60, 0, 240, 100)) == Box(60, 4, 240, 100)


def test_the_swap_works_in_its_mesh_box_grown_by_025_of_its_longer_side():
    """Mesh box x 100-200, y 50-130 (longer side 100): 25 px each way for the swap's own
    region, cut to the data window; the looking region keeps its 45."""
    points = np.array([[100.0, 50.0, 0.0], [200.0, 130.0, 9.0], [150.4, 90.0, -3.0]])
    assert face_region(points, Box(0, 0, 1000, 1000), SWAP_MARGIN) == Box(75, 25, 225, 155)
    assert face_region(points, Box(60, 0, 240, 100), SWAP_MARGIN) == Box(75, 25, 225, 100)


@pytest.mark.parametrize("size, band", [(10.0, 2), (49.0, 2), (51.0, 3), (100.0, 5)])
def test_the_seam_band_is_5_percent_of_the_face_and_at_least_2_pixels(size, band):
    assert seam_band(size) == band


def test_a_non_finite_plate_value_beside_the_matte_in_its_box_is_kept(rendered, rig, tmp_path):
    """A NaN on the plate inside the matte's bounding box but where the matte is 0 (a corner
    of the box, off the face's round outline): written back as the plate's own bits."""
    m = rendered["matte"]
    ys, xs = np.nonzero(m > 0)
    y, x = int(ys.min()), int(xs.min())  # the box's top-left corner
    assert m[y, x] == 0.0
    frame = rig.plate(FRAME)
    d, (wx, wy) = frame.data_box, rendered["window"][:2]
    row, col = y + wy - d.y0, x + wx - d.x0
    frame.pixels[row, col, 0] = np.nan
    plates = tmp_path / "plates"
    plate = rig.write_plate(plates, frame)
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    assert rig.render_one(spec, FRAME).status == "swapped"
    out = read_pixels(spec.output.path.frame(FRAME)).view(np.uint16)
    np.testing.assert_array_equal(out[row, col], read_pixels(plate).view(np.uint16)[row, col])
