"""Frame ranges every layer shares: inside the plate, contiguous for farms that chunk a range."""

from __future__ import annotations

import numpy as np
import pytest

from faceplate.errors import SpecError
from faceplate.frames import contiguous_range, outside, select_frames

PLATE = tuple(range(1001, 1011))


def test_requested_frames_are_sorted_unique_and_inside_the_plate() -> None:
    assert select_frames(None, PLATE) == list(PLATE)
    assert select_frames([1005, np.int64(1003), 1005], PLATE) == [1003, 1005]
    assert all(type(f) is int for f in select_frames(np.array([1002, 1001]), PLATE))
    with pytest.raises(SpecError) as caught:
        select_frames([999, 1001, 1011], PLATE, key="--frames")
    assert caught.value.key == "--frames"
    assert str(caught.value) == ("--frames: frames 999,1011 are outside the plate range "
                                 "1001-1010")
    assert outside([1012, 1001, 990], PLATE) == [990, 1012]


@pytest.mark.parametrize("frames, expected", [
    ([1001, 1002, 1003], (1001, 1003)),
    ([7], (7, 7)),
    ([1001, 1003, 1005], None),        # stepped
    ([1001, 1002, 1004], None),        # a hole
    ([1002, 1001], None),              # not in order
    ([1001, 1001, 1003], None),        # a frame twice and a hole
    ([1001, 1000, 1003], None),        # out of order inside
    ([], None),
])
def test_contiguous_range(frames: list[int], expected: tuple[int, int] | None) -> None:
    assert contiguous_range(frames) == expected


def test_the_frame_limit_comes_from_the_environment_or_the_default():
    from faceplate.errors import SpecError
    from faceplate.frames import MAX_FRAMES_VARIABLE, frame_limit
    assert frame_limit({}) == 100_000
    assert frame_limit({MAX_FRAMES_VARIABLE: "  "}) == 100_000
    assert frame_limit({MAX_FRAMES_VARIABLE: "250"}) == 250
    assert frame_limit({MAX_FRAMES_VARIABLE: "1"}) == 1
    for bad in ("0", "-3", "abc", "2.5"):
        with pytest.raises(SpecError, match="expected a whole number of frames above 0"):
            frame_limit({MAX_FRAMES_VARIABLE: bad})
