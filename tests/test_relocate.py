"""A shot folder moved or copied elsewhere (another mount, another machine) re-runs with every
finished frame kept: caches, frame records and qc.json name the files under the shot folder
relative to the spec, so nothing keys on where the folder used to be."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import Shot, make_shot, run_cli

from faceplate.written import MANIFEST_NAME

pytestmark = pytest.mark.slow


def _stamps(folder: Path) -> dict[str, int]:
    """mtime of every file of the shot's results and caches, by path under the folder (not the
    report's own files, rewritten by every run, nor the folders' written-file manifests, which
    list the temporaries of those rewrites)."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in sorted((folder / "out").rglob("*"))
            if p.is_file() and "thumbs" not in p.parts
            and p.name not in ("qc.json", "index.html", "contact_sheet.png", "tracks.json",
                               "review.otio", MANIFEST_NAME)}


def _moved(shot: Shot, folder: Path) -> Shot:
    return Shot(folder, folder / shot.spec_path.name, shot.frames)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, colour) -> tuple[Shot, dict[str, int]]:
    shot = make_shot(tmp_path_factory.mktemp("relocate") / "sh010", colour, "1001-1003")
    first = run_cli("run", str(shot.spec_path))
    assert first.returncode == 0, first.stderr
    return shot, _stamps(shot.folder)


def _check_kept(before: dict[str, int], shot: Shot, old: Path) -> None:
    again = run_cli("-v", "run", str(shot.spec_path))
    assert again.returncode == 0, again.stderr
    assert "frames rendered: 0; already complete: 3" in again.stdout
    assert "analysis: re-using" in again.stderr
    assert _stamps(shot.folder) == before, "a cache or a finished frame was made again"
    text = shot.qc_json.read_text()
    assert str(old) not in text
    qc = json.loads(text)
    assert qc["spec"] == shot.spec_path.name
    assert [r["output"] for r in qc["frames"]] == [f"out/tst010_fp.{f}.exr" for f in shot.frames]
    for f in shot.frames:
        record = json.loads((shot.folder / "out" / "qc" / "frames" / f"{f}.json").read_text())
        assert record["matte"] == f"out/tst010_fp_matte.{f}.exr"
        assert set(record["outputs"]) == {record["output"], record["matte"]}
    for cache in ("analysis.json", "sources.json"):
        assert str(old) not in (shot.folder / "out" / "qc" / "cache" / cache).read_text()


def test_a_moved_shot_folder_reruns_with_every_frame_kept(finished, tmp_path: Path) -> None:
    shot, before = finished
    copy = tmp_path / "first place" / "sh010"
    shutil.copytree(shot.folder, copy)  # keeps mtimes, as mv and rsync -a do
    target = tmp_path / "elsewhere" / "mount" / "sh010"
    target.parent.mkdir(parents=True)
    shutil.move(copy, target)
    _check_kept(before, _moved(shot, target), copy)


def test_a_copied_shot_folder_reruns_with_every_frame_kept_and_leaves_the_original(
        finished, tmp_path: Path) -> None:
    shot, before = finished
    copy = tmp_path / "copy of sh010"
    shutil.copytree(shot.folder, copy)
    _check_kept(before, _moved(shot, copy), shot.folder)
    assert _stamps(shot.folder) == before


def test_a_changed_plate_in_the_moved_folder_is_still_redone(finished, tmp_path: Path) -> None:
    shot, _ = finished
    copy = _moved(shot, tmp_path / "sh010")
    shutil.copytree(shot.folder, copy.folder)
    before = copy.output(1002).stat().st_mtime_ns
    shutil.copyfile(copy.plate(1001), copy.plate(1002))  # a re-delivered frame
    again = run_cli("run", str(copy.spec_path))
    assert again.returncode == 0, again.stderr
    assert "frames rendered: 0;" not in again.stdout
    assert copy.output(1002).stat().st_mtime_ns != before
