"""The swap's composite over the plate (``pipeline/render/swap.py``), checked where the matte
ends abruptly: a hard matte block cut by its region's edge is composited up to its last row and
column, an empty matte changes nothing; and the track's rest shape is used by the swap. The
composite's feathered values and the plate kept outside the matte are tests/test_composite.py's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import read_header, read_pixels
from render_rig import RenderRig, make_rig

from faceplate.face.image8 import to_uint8
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.render.swap import _composite, face_region, seam_difference
from faceplate.plateio.frame import Box, PlateFrame
from faceplate.types import WORKING_SPACE

SWAPPED = (0.25, 0.5, 0.75)  # exact in half floats


def _frame(width: int = 40, height: int = 30) -> PlateFrame:
    """A half-float RGB + depth frame with overscan (data window from (-4, -2)), every value
    distinct."""
    spec = oiio.ImageSpec(width, height, 4, oiio.HALF)
    spec.x, spec.y = -4, -2
    spec.full_width, spec.full_height = width - 8, height - 4
    spec.channelnames = ("R", "G", "B", "Z")
    values = np.arange(width * height * 4, dtype=np.float32).reshape(height, width, 4)
    pixels = (0.001 * values + 0.01).astype(np.float16)
    return PlateFrame(Path("plate.exr"), 1001, spec, pixels, (0, 1, 2))


def _composited(matte: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """The frame's pixels before and after compositing a flat colour under ``matte`` in
    ``box`` (the plate's colourspace is the working space: no conversion)."""
    frame = _frame()
    before = frame.pixels.copy()
    clean = frame.rgb_region(box)
    swapped = np.broadcast_to(np.float32(SWAPPED), clean.shape).copy()
    _composite(frame, box, clean, swapped, matte, WORKING_SPACE, RunContext.create())
    return before, frame.pixels


def test_a_hard_matte_cut_by_its_region_is_composited_to_its_last_row_and_column():
    box = Box(2, 3, 22, 18)  # display pixels: data rows 5..20, columns 6..26
    matte = np.zeros((box.height, box.width), np.float32)
    matte[9:, 12:] = 1.0  # to the region's bottom and right edges
    before, after = _composited(matte, box)
    inside = np.zeros(after.shape[:2], bool)
    inside[3 + 2 + 9:3 + 2 + box.height, 2 + 4 + 12:2 + 4 + box.width] = True
    np.testing.assert_array_equal(after[inside][:, :3], np.float16(SWAPPED)[None].repeat(
        inside.sum(), 0))
    np.testing.assert_array_equal(after[~inside].view(np.uint16), before[~inside].view(np.uint16))
    np.testing.assert_array_equal(after[..., 3].view(np.uint16), before[..., 3].view(np.uint16))


def test_an_empty_matte_changes_nothing_and_a_one_pixel_matte_that_pixel():
    box = Box(0, 0, 10, 10)
    before, after = _composited(np.zeros((10, 10), np.float32), box)
    np.testing.assert_array_equal(after.view(np.uint16), before.view(np.uint16))
    matte = np.zeros((10, 10), np.float32)
    matte[6, 3] = 1.0
    before, after = _composited(matte, box)
    changed = np.argwhere((after != before).any(axis=2))
    assert changed.tolist() == [[2 + 6, 4 + 3]]
    np.testing.assert_array_equal(after[8, 7, :3], np.float16(SWAPPED))


def test_a_matte_of_exactly_095_is_inside_the_face_for_the_seam():
    """Columns 0-3 outside (0), column 4 at exactly 0.95, the rest 1: with a 1-pixel band the
    seam is measured on column 4 alone (at least 0.95 is the face), where result and plate
    agree; column 5, which differs, is one pixel further in."""
    matte = np.ones((20, 12), np.float32)
    matte[:, :4] = 0.0
    matte[:, 4] = np.float32(0.95)
    plate = np.full((20, 12, 3), 0.4, np.float32)
    result = plate.copy()
    result[:, 5:] = (0.9, 0.2, 0.1)
    assert seam_difference(result, plate, matte, 1) == 0.0
    assert seam_difference(result, plate, matte, 2) > 20.0  # a wider band reaches column 5


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("swaprig"), colour)


def test_the_tracks_rest_shape_shapes_the_swap(rig, tmp_path):
    """The same frame rendered with the track's rest shape and without one (the face's own
    shape then stands for it): the swapped faces differ."""
    face = rig.face(1002)
    assert face.rest is not None
    with_rest, without = rig.spec_for(tmp_path / "rest"), rig.spec_for(tmp_path / "none")
    rig.render_one(with_rest, 1002)
    rig.render_one(without, 1002, rig.with_face(1002, rest=None))
    a = read_pixels(with_rest.output.path.frame(1002)).astype(np.float32)
    b = read_pixels(without.output.path.frame(1002)).astype(np.float32)
    changed = np.abs(a - b)[..., :3].max(axis=2) > 0.01
    assert changed.sum() > 200


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_an_interpolated_box_whose_edge_is_the_found_faces_centre_takes_it(rig, tmp_path, edge):
    """The plate's face, found in the interpolated face's region as the check finds it (the
    detector at its lowest threshold), has its centre exactly on one edge of the box: on the
    edge is inside, and the face is pasted."""
    pre = rig.node.preflight()
    face, frame = rig.face(1002), rig.plate(1002)
    box = face_region(np.asarray(face.landmarks), frame.data_box)
    region = to_uint8(rig.node.ctx.colour.convert(
        np.nan_to_num(frame.rgb_region(box)), pre.plate_space(), WORKING_SPACE))
    centres = [((d.box[0] + d.box[2]) / 2 + box.x0, (d.box[1] + d.box[3]) / 2 + box.y0)
               for d in pre.shot_models().faces.detect(region, upsample=1, threshold=-1.0)]
    x0, y0, x1, y1 = face.bbox
    inside = [c for c in centres if x0 <= c[0] <= x1 and y0 <= c[1] <= y1]
    assert len(inside) == 1
    (cx, cy), w, h = inside[0], x1 - x0, y1 - y0
    bbox = {"left": [cx, y0, cx + w, y1], "right": [cx - w, y0, cx, y1],
            "top": [x0, cy, x1, cy + h], "bottom": [x0, cy - h, x1, cy]}[edge]
    others = [c for c in centres if c != inside[0]]
    assert not [c for c in others if bbox[0] <= c[0] <= bbox[2] and bbox[1] <= c[1] <= bbox[3]]
    record = rig.render_one(rig.spec_for(tmp_path), 1002,
                            rig.with_face(1002, origin="interpolated", bbox=bbox))
    assert record.status == "swapped" and "no_face" not in record.flags


def _display(path: Path) -> tuple[np.ndarray, int, int]:
    """The pixels of ``path`` as floats and the display (x, y) of its data window's corner."""
    header = read_header(path)
    return (read_pixels(path, fmt=oiio.FLOAT), header.x - header.full_x,
            header.y - header.full_y)


def test_a_nan_plate_value_under_the_feather_is_mixed_as_0(rig, tmp_path):
    """A plate pixel whose RGB are NaN where the feathered matte is at its softest while the
    hard matte is 1: the output there is 0 + matte × the swapped face (the swap from a hard-matte
    render of the same plate), the NaN taken as 0."""
    probe = rig.spec_for(tmp_path / "probe")
    rig.render_one(probe, 1002)
    hard = rig.with_face(1002, params={"feather": 0.0})
    hard_probe = rig.spec_for(tmp_path / "hard_probe")
    rig.render_one(hard_probe, 1002, hard)
    soft_matte, sx, sy = _display(probe.output.matte.frame(1002))
    hard_matte, hx, hy = _display(hard_probe.output.matte.frame(1002))
    ys, xs = np.nonzero((soft_matte[..., 0] > 0.0) & (soft_matte[..., 0] < 1.0))
    spots = [(soft_matte[y, x, 0], x + sx, y + sy) for y, x in zip(ys, xs)
             if 0 <= y + sy - hy < hard_matte.shape[0] and 0 <= x + sx - hx < hard_matte.shape[1]
             and hard_matte[y + sy - hy, x + sx - hx, 0] == 1.0]
    _, x, y = min(spots)  # the softest pixel where the hard matte is 1
    frame = rig.plate(1002)
    d = frame.data_box
    frame.pixels[y - d.y0, x - d.x0, :3] = np.float16(np.nan)
    plates = tmp_path / "plates"
    rig.write_plate(plates, frame)
    soft_spec = rig.spec_for(tmp_path / "soft", plates=plates)
    hard_spec = rig.spec_for(tmp_path / "hard", plates=plates)
    record = rig.render_one(soft_spec, 1002)
    assert record.nonfinite_pixels == 3 and record.status == "swapped"
    rig.render_one(hard_spec, 1002, hard)
    out = read_pixels(soft_spec.output.path.frame(1002), fmt=oiio.FLOAT)[y - d.y0, x - d.x0, :3]
    swap = read_pixels(hard_spec.output.path.frame(1002), fmt=oiio.FLOAT)[y - d.y0, x - d.x0, :3]
    matte, mx, my = _display(soft_spec.output.matte.frame(1002))
    m = matte[y - my, x - mx, 0]
    assert 0.0 < m < 0.95 and np.isfinite(swap).all()
    np.testing.assert_allclose(out, m * swap, rtol=2.0 ** -9, atol=1e-6)
