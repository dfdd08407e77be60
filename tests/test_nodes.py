"""The Python node API: building a shot from keyword arguments, the stage lifecycle, results
returned (not printed), progress through a callback, and the host left alone."""

from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import PINNED_CONFIG, make_shot

from faceplate.demo.build import PLATE_COLORSPACE, SOURCE_COLORSPACE
from faceplate.errors import FaceplateError, OutputError, SpecError, StageError
from faceplate.nodes import ShotNode
from faceplate.nodes.base import Node
from faceplate.nodes.stages import RenderNode
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


def test_a_node_without_its_work_cannot_be_made() -> None:
    """``_execute`` is the one method a node must fill in: a node without it is refused when
    made, not run to return nothing."""

    class Idle(Node[int]):
        def validate(self) -> None:
            pass

    with pytest.raises(TypeError, match="_execute"):
        Idle()  # type: ignore[abstract]


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
        tmp_path: Path, colour, capsys, caplog) -> None:
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
    with caplog.at_level(logging.INFO, logger="faceplate"):
        again = node.render([1002])
    assert again.reused == [1002]
    assert "render: 0 frames rendered, 1 already complete, 0 not written" in caplog.messages
    rerun = node.run([1001, 1002])  # frames complete and current are kept unless forced
    assert rerun.render.reused == [1001, 1002]
    assert [r.frame for r in rerun.render.records] == [1001, 1002]


class _Writes(Node[list[Path]]):
    """A node that writes the files it is given (all but those in ``skip``) and declares them."""

    name = "writes"

    def __init__(self, wanted: list[Path], skip: frozenset[Path] = frozenset(),
                 reads: tuple[tuple[Path, str], ...] = ()) -> None:
        self.wanted, self.skip, self.reads, self.ran = wanted, skip, reads, False

    def inputs(self) -> tuple[tuple[Path, str], ...]:
        return self.reads

    def _execute(self) -> list[Path]:
        self.ran = True
        for path in self.wanted:
            if path not in self.skip:
                path.write_text("made")
        return self.wanted

    def outputs(self, result: list[Path]) -> list[tuple[Path, int | None]]:
        return [(path, 1001 + i) for i, path in enumerate(result)]


def test_a_missing_input_stops_the_node_before_it_runs(tmp_path: Path) -> None:
    there, absent = tmp_path / "analysis.json", tmp_path / "tracks.json"
    there.write_text("{}")
    node = _Writes([tmp_path / "out.exr"], reads=((there, "no analysis"),
                                                   (absent, "shot not solved yet")))
    with pytest.raises(StageError) as caught:
        node.process()
    assert caught.value.message == "shot not solved yet"
    assert caught.value.path == str(absent)
    assert not node.ran and not (tmp_path / "out.exr").exists()
    # a folder where a file is read is not the file
    absent.mkdir()
    with pytest.raises(StageError):
        node.process()


def test_an_output_missing_after_the_run_is_named_with_its_frame(tmp_path: Path) -> None:
    files = [tmp_path / "a.1001.exr", tmp_path / "a.1002.exr", tmp_path / "a.1003.exr"]
    with pytest.raises(OutputError) as caught:
        _Writes(files, skip=frozenset({files[1]})).process()
    assert caught.value.path == str(files[1]) and caught.value.frame == 1002
    assert "expected output is missing" in caught.value.message


def test_a_node_logs_its_name_and_summary_and_returns_its_result(
        tmp_path: Path, caplog) -> None:
    files = [tmp_path / "a.1001.exr"]
    with caplog.at_level(logging.INFO, logger="faceplate"):
        assert _Writes(files)() == files
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("faceplate", "writes: done")]


def test_the_render_stage_renders_in_this_process_unless_asked(tmp_path: Path, colour) -> None:
    """``workers`` defaults to 1 (render here, no process started) for the render node and for
    ShotNode.render and run, as documented; 0 is refused by name before anything is read."""
    make_shot(tmp_path, colour, "1001-1002")
    node = ShotNode.from_kwargs(**_kwargs(tmp_path))
    RenderNode(node).validate()  # the default is a valid count
    with pytest.raises(SpecError) as refused:
        RenderNode(node, workers=0).validate()
    assert refused.value.key == "workers"
    for method in (ShotNode.render, ShotNode.run):
        assert inspect.signature(method).parameters["workers"].default == 1
    assert inspect.signature(RenderNode).parameters["workers"].default == 1


def test_the_options_are_keywords_only(tmp_path: Path, colour) -> None:
    """Every option after a shot's spec, path or frames is named, never positional (a script's
    ``preflight(False)`` would read as either); the spec and its context may be positional."""
    make_shot(tmp_path, colour, "1001-1002")
    args = _kwargs(tmp_path)
    base = args.pop("base")
    with pytest.raises(TypeError):
        ShotNode.from_kwargs(base, **args)
    node = ShotNode.from_kwargs(base=base, **args)
    assert ShotNode(node.spec, node.ctx).ctx is node.ctx
    for positional in (lambda: node.preflight(False), lambda: node.analyse(False),
                       lambda: node.store_sources(False), lambda: node.render(None, True),
                       lambda: node.run(None, None, True),
                       lambda: ShotNode(node.spec, None, None),
                       lambda: ShotNode.from_file(node.save(tmp_path / "kw.yaml"), None)):
        with pytest.raises(TypeError):
            positional()


def test_references_are_measured_for_reference_targets_only(tmp_path: Path, colour) -> None:
    """Only a ``{reference: image}`` target's identity is measured, keyed by its swap's index
    (swap 0 takes the largest face and has none)."""
    make_shot(tmp_path, colour, "1001-1002")
    node = ShotNode.from_kwargs(**_kwargs(tmp_path), swaps=[
        {"source": "actor_a", "target": "largest"},
        {"source": "actor_a", "target": {"reference": "refs/actor_a.jpg"}}])
    references = node.references()
    assert list(references) == [1]
    descriptor = np.asarray(references[1])
    assert descriptor.ndim == 1 and descriptor.size >= 128 and np.abs(descriptor).sum() > 0


def test_the_node_api_loads_no_stage_until_it_runs() -> None:
    """Importing the node API loads none of the solve, render or report stages (a farm task
    pays only for the stage it runs)."""
    script = ("import sys, faceplate.nodes; print(sorted({m for m in sys.modules if m.startswith("
              "('faceplate.pipeline.solve', 'faceplate.pipeline.render', "
              "'faceplate.pipeline.report'))}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": _here()})
    assert done.stdout.strip() == "[]"


def _here() -> str:
    """The folder faceplate is imported from in this process (a mutation run's copy)."""
    import faceplate
    return str(Path(faceplate.__file__).resolve().parent.parent)
