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


@pytest.mark.parametrize("text,frames", [
    ("1001-1010x3", [1001, 1004, 1007, 1010]),   # the last frame on the step
    ("1001-1011x3", [1001, 1004, 1007, 1010]),   # the last frame between steps
    ("1001-1003,1010", [1001, 1002, 1003, 1010]),
    ("-2-1", [-2, -1, 0, 1]),
])
def test_a_range_of_exactly_the_limit_passes_and_one_more_frame_is_refused(text, frames):
    """Counted by hand: each range holds 4 frames, so a limit of 4 takes it and 3 refuses it,
    saying how many frames it counted."""
    from faceplate.frames import parse_frames
    assert parse_frames(text, limit=4) == frames
    with pytest.raises(SpecError) as err:
        parse_frames(text, limit=3)
    assert str(err.value).startswith(f"4 frames in '{text}': more than the 3 a shot may hold")


def test_error_messages_show_a_bad_value_cut_to_a_few_dozen_characters():
    """The documented cut (``shown``): strings and numbers at most 40 characters with ``...``
    in the middle, at most 3 items of a list, nesting 2 levels deep."""
    from faceplate.frames import shown
    long_text = "x" * 1000
    text = shown(long_text)
    assert len(text) == 40 and "..." in text and text.startswith("'xxx") and text.endswith("x'")
    number = shown(10 ** 100)
    assert len(number) == 40 and "..." in number and number.startswith("1000")
    assert shown(list(range(10))) == "[0, 1, 2, ...]"
    assert shown((1, 2, 3, 4)) == "(1, 2, 3, ...)"
    assert shown({"a": 1, "b": 2, "c": 3, "d": 4}).endswith(", ...}")
    assert shown([[[[1]]]]) == "[[[...]]]"
    assert shown("short") == "'short'"


def test_a_bad_item_names_the_whole_range_only_when_there_is_more_than_one_item():
    from faceplate.frames import parse_frames
    with pytest.raises(SpecError) as err:
        parse_frames("abc")
    assert str(err.value).startswith("not a frame range: 'abc' (expected e.g.")
    with pytest.raises(SpecError) as err:
        parse_frames("1001,abc")
    assert str(err.value).startswith("not a frame range: 'abc' in '1001,abc' (expected e.g.")


def test_any_other_value_in_an_error_message_is_cut_to_40_characters():
    from faceplate.frames import shown

    class Long:
        def __repr__(self) -> str:
            return "Z" * 100

    assert len(shown(Long())) == 40 and "..." in shown(Long())
