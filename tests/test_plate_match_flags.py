"""The QC flags of how a face sits in its plate (issue 16), each fired through the real render
code by a threshold just below the value measured on the frame and not by one just above it
(or the other way round for a lower limit); the value is the record's, the sentence names
both. The rig (tests/render_rig.py) is the astronaut plate with Obama as the source."""

from __future__ import annotations

import pytest
from render_rig import RenderRig, make_rig

from faceplate.spec import QCSpec

WHO = "swap 0 (actor_a) track 0"


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("platematchrig"), colour)


@pytest.fixture(scope="module")
def measured(rig, tmp_path_factory):
    """Frame 1002 rendered with the default thresholds."""
    return rig.render_one(rig.spec_for(tmp_path_factory.mktemp("measure")), 1002)


def test_the_measures_are_recorded_and_a_good_swap_passes_them(measured):
    face = measured.faces[0]
    values = (face.highlight, face.detail_ratio, face.grain_ratio, face.eye_difference,
              face.mouth_difference, face.hard_edge)
    assert all(v is not None for v in values), values
    qc = QCSpec()
    assert abs(face.highlight) <= qc.max_highlight
    assert qc.min_detail_ratio <= face.detail_ratio <= qc.max_detail_ratio
    assert abs(face.grain_ratio - 1) <= qc.max_grain_difference
    assert abs(face.eye_difference) <= qc.max_eye_difference
    assert abs(face.mouth_difference) <= qc.max_mouth_difference
    assert face.hard_edge <= qc.max_hard_edge
    assert measured.flags == []


# (record field, how the flag reads it, qc key, flag, flagged above the threshold)
CASES = [
    ("highlight", abs, "max_highlight", "highlight_mismatch", True),
    ("detail_ratio", lambda v: v, "max_detail_ratio", "detail_mismatch", True),
    ("detail_ratio", lambda v: v, "min_detail_ratio", "detail_mismatch", False),
    ("grain_ratio", lambda v: abs(v - 1.0), "max_grain_difference", "grain_mismatch", True),
    ("eye_difference", abs, "max_eye_difference", "eye_mismatch", True),
    ("mouth_difference", abs, "max_mouth_difference", "mouth_mismatch", True),
    ("hard_edge", lambda v: v, "max_hard_edge", "hard_edge", True),
]


@pytest.mark.parametrize("field, read, key, flag, above", CASES,
                         ids=[f"{c[2]}" for c in CASES])
def test_each_flag_switches_around_its_threshold(rig, measured, tmp_path, field, read, key,
                                                 flag, above):
    value = read(getattr(measured.faces[0], field))
    if not above:
        assert value > 2e-3
    flagged_at, clean_at = (value - 2e-3, value + 2e-3) if above else (value + 2e-3,
                                                                        value - 2e-3)
    flagged = rig.render_one(rig.spec_for(tmp_path / "a", qc={key: flagged_at}), 1002)
    clean = rig.render_one(rig.spec_for(tmp_path / "b", qc={key: clean_at}), 1002)
    assert flagged.flags == [flag]
    side = ">" if above else "<"
    assert flagged.reasons[flag].startswith(f"{WHO}: ")
    # the sentence shows the measured value to 3 places, the record keeps it to 4: the two
    # roundings of one value may differ in the last place shown (1.0505 shows as 1.051)
    number, rest = flagged.reasons[flag].rsplit(": ", 1)[1].split(" ", 1)
    assert float(number) == pytest.approx(value, abs=5.1e-4) and rest == f"{side} {flagged_at:g}"
    assert clean.flags == []
    assert flagged.status == clean.status == "swapped"
