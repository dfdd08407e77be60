from pathlib import Path

import pytest

from faceplate.errors import SpecError
from faceplate.frames import SequencePath, format_frames, parse_frames


@pytest.mark.parametrize("pattern", ["sh010.####.exr", "sh010.%04d.exr", "sh010.@@@@.exr",
                                     "sh010.$F4.exr"])
def test_padding_tokens_give_four_digits(pattern):
    assert SequencePath(pattern).frame(1001) == Path("sh010.1001.exr")
    assert SequencePath(pattern).frame(7) == Path("sh010.0007.exr")


def test_one_hash_is_one_digit_not_four():
    # fileseq's default reads '#' as four digits; Nuke reads it as one.
    assert SequencePath("a.#.exr").frame(5) == Path("a.5.exr")
    assert SequencePath("a.######.exr").frame(1001) == Path("a.001001.exr")


def test_negative_frames_keep_padding():
    assert SequencePath("a.####.exr").frame(-5) == Path("a.-005.exr")


def test_relative_pattern_resolves_against_base(tmp_path):
    seq = SequencePath("plates/a.####.exr").resolved(tmp_path)
    assert seq.frame(1001) == tmp_path / "plates" / "a.1001.exr"
    absolute = SequencePath("/abs/a.####.exr")
    assert absolute.resolved(tmp_path) is absolute


def test_pattern_without_frame_token_is_rejected():
    with pytest.raises(SpecError, match="no frame number token"):
        SequencePath("plate.exr")


def test_unparseable_pattern_is_a_spec_error():
    with pytest.raises(SpecError, match=r"^cannot parse sequence path 'a.1-x#.exr': "):
        SequencePath("a.1-x#.exr")


def test_the_folder_of_a_sequence():
    assert SequencePath("plates/sh010.####.exr").directory == Path("plates")
    assert SequencePath("/abs/plates/sh010.####.exr").directory == Path("/abs/plates")
    assert SequencePath("sh010.####.exr").directory == Path(".")


def test_a_sequence_path_is_a_value():
    """Frozen and hashable: specs holding them are frozen, and caches key on them."""
    import dataclasses
    seq = SequencePath("a.####.exr")
    assert seq == SequencePath("a.####.exr") and len({seq, SequencePath("a.####.exr")}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        seq.pattern = "b.####.exr"  # type: ignore[misc]


@pytest.mark.parametrize("text,frames", [
    ("1001-1005", [1001, 1002, 1003, 1004, 1005]),
    ("1001-1009x4", [1001, 1005, 1009]),
    ("1001,1003-1004", [1001, 1003, 1004]),
    (1001, [1001]),
    ("-3--1", [-3, -2, -1]),
])
def test_frame_ranges(text, frames):
    assert parse_frames(text) == frames


@pytest.mark.parametrize("text", ["abc", "1001-", ""])
def test_bad_frame_ranges(text):
    with pytest.raises(SpecError):
        parse_frames(text)


def test_format_frames_round_trips():
    frames = [1001, 1002, 1003, 1007, 1009, 1010]
    assert parse_frames(format_frames(frames)) == frames
