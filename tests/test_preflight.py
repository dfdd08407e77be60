"""The pre-flight resolves a shot's colourspace, display and view, compression and models once,
before anything is written; the stages take what it resolved; the node API runs each stage once
with a context that does not change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
import yaml
from conftest import make_shot, record_frames

import faceplate.models.mediapipe.runner
import faceplate.pipeline.analyse.stage
from faceplate.errors import ColourError
from faceplate.nodes import ShotNode
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import preflight
from faceplate.spec import load_spec


def _respec(shot_path: Path, **plate: object) -> None:
    data = yaml.safe_load(shot_path.read_text())
    data["plate"].update(plate)
    data["plate"] = {k: v for k, v in data["plate"].items() if v is not None}
    shot_path.write_text(yaml.safe_dump(data))


def test_the_plate_colourspace_is_resolved_once_to_its_canonical_name(tmp_path, colour) -> None:
    shot = make_shot(tmp_path, colour, "1001-1002")
    _respec(shot.spec_path, colorspace="lin_ap1")                 # an alias of ACEScg
    spec = load_spec(shot.spec_path)
    ctx = RunContext.create(spec.ocio, environ={})
    pre = preflight(spec, ctx, models=False)
    assert pre.plate_colourspace == "ACEScg"
    assert (pre.display, pre.view) == (ctx.colour.config.getDefaultDisplay(),
                                       ctx.colour.config.getDefaultView(pre.display))
    assert pre.compression is None and pre.models is None
    _respec(shot.spec_path, colorspace=None)                      # from the frames' header
    assert preflight(load_spec(shot.spec_path), ctx, models=False).plate_colourspace == "ACEScg"
    with pytest.raises(dataclasses.FrozenInstanceError):
        pre.display = "elsewhere"


def test_a_plate_that_names_no_colourspace_takes_the_config_file_rules(tmp_path, colour) -> None:
    shot = make_shot(tmp_path, colour, "1001")
    _respec(shot.spec_path, colorspace=None)
    spec = oiio.ImageSpec(8, 8, 3, oiio.HALF)                   # no colour attribute at all
    out = oiio.ImageOutput.create(str(shot.plate(1001)))
    out.open(str(shot.plate(1001)), spec)
    out.write_image(np.zeros((8, 8, 3), np.float16))
    out.close()
    loaded = load_spec(shot.spec_path)
    ctx = RunContext.create(loaded.ocio, environ={})
    expected, _ = ctx.colour.config.getColorSpaceFromFilepath(str(shot.plate(1001)))
    assert preflight(loaded, ctx, models=False).plate_colourspace == expected == "ACES2065-1"


def test_an_unknown_display_names_its_key(tmp_path, colour) -> None:
    shot = make_shot(tmp_path, colour, "1001")
    data = yaml.safe_load(shot.spec_path.read_text())
    data["qc"] = {"display": "Cinema Screen 9000"}
    shot.spec_path.write_text(yaml.safe_dump(data))
    spec = load_spec(shot.spec_path)
    with pytest.raises(ColourError, match="^qc.display: unknown display 'Cinema Screen 9000'"):
        preflight(spec, RunContext.create(spec.ocio, environ={}), models=False)


@pytest.mark.slow
def test_frame_status_follows_the_error_type_not_its_text(tmp_path, colour) -> None:
    shot = make_shot(tmp_path / "missing", colour, "1001-1003")  # "missing" in every path
    shot.plate(1002).write_bytes(b"not an exr")
    shot.plate(1003).unlink()
    analysis = ShotNode.from_file(shot.spec_path).analyse()
    assert "missing" in (analysis.frames[1002].reason or "")
    assert analysis.frames[1002].status == "unreadable"
    assert analysis.frames[1003].status == "missing"


@pytest.mark.slow
def test_run_analyses_once_and_caches_by_the_canonical_name(tmp_path, colour, monkeypatch) -> None:
    shot = make_shot(tmp_path, colour, "1001-1002")
    analysed = record_frames(monkeypatch, faceplate.pipeline.analyse.stage, "analyse_frame")
    node = ShotNode.from_file(shot.spec_path)
    ctx = node.ctx
    node.run()
    # the solve reads the stored analysis back (as a farm task does): each frame analysed once
    assert analysed == [1001, 1002]
    assert node.ctx is ctx and node.preflight() is node.preflight()
    # a solve task alone runs no model: it checks them (manifest, licence, hash), loads none
    loaded: list[str] = []
    load = faceplate.models.mediapipe.runner.TfliteModel._load
    monkeypatch.setattr(faceplate.models.mediapipe.runner.TfliteModel, "_load",
                        lambda model: loaded.append(model.path.name) or load(model))
    solved = ShotNode.from_file(shot.spec_path).solve()
    assert solved and solved[0].faces and loaded == []
    ShotNode.from_file(shot.spec_path).preflight()
    assert len(loaded) == 4, "a stage that runs them loads the pack's four models"
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.ctx.colour = None
    before = (shot.folder / "out" / "qc" / "cache" / "analysis.json").stat().st_mtime_ns
    _respec(shot.spec_path, colorspace="lin_ap1")               # the same space by its alias
    ShotNode.from_file(shot.spec_path).analyse()
    after = (shot.folder / "out" / "qc" / "cache" / "analysis.json").stat().st_mtime_ns
    assert after == before, "the analysis was made again for the same colourspace"
