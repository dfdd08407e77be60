"""The Python node API: building a shot from keyword arguments, the stage lifecycle, results
returned (not printed), progress through a callback, and the host left alone."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from conftest import PINNED_CONFIG, make_shot

from faceplate.demo.build import PLATE_COLORSPACE, SOURCE_COLORSPACE
from faceplate.errors import FaceplateError, SpecError
from faceplate.nodes import ShotNode
from faceplate.nodes.base import Node
from faceplate.pipeline.progress import Progress
from faceplate.spec import load_spec


def _kwargs(folder: Path) -> dict:
    return dict(shot="tst010", plate="plates/tst010.####.exr", frames="1001-1002",
                plate_colorspace=PLATE_COLORSPACE,
                sources={"actor_a": {"images": ["refs/actor_a.jpg"],
                                     "colorspace": SOURCE_COLORSPACE}},
                output="kw/tst010_fp.####.exr", matte="kw/tst010_fp_matte.####.exr", qc="kw/qc",
                base=folder, ocio=PINNED_CONFIG)


def test_a_node_runs_its_phases_in_order() -> None:
    seen: list[str] = []

    class Probe(Node[int]):
        def validate(self) -> None:
            seen.append("validate")

        def _execute(self) -> int:
            seen.append("execute")
            return 7

        def check(self, result: int) -> None:
            seen.append(f"check {result}")

        def record(self, result: int) -> int:
            seen.append("record")
            return result + 1

    assert Probe()() == 8
    assert seen == ["validate", "execute", "check 7", "record"]


def test_kwargs_give_the_same_spec_as_a_file(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path, colour, "1001-1002")
    node = ShotNode.from_kwargs(**_kwargs(tmp_path))
    from_file = load_spec(shot.spec_path)
    assert node.spec.plate == from_file.plate
    assert node.spec.sources == from_file.sources
    assert node.spec.swaps == from_file.swaps
    assert node.spec.output.path.pattern == str(tmp_path / "kw" / "tst010_fp.####.exr")
    saved = node.save(tmp_path / "elsewhere" / "saved.yaml")
    again = load_spec(saved)
    assert again.plate == node.spec.plate and again.output == node.spec.output


def test_bad_kwargs_raise_a_typed_error_naming_the_key(tmp_path: Path, colour) -> None:
    make_shot(tmp_path, colour, "1001-1002")
    args = _kwargs(tmp_path)
    args["sources"] = {"actor_a": ["refs/nobody.jpg"]}
    with pytest.raises(SpecError) as caught:
        ShotNode.from_kwargs(**args)
    assert caught.value.key == "sources.actor_a.images[0]"
    assert isinstance(caught.value, FaceplateError)


@pytest.mark.slow
def test_run_returns_results_reports_progress_and_leaves_the_host_alone(
        tmp_path: Path, colour, capsys) -> None:
    make_shot(tmp_path, colour, "1001-1002")
    updates: list[Progress] = []
    handlers, cwd, environ = list(logging.getLogger().handlers), os.getcwd(), dict(os.environ)
    node = ShotNode.from_kwargs(**_kwargs(tmp_path), progress=updates.append)
    result = node.run()
    assert [r.frame for r in result.render.records] == [1001, 1002]
    assert all(Path(r.output).is_file() and Path(r.matte).is_file() for r in result.render.records)
    assert result.report.qc_json.is_file()
    assert [(u.stage, u.done) for u in updates if u.stage == "render"] == [("render", 1),
                                                                           ("render", 2)]
    assert [u.total for u in updates if u.stage == "analyse"] == [2, 2]
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert logging.getLogger().handlers == handlers
    assert os.getcwd() == cwd and dict(os.environ) == environ
    again = node.render([1002])
    assert again.reused == [1002]
