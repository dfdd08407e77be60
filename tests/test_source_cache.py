"""Prepared sources are cached beside the analysis: a later process (a render chunk, a farm
task) takes them from there, exactly as prepared, and a changed source image is found again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from conftest import OBAMA, make_shot

from faceplate.nodes import ShotNode
from faceplate.pipeline.analyse.source_cache import load_sources


def _same(a, b) -> None:
    assert np.array_equal(a.texture, b.texture) and a.texture.dtype == b.texture.dtype
    assert np.array_equal(a.landmarks, b.landmarks)
    assert np.array_equal(a.descriptor, b.descriptor)
    assert a.skin == b.skin and a.skin is not None


def test_a_later_process_takes_the_sources_from_the_cache(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path, colour, "1001-1002")
    first = ShotNode.from_file(shot.spec_path)
    first.analyse()
    cache = first.spec.output.cache
    assert (cache / "sources.json").is_file()
    later = ShotNode.from_file(shot.spec_path)          # a fresh context, as a farm task has
    faces, cached = load_sources(later.spec, later.ctx)
    assert cached
    assert "_predictor" not in vars(later.ctx.face_pack), "no landmark model loaded for the sources"
    body = json.loads((cache / "sources.json").read_text())
    body["sources"]["actor_a"]["skin"] = [50.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    (cache / "sources.json").write_text(json.dumps(body))
    marked, cached = load_sources(later.spec, later.ctx)   # the skin as stored, not measured
    assert cached and marked["actor_a"].skin.as_list() == [50.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    _same(faces["actor_a"], first.sources()["actor_a"])

    source = shot.folder / "refs" / "actor_a.jpg"       # a new image of the source: found again
    shutil.copyfile(OBAMA.with_name("astronaut.png"), source)
    again, cached = load_sources(later.spec, later.ctx)
    assert not cached
    assert not np.array_equal(again["actor_a"].landmarks, faces["actor_a"].landmarks)
    before = {p.name for p in (cache / "sources").glob("*.exr")}
    later.analyse()                                     # re-cached; the old texture goes
    after = {p.name for p in (cache / "sources").glob("*.exr")}
    assert len(before) == len(after) == 1 and before != after
    assert load_sources(later.spec, later.ctx)[1]


def test_a_damaged_cache_is_rebuilt_not_trusted(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path, colour, "1001")
    node = ShotNode.from_file(shot.spec_path)
    node.analyse()
    path = node.spec.output.cache / "sources.json"
    body = json.loads(path.read_text())
    body["sources"]["actor_a"]["texture"] = "gone.exr"
    path.write_text(json.dumps(body))
    fresh = ShotNode.from_file(shot.spec_path)
    faces, cached = load_sources(fresh.spec, fresh.ctx)
    assert not cached
    _same(faces["actor_a"], node.sources()["actor_a"])
    path.write_text("{not json")
    assert load_sources(fresh.spec, fresh.ctx)[1] is False


def test_each_part_of_a_sources_key_prepares_it_again(tmp_path: Path, colour) -> None:
    """The cached source is taken only under the colourspace, OCIO config and face finder it
    was prepared with (its images are checked above)."""
    from faceplate.models.dlib_pack import DETECTOR_ID, DlibFacePack
    from faceplate.models.face_finder import FaceFinder, NamedDetection
    from faceplate.pipeline.context import RunContext
    shot = make_shot(tmp_path, colour, "1001")
    node = ShotNode.from_file(shot.spec_path)
    node.analyse()
    spec, ctx = node.spec, node.ctx
    declared = {"actor_a": "sRGB Encoded Rec.709 (sRGB)"}
    assert load_sources(spec, ctx, colourspaces=declared)[1]
    assert not load_sources(spec, ctx, colourspaces={"actor_a": "Linear Rec.709 (sRGB)"})[1]
    other = RunContext.create("ocio://studio-config-v2.2.0_aces-v1.3_ocio-v2.4", environ={})
    assert not load_sources(spec, other, colourspaces=declared)[1]
    hog = FaceFinder(NamedDetection(DETECTOR_ID, DlibFacePack()), ctx.face_pack)
    assert hog.id != ctx.face_pack.id
    assert not load_sources(spec, ctx, hog, colourspaces=declared)[1]
