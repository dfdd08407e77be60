"""A shot with no face pays for no source identity: its sources are checked before anything is
written (each image must hold a face) but their identity descriptors are never measured; the
cache keeps only that they were checked, for later processes. A shot with a face still
measures and caches them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import OBAMA, make_shot, oiiotool, spec_dict, write_spec

import faceplate.pipeline.analyse.source_set
from faceplate.errors import SpecError
from faceplate.models.mediapipe.pack import MediaPipeFacePack
from faceplate.models.mediapipe.runner import TfliteModel
from faceplate.nodes import ShotNode


def _noise_shot(folder: Path) -> Path:
    """Three frames of half-float noise (no face) and a spec whose source is a portrait."""
    plates = folder / "plates"
    plates.mkdir(parents=True)
    oiiotool("--frames", "1001-1003", "--pattern",
             "noise:type=gaussian:mean=0.3:stddev=0.05:seed={FRAME_NUMBER}", "96x64", 3,
             "-d", "half", "--compression", "zip", "-o", plates / "tst010.%04d.exr")
    (folder / "refs").mkdir()
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    spec = spec_dict()
    spec["plate"]["frames"] = "1001-1003"
    return write_spec(folder, spec)


def _record(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Wrap ``owner.name`` so each call's first argument is recorded; it still runs."""
    calls: list[Any] = []
    real = getattr(owner, name)

    def recorded(first: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(first)
        return real(first, *args, **kwargs)
    monkeypatch.setattr(owner, name, recorded)
    return calls


def test_a_shot_with_no_face_checks_its_sources_but_never_identifies_them(tmp_path,
                                                                           monkeypatch):
    spec_path = _noise_shot(tmp_path)
    located = _record(monkeypatch, faceplate.pipeline.analyse.source_set, "locate_source")
    identified = _record(monkeypatch, MediaPipeFacePack, "descriptor")
    node = ShotNode.from_file(spec_path)
    result = node.run()
    assert [r.status for r in result.render.records] == ["passthrough"] * 3
    assert [s.name for s in located] == ["actor_a"], "the source is checked, once"
    assert identified == [], "no identity descriptor is measured on a shot with no face"
    body = json.loads((node.spec.output.cache / "sources.json").read_text())
    assert body["sources"]["actor_a"]["checked"] is True
    assert "descriptor" not in body["sources"]["actor_a"], "checked, never identified"

    # a later process (a farm task) takes the check from the cache: no face found again, no
    # model loaded by a solve
    loaded = _record(monkeypatch, TfliteModel, "_load")
    later = ShotNode.from_file(spec_path)
    later.solve()
    later.render(force=True)
    assert [s.name for s in located] == ["actor_a"] and loaded == [] and identified == []

    # a changed source image is checked again: one without a face is refused before anything
    # is written
    shutil.rmtree(tmp_path / "out")
    oiiotool(tmp_path / "plates" / "tst010.1001.exr", "-d", "uint8", "-o",
             tmp_path / "refs" / "actor_a.jpg")
    with pytest.raises(SpecError) as caught:
        ShotNode.from_file(spec_path).run()
    assert caught.value.key == "sources.actor_a.images[0]"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.exr"))


@pytest.mark.slow
def test_a_shot_with_a_face_identifies_and_caches_its_sources_once(tmp_path, colour,
                                                                   monkeypatch):
    shot = make_shot(tmp_path, colour, "1001-1002")
    located = _record(monkeypatch, faceplate.pipeline.analyse.source_set, "locate_source")
    node = ShotNode.from_file(shot.spec_path)
    node.run()
    assert [s.name for s in located] == ["actor_a"], "found once: checked, then identified"
    assert (node.spec.output.cache / "sources.json").is_file()
    assert node.sources()["actor_a"].descriptor.shape == (128,)
