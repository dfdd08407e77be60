"""Whole-shot behaviour: stability against ground truth, and identical frames however
the shot is chunked."""

import hashlib
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import make_shot, run_cli

pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))


def test_solved_track_jitters_far_less_than_per_frame_processing(tmp_path):
    import temporal
    figures, _ = temporal.measure(tmp_path, frames=24, grain=0.02)
    assert figures["per-frame"] > 0.3, "the detector should be visibly noisy on a grainy plate"
    assert figures["solved"] <= 0.3 * figures["per-frame"], figures


def _digests(shot):
    return {f: (hashlib.sha256(shot.output(f).read_bytes()).hexdigest(),
                hashlib.sha256(shot.matte(f).read_bytes()).hexdigest()) for f in shot.frames}


def test_chunks_in_separate_processes_match_one_range(tmp_path, colour):
    shot = make_shot(tmp_path / "shot", colour, "1001-1048", overscan=0, depth_channel=False)
    whole = run_cli("run", str(shot.spec_path))
    assert whole.returncode == 0, whole.stderr
    reference = _digests(shot)
    for f in shot.frames:
        shot.output(f).unlink()
        shot.matte(f).unlink()
    chunks = [f"{start}-{min(start + 6, 1048)}" for start in range(1001, 1049, 7)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: run_cli("render", str(shot.spec_path), "--frames", c),
                                chunks))
    for chunk, result in zip(chunks, results):
        assert result.returncode == 0, (chunk, result.stderr)
    assert _digests(shot) == reference
