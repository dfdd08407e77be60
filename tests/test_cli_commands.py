"""The command line's commands, called in-process (click's CliRunner on ``faceplate.cli.main``):
``doctor``'s checks and exit code, ``models list``, ``verify`` and ``pin``, the output modes
(text, ``--json``, ``-q``, ``-v``) and the shared options, and ``review mark`` and ``review
import-otio``. Expected lines and exit codes are the README's and docs' (models.md, qc.md),
written out by hand."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import click
import opentimelineio as otio
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import OBAMA, identity_onnx, spec_dict, write_spec

from faceplate import __version__
from faceplate.cli import main
from faceplate.cli.doctor import Checks
from faceplate.cli.options import frames_option, shot_node, workers_option
from faceplate.cli.output import Output, set_verbosity
from faceplate.cli.review import decide, mark, overrides_file, reviewer
from faceplate.cli.signals import STOP_FLAG_KEY
from faceplate.errors import ModelError, SpecError
from faceplate.ocio import PINNED_CONFIG
from faceplate.pipeline.stop import StopFlag
from faceplate.spec import load_spec, parse_spec

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _shot(folder: Path, **overrides) -> Path:
    """A spec whose inputs exist (its source still; the plate is never read here), 1001-1008."""
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    return write_spec(folder, spec_dict(**overrides))


# --- output modes and shared options ---------------------------------------------------------

def test_a_command_called_outside_the_group_takes_its_own_flags() -> None:
    from faceplate.cli.models import models
    runner = CliRunner()
    assert runner.invoke(models, ["list", "-q"]).stdout == ""
    listed = runner.invoke(models, ["list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)["models"]


def test_the_shot_commands_module_loads_no_pipeline() -> None:
    # A fresh interpreter: `faceplate --help` imports every command's module (to list them);
    # the pipeline loads only when a shot command runs.
    code = ("import sys, faceplate.cli.options, faceplate.cli.stages; "
            "print(sorted(m for m in sys.modules if m.startswith('faceplate.nodes')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "[]\n"


def test_output_prints_lines_in_text_mode_and_the_document_only_with_json(capsys) -> None:
    text, as_json, quiet, both = (Output(), Output(json=True), Output(quiet=True),
                                  Output(json=True, quiet=True))
    assert (text.text, as_json.text, quiet.text, both.text) == (True, False, False, False)
    for out in (text, as_json, quiet, both):
        out.line("a line")
        out.result({"a": 1})
        out.result({"b": Path("/x/y")})  # added to, not replaced; a path as its text
        out.finish()
    printed = capsys.readouterr().out
    assert printed == 'a line\n{\n  "a": 1,\n  "b": "/x/y"\n}\n'


@pytest.mark.parametrize("verbose, quiet, level", [
    (False, False, logging.WARNING), (True, False, logging.INFO), (False, True, logging.ERROR),
    (True, True, logging.INFO)])
def test_verbosity_sets_the_root_loggers_level(verbose, quiet, level) -> None:
    root = logging.getLogger()
    before = root.level
    try:
        set_verbosity(verbose, quiet)
        assert root.level == level
    finally:
        root.setLevel(before)


@pytest.mark.parametrize("text, workers", [("auto", "auto"), ("1", 1), ("3", 3), ("12", 12)])
def test_workers_takes_auto_or_a_whole_number_of_at_least_one(text, workers) -> None:
    assert workers_option(text) == workers


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5", "", " ", "Auto"])
def test_workers_refuses_anything_else_naming_the_option(text) -> None:
    with pytest.raises(SpecError) as err:
        workers_option(text)
    assert err.value.one_line() == (f"--workers: must be auto or a whole number of at least 1, "
                                    f"not {text!r}")
    assert err.value.exit_code == 2


def test_frames_option_parses_a_range_and_names_its_key() -> None:
    assert frames_option(None) is None
    assert frames_option("1001-1003,1007") == [1001, 1002, 1003, 1007]
    with pytest.raises(SpecError) as err:
        frames_option("1003-1001")
    assert err.value.one_line().startswith("--frames: ")
    with pytest.raises(SpecError) as other:
        frames_option("soon", key="--only-frames")
    assert other.value.one_line().startswith("--only-frames: ")


def test_shot_node_draws_bars_unless_quiet_and_watches_the_commands_stop_flag(tmp_path) -> None:
    spec = _shot(tmp_path)
    from faceplate.cli.progress_bar import StageBars
    from faceplate.pipeline.progress import ignore_progress
    assert shot_node(spec, Output(quiet=True)).ctx.progress is ignore_progress
    assert isinstance(shot_node(spec, Output()).ctx.progress, StageBars)
    assert isinstance(shot_node(spec).ctx.progress, StageBars)
    flag = StopFlag()
    assert not flag.watched
    with click.Context(main) as ctx:
        ctx.meta[STOP_FLAG_KEY] = flag
        node = shot_node(spec, Output())
    assert node.ctx.stop is flag and flag.watched


def test_a_runs_result_in_three_lines_and_as_the_document(capsys, tmp_path) -> None:
    from faceplate.cli.options import print_result
    from faceplate.nodes.shot import ShotResult
    from faceplate.pipeline.render.result import FrameOutcome, RenderResult
    from faceplate.pipeline.report.stage import Report
    outcomes = [FrameOutcome(1001, "swapped"), FrameOutcome(1002, "passthrough"),
                FrameOutcome(1003, "swapped"), FrameOutcome(1004, "unreadable"),
                FrameOutcome(1005, "swapped")]
    summary = {"flagged": 1, "flagged_frames": "1002"}
    result = ShotResult(RenderResult(outcomes, reused=[1003, 1005]),
                        Report(tmp_path / "qc.json", tmp_path / "index.html", summary))
    print_result(result, Output())
    assert capsys.readouterr().out.splitlines() == [
        "frames rendered: 3; already complete: 2; flagged in shot: 1 1002",
        f"qc: {tmp_path / 'qc.json'}", f"report: {tmp_path / 'index.html'}"]
    out = Output(json=True)
    print_result(result, out)
    out.finish()
    assert json.loads(capsys.readouterr().out) == {
        "rendered": "1001-1002,1004", "reused": "1003,1005", "failed": "1004",
        "qc": str(tmp_path / "qc.json"), "report": str(tmp_path / "index.html"),
        "summary": summary}


@pytest.fixture
def root_level():
    """The root logger's level, put back after a test whose commands set it."""
    root = logging.getLogger()
    before = root.level
    yield root
    root.setLevel(before)


def test_quiet_before_or_after_the_subcommand_leaves_only_errors(root_level) -> None:
    for args in (["-q", "doctor"], ["doctor", "-q"], ["doctor", "--json", "-q"],
                 ["-q", "doctor", "--json"]):
        done = invoke(*args)
        assert (done.exit_code, done.stdout, done.stderr) == (0, "", ""), args
        assert root_level.level == logging.ERROR
    loud = invoke("-v", "doctor")
    assert loud.exit_code == 0 and loud.stdout.startswith(f"faceplate {__version__}\n")
    assert root_level.level == logging.INFO


def test_the_output_flags_take_no_value(root_level) -> None:
    # Each is a flag: the option after it is an option of its own, not its value.
    verbose = invoke("doctor", "-v", "--json")
    assert verbose.exit_code == 0 and json.loads(verbose.stdout)["checks"]
    assert root_level.level == logging.INFO
    both = invoke("doctor", "-q", "-v")  # -v wins over -q for logging; -q keeps stdout empty
    assert both.exit_code == 0 and both.stdout == ""
    assert root_level.level == logging.INFO


# --- doctor ----------------------------------------------------------------------------------

@pytest.mark.parametrize("present, said", [
    ((), False), (("torch",), False), (("onnx2torch",), False), (("torch", "onnx2torch"), True)])
def test_doctor_says_the_torch_backend_is_installed_only_with_both_packages(
        tmp_path, monkeypatch, present, said) -> None:
    # Empty packages of those names ahead on sys.path: looked for, never imported (neither is
    # installed here).
    for name in present:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    checks = json.loads(invoke("doctor", "--json").stdout)["checks"]
    assert [c["value"] for c in checks if c["name"] == "torch backend"] == [said]


def test_the_shot_commands_show_the_default_workers() -> None:
    for command in ("run", "render"):
        shown = " ".join(invoke(command, "--help").stdout.split())
        assert "--workers N|auto Render in N processes;" in shown
        assert "8 frames). [default: auto]" in shown, command


def test_a_failed_check_is_reported_and_the_others_still_run() -> None:
    checks = Checks()
    assert checks.run("one", lambda: (["one: fine"], 1)) == 1

    def refused():
        raise ModelError("no such model")
    assert checks.run("two", refused) is None
    assert checks.run("three", lambda: (["three: fine"], {"x": 3})) == {"x": 3}
    assert [(c.name, c.lines, c.value) for c in checks.done] == [
        ("one", ["one: fine"], 1), ("two", ["two: FAILED"], None),
        ("three", ["three: fine"], {"x": 3})]
    assert checks.done[0].error is None and checks.done[2].error is None
    assert str(checks.done[1].error) == "no such model"


def test_doctor_without_a_spec_lists_every_check_in_order() -> None:
    done = invoke("doctor", "--json")
    assert done.exit_code == 0 and done.stderr == ""
    checks = json.loads(done.stdout)["checks"]
    assert [c["name"] for c in checks] == ["faceplate", "OCIO config", "face pack",
                                           "onnxruntime", "torch backend"]
    assert all(c["ok"] and c["error"] is None and c["exit_code"] == 0 for c in checks)
    assert checks[0]["value"] == __version__
    assert checks[1]["value"] == {"uri": PINNED_CONFIG, "origin": "pinned"}
    import onnxruntime
    assert checks[3]["value"] == {"version": onnxruntime.__version__,
                                  "providers": onnxruntime.get_available_providers()}
    assert checks[4]["value"] is False  # the torch extra is not installed here
    text = invoke("doctor").stdout.splitlines()
    assert text[0] == f"faceplate {__version__}"
    assert f"onnxruntime {onnxruntime.__version__}: providers available " \
           f"{', '.join(onnxruntime.get_available_providers())}" in text
    assert text[-1] == "torch backend (onnx2torch): not installed (pip install 'faceplate[torch]')"


def test_doctor_lists_the_shots_models_with_their_licences(tmp_path) -> None:
    spec = _shot(tmp_path)
    done = invoke("doctor", str(spec))
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"spec: {spec} (shot tst010)" in lines
    assert ("model mediapipe-face-mesh: landmarker, faceplate face_landmark.tflite, licence "
            "Apache-2.0 (commercial use)") in lines
    assert ("model faceplate-reference-warp: swapper, faceplate (built in), licence Apache-2.0 "
            "(commercial use)") in lines
    checks = json.loads(invoke("doctor", str(spec), "--json").stdout)["checks"]
    # the reference warp loads no model: the shot's models check runs and finds none
    assert [c["name"] for c in checks][-1] == "shot models" and checks[-1]["value"] == {}
    assert [c["value"] for c in checks if c["name"] == "OCIO config"] == [
        {"uri": PINNED_CONFIG, "origin": "spec"}]


def test_doctor_names_a_non_commercial_model_and_exits_with_the_refusals_code(tmp_path) -> None:
    spec = _shot(tmp_path, models={"swapper": "inswapper_128"})
    done = invoke("doctor", str(spec))
    assert done.exit_code == 4  # README: a model refused by the licence policy
    lines = done.stdout.splitlines()
    assert ("model inswapper_128: swapper, studio file inswapper_128.onnx, licence "
            "non-commercial research (NOT for commercial use)") in lines
    assert lines[-1] == "shot models: FAILED"
    errors = done.stderr.splitlines()
    assert len(errors) == 2 and all(e.startswith("ERROR: model ") for e in errors)
    assert errors[0].startswith("ERROR: model inswapper_128: licence 'non-commercial research'")


def test_doctor_exits_with_the_first_failed_checks_code(tmp_path) -> None:
    # The spec's missing source (exit 2) comes before the shot's bad manifest (exit 4).
    manifest = tmp_path / "studio.yaml"
    manifest.write_text("models: [{id: x}]\n")
    spec = _shot(tmp_path, models={"manifest": str(manifest)})
    (tmp_path / "refs" / "actor_a.jpg").unlink()
    done = invoke("doctor", str(spec), "--json")
    report = json.loads(done.stdout)  # the document still goes out before the exit
    failed = [(c["name"], c["exit_code"]) for c in report["checks"] if not c["ok"]]
    assert failed == [("spec", 2), ("face pack", 4)]
    assert done.exit_code == 2
    assert len(done.stderr.splitlines()) == 2


# --- models ----------------------------------------------------------------------------------

ROW = ("  - {{id: {id}, family: gfpgan, role: enhancer, file: {file}, sha256: {sha}, "
       "licence: {licence}}}\n")


def _studio(tmp_path: Path, *rows: dict[str, str]) -> Path:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("models:\n" + "".join(ROW.format(**r) for r in rows))
    return manifest


@pytest.fixture
def studio(tmp_path, monkeypatch):
    """A studio folder: two enhancer files (one pinned right, one not), one missing, a policy
    with no allow-list, the lock in the folder."""
    models = tmp_path / "models"
    models.mkdir()
    good = identity_onnx(models / "good.onnx")
    shutil.copyfile(models / "good.onnx", models / "bad.onnx")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "faceplate.yaml"))
    monkeypatch.setenv("FACEPLATE_MODEL_LOCK", str(tmp_path / "models.lock.yaml"))
    manifest = _studio(tmp_path,
                       {"id": "absent", "file": "absent.onnx", "sha": "null",
                        "licence": "Apache-2.0"},
                       {"id": "good", "file": "good.onnx", "sha": good, "licence": "Apache-2.0"},
                       {"id": "bad", "file": "bad.onnx", "sha": "f" * 64,
                        "licence": "non-commercial research"})
    return models, manifest, good


def test_models_list_lines_and_document(studio) -> None:
    models, manifest, _ = studio
    done = invoke("models", "list", "--model-dir", str(models), "--manifest", str(manifest))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{'absent':36} {'enhancer':10} {'missing':14} licence Apache-2.0 "
        "(commercial use, allowed)  -",
        f"{'good':36} {'enhancer':10} {'found':14} licence Apache-2.0 "
        f"(commercial use, allowed)  {models / 'good.onnx'}",
        f"{'bad':36} {'enhancer':10} {'hash mismatch':14} licence non-commercial research "
        f"(NOT for commercial use, REFUSED by policy)  {models / 'bad.onnx'}"]
    listed = json.loads(invoke("models", "list", "--model-dir", str(models), "--manifest",
                               str(manifest), "--json").stdout)["models"]
    assert listed == [
        {"id": "absent", "role": "enhancer", "state": "missing", "licence": "Apache-2.0",
         "commercial": True, "allowed": True, "path": None},
        {"id": "good", "role": "enhancer", "state": "found", "licence": "Apache-2.0",
         "commercial": True, "allowed": True, "path": str(models / "good.onnx")},
        {"id": "bad", "role": "enhancer", "state": "hash mismatch",
         "licence": "non-commercial research", "commercial": False, "allowed": False,
         "path": str(models / "bad.onnx")}]


def test_models_verify_checks_each_file_found_and_exits_4_naming_the_refused(studio) -> None:
    models, manifest, good = studio
    done = invoke("models", "verify", "--model-dir", str(models), "--manifest", str(manifest))
    assert done.exit_code == 4  # README: not the file its contract or the lock says
    lines = done.stdout.splitlines()
    assert len(lines) == 2  # the missing file is passed over, the others each get a line
    assert lines[0] == f"good: ok sha256 {good} ({models / 'good.onnx'})"
    assert lines[1].startswith("bad: REFUSED: ") and "f" * 64 in lines[1]
    assert lines[1].endswith(f" sha256 {good} ({models / 'bad.onnx'})")
    assert done.stderr == f"ERROR: {models / 'bad.onnx'}: 1 model file(s) refused: bad\n"
    report = json.loads(invoke("models", "verify", "--model-dir", str(models), "--manifest",
                               str(manifest), "--json").stdout)
    assert report["mismatched"] == ["bad"]
    assert [(v["id"], v["state"], v["sha256"], v["path"], v["refused"] is None)
            for v in report["verified"]] == [
        ("good", "found", good, str(models / "good.onnx"), True),
        ("bad", "hash mismatch", good, str(models / "bad.onnx"), False)]


def test_models_verify_names_the_first_refused_file(studio) -> None:
    models, manifest, _ = studio
    shutil.copyfile(models / "good.onnx", models / "worse.onnx")
    manifest.write_text(manifest.read_text() + ROW.format(id="worse", file="worse.onnx",
                                                          sha="e" * 64, licence="MIT"))
    done = invoke("models", "verify", "--model-dir", str(models), "--manifest", str(manifest))
    assert done.exit_code == 4
    assert done.stderr == f"ERROR: {models / 'bad.onnx'}: 2 model file(s) refused: bad, worse\n"


def test_models_verify_refuses_a_file_against_its_contract(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "faceplate.yaml"))
    identity_onnx(tmp_path / "other.onnx", "pixels")
    manifest = _studio(tmp_path, {"id": "other", "file": "other.onnx", "sha": "null",
                                  "licence": "MIT"})
    done = invoke("models", "verify", "--model-dir", str(tmp_path), "--manifest", str(manifest))
    assert done.exit_code == 4
    (line,) = done.stdout.splitlines()
    assert line.startswith("other: REFUSED: ") and "input" in line
    assert "ERROR: " in done.stderr and "1 model file(s) refused: other" in done.stderr


def test_models_pin_writes_the_lock_keeping_earlier_pins(studio, tmp_path) -> None:
    models, manifest, good = studio
    lock = tmp_path / "models.lock.yaml"
    lock.write_text("schema: faceplate.modellock/1\nmodels:\n"
                    "  earlier: {file: earlier.onnx, sha256: '" + "1" * 64 + "'}\n")
    done = invoke("models", "pin", "good", "--model-dir", str(models), "--manifest",
                  str(manifest))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [f"good: sha256 {good} ({models / 'good.onnx'})",
                                        f"lock: {lock} (2 models)"]
    assert yaml.safe_load(lock.read_text())["models"] == {
        "earlier": {"file": "earlier.onnx", "sha256": "1" * 64},
        "good": {"file": "good.onnx", "sha256": good}}
    again = invoke("models", "pin", "good", "--model-dir", str(models), "--manifest",
                   str(manifest), "--json")
    assert json.loads(again.stdout) == {"lock": str(lock), "pinned": {"good": good}}


def test_models_pin_refuses_unknown_missing_and_mismatched_files(studio, tmp_path) -> None:
    models, manifest, _ = studio
    lock = tmp_path / "models.lock.yaml"
    where = ["--model-dir", str(models), "--manifest", str(manifest)]
    unknown = invoke("models", "pin", "nope", "good", "never", *where)
    assert unknown.exit_code == 4
    assert unknown.stderr == ("ERROR: unknown model(s) nope, never; see `faceplate models "
                              "list`\n")
    missing = invoke("models", "pin", "absent", *where)
    assert missing.exit_code == 4
    assert missing.stderr == "ERROR: model absent: no file found to pin (missing)\n"
    mismatched = invoke("models", "pin", "bad", *where)
    assert mismatched.exit_code == 4
    assert mismatched.stderr.startswith(f"ERROR: not pinned: model bad: {models / 'bad.onnx'}: ")
    everything = invoke("models", "pin", *where)  # every file found: the mismatch stops it
    assert everything.exit_code == 4 and "not pinned" in everything.stderr
    assert not lock.exists()  # nothing written by any of them


def test_models_pin_without_ids_pins_every_file_found(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "faceplate.yaml"))
    lock = tmp_path / "studio.lock.yaml"
    one, two = identity_onnx(tmp_path / "one.onnx"), identity_onnx(tmp_path / "two.onnx")
    manifest = _studio(tmp_path, {"id": "one", "file": "one.onnx", "sha": "null",
                                  "licence": "MIT"},
                       {"id": "gone", "file": "gone.onnx", "sha": "null", "licence": "MIT"},
                       {"id": "two", "file": "two.onnx", "sha": two, "licence": "MIT"})
    done = invoke("models", "pin", "--model-dir", str(tmp_path), "--manifest", str(manifest),
                  "--lock", str(lock), "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"lock": str(lock), "pinned": {"one": one, "two": two}}
    assert set(yaml.safe_load(lock.read_text())["models"]) == {"one", "two"}


# --- review ----------------------------------------------------------------------------------

def test_reviewer_is_the_login_name(monkeypatch) -> None:
    monkeypatch.setenv("LOGNAME", "carol")
    assert reviewer() == "carol"


def test_reviewer_is_unknown_when_the_login_name_cannot_be_found(monkeypatch) -> None:
    import pwd
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    free = next(uid for uid in range(54321, 64000) if not _has_user(pwd, uid))
    monkeypatch.setattr(os, "getuid", lambda: free)  # a process running as no known user
    assert reviewer() == "unknown"


def _has_user(pwd, uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def test_review_serve_takes_only_a_port_number_and_needs_the_page(tmp_path) -> None:
    spec = _shot(tmp_path)
    done = invoke("review", "serve", str(spec), "--port", "65536")
    assert done.exit_code == 2  # README: a bad command line
    assert done.stderr == "ERROR: --port: 65536 is not in the range 0<=x<=65535.\n"
    low = invoke("review", "serve", str(spec), "--port", "-1")
    assert low.exit_code == 2
    assert low.stderr == "ERROR: --port: -1 is not in the range 0<=x<=65535.\n"
    for port in (["--port", "0"], ["--port", "65535"], []):  # 0, the default: a free one
        early = invoke("review", "serve", str(spec), *port)
        assert early.exit_code == 5, port  # README: an earlier stage's output is missing
        assert early.stderr == (f"ERROR: {tmp_path / 'out' / 'qc' / 'index.html'}: no review "
                                "page yet: run `faceplate report` (or `faceplate run`) first\n")


def _answered(url: str) -> None:
    """Wait for the server at ``url`` to answer a request (any status)."""
    try:
        urllib.request.urlopen(url, timeout=60).close()
    except urllib.error.HTTPError as refused:
        refused.close()


def test_review_serve_decides_as_the_login_name_and_stops_on_sigterm(tmp_path) -> None:
    # A real process: the server installs its own signal handlers and serves until a signal.
    spec = _shot(tmp_path)
    (tmp_path / "out" / "qc").mkdir(parents=True)
    (tmp_path / "out" / "qc" / "index.html").write_text("<html></html>")
    env = {**os.environ, "LOGNAME": "grace"}
    with subprocess.Popen([sys.executable, "-m", "faceplate", "review", "serve", str(spec)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as server:
        assert server.stdout is not None
        first = server.stdout.readline()
        second = server.stdout.readline()
        _answered(first.split(": ", 1)[-1].strip())  # serving: its signal handlers are set
        server.send_signal(signal.SIGTERM)
        rest, errors = server.communicate(timeout=60)
    assert first.startswith("review page: http://127.0.0.1:"), errors
    assert second == (f"decisions by grace go to {tmp_path / 'overrides.yaml'}; Ctrl-C stops "
                      "the server\n")
    assert (rest, server.returncode) == ("stopped\n", 0), errors


def _overrides(spec: Path) -> list[dict]:
    return yaml.safe_load((spec.parent / "overrides.yaml").read_text())["overrides"]


def test_review_mark_writes_each_decision_with_its_audit_line(tmp_path, monkeypatch) -> None:
    spec = _shot(tmp_path)
    monkeypatch.setenv("LOGNAME", "carol")
    overrides = tmp_path / "overrides.yaml"
    skip = invoke("review", "mark", str(spec), "1003-1004", "--skip", "--by", "alice")
    assert skip.exit_code == 0, skip.stderr
    stamp = _overrides(spec)[0]["at"]
    shown = stamp.replace("T", " ").replace("Z", " UTC")
    assert skip.stdout.splitlines() == [
        f"frames 1003-1004: skip (pass through unswapped), by alice at {shown} via review mark "
        f"→ {overrides}",
        f"re-render with: faceplate run {spec} --only overridden"]
    hold = invoke("review", "mark", str(spec), "1005", "--hold", "1002")
    assert hold.exit_code == 0, hold.stderr
    assert hold.stdout.splitlines()[0].startswith(
        "frames 1005: hold frame 1002's alignment, by carol at ")
    setting = invoke("review", "mark", str(spec), "1006", "--set", "feather=0.1", "--set",
                     "identity_amount=0.5", "--by", "bob")
    assert setting.exit_code == 0, setting.stderr
    assert "set feather=0.1, identity_amount=0.5, by bob" in setting.stdout
    approve = invoke("review", "mark", str(spec), "1007", "--approve", "--by", "dan", "--json")
    assert approve.exit_code == 0, approve.stderr
    report = json.loads(approve.stdout)
    assert report["overrides"] == str(overrides) and report["rerender"] is None
    assert {k: report["decision"][k] for k in ("frames", "action", "what", "by", "via")} == {
        "frames": "1007", "action": "approve", "what": "approve as rendered", "by": "dan",
        "via": "review mark"}
    assert [{k: v for k, v in o.items() if k != "at"} for o in _overrides(spec)] == [
        {"frames": "1003-1004", "skip": True, "by": "alice", "via": "review mark"},
        {"frames": "1005", "hold": 1002, "by": "carol", "via": "review mark"},
        {"frames": "1006", "set": {"feather": 0.1, "identity_amount": 0.5}, "by": "bob",
         "via": "review mark"},
        {"frames": "1007", "approve": True, "by": "dan", "via": "review mark"}]


@pytest.mark.parametrize("args, line", [
    ([], "ERROR: review: give exactly one of --skip, --hold FRAME, --set key=value, --approve"),
    (["--skip", "--approve"],
     "ERROR: review: give exactly one of --skip, --hold FRAME, --set key=value, --approve"),
    (["--hold", "1001", "--set", "feather=0.1"],
     "ERROR: review: give exactly one of --skip, --hold FRAME, --set key=value, --approve"),
    (["--set", "sharpness=2"], "ERROR: --set.sharpness: unknown parameter (settable: "
                               "blend_softness, erode, feather, identity_amount)"),
    (["--set", "feather"], "ERROR: --set: expected key=value"),
    (["--hold", "900"], "ERROR: review mark.hold: expected a frame of the plate, got 900"),
])
def test_review_mark_refuses_a_bad_decision_writing_nothing(tmp_path, args, line) -> None:
    spec = _shot(tmp_path)
    done = invoke("review", "mark", str(spec), "1003", *args)
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith(line) and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "overrides.yaml").exists()


@pytest.mark.parametrize("frames, line", [
    ("900", "ERROR: review mark.frames: frames 900 are outside the plate range"),
                                          ("1005-1003", "ERROR: FRAMES: ")])
def test_review_mark_refuses_frames_off_the_plate_or_malformed(tmp_path, frames, line) -> None:
    spec = _shot(tmp_path)
    done = invoke("review", "mark", str(spec), frames, "--skip")
    assert done.exit_code == 2 and done.stderr.startswith(line)
    assert not (tmp_path / "overrides.yaml").exists()


def test_decide_holds_a_decision_to_its_action(tmp_path) -> None:
    shot = load_spec(_shot(tmp_path))
    now = datetime(2025, 6, 1, 14, 2, 11, tzinfo=timezone.utc)
    with pytest.raises(SpecError) as err:
        decide(shot, (1003,), "hold", by="a", via="test")
    assert err.value.one_line() == "hold: hold needs the frame whose alignment to use"
    skip = decide(shot, (1003,), "skip", hold=1002, assignments=("feather=0.1",), by="a",
                  via="test", now=now)
    assert (skip.hold, skip.values, skip.at) == (None, {}, "2025-06-01T14:02:11Z")
    held = decide(shot, (1003,), "hold", hold=1002, assignments=("feather=0.1",), by="a",
                  via="test")
    assert (held.hold, held.values) == (1002, {})
    with pytest.raises(SpecError) as bad:
        decide(shot, (1003,), "set", assignments=("feather=x",), by="a", via="t", key="k")
    assert bad.value.one_line() == "k.feather: expected a number, got 'x'"


def test_a_spec_built_in_code_has_no_overrides_file(tmp_path) -> None:
    spec = _shot(tmp_path)
    built = parse_spec(yaml.safe_load(spec.read_text()), base=tmp_path)
    assert built.spec_path is None
    with pytest.raises(SpecError) as err:
        overrides_file(built)
    assert err.value.one_line() == "spec: a spec built in code has no overrides.yaml beside it"
    with pytest.raises(SpecError):
        mark(built, (1003,), "skip", by="a", via="test")
    assert overrides_file(load_spec(spec)) == tmp_path / "overrides.yaml"


def _timeline(path: Path, spec: Path | None, *markers: tuple[str, int, int]) -> Path:
    """A timeline of one clip whose media time is the frame number, with a marker named
    ``name`` over ``count`` frames from ``first`` for each of ``markers``."""
    rate = 24.0
    clip = otio.schema.Clip(name="plate", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(1001, rate), otio.opentime.RationalTime(8, rate)))
    for name, first, count in markers:
        clip.markers.append(otio.schema.Marker(name=name, marked_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(first, rate), otio.opentime.RationalTime(count, rate))))
    flag = otio.schema.Marker(name="swim 0.4 > 0.3", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(1002, rate), otio.opentime.RationalTime(1, rate)),
        metadata={"faceplate": {"kind": "flag"}})
    clip.markers.append(flag)
    timeline = otio.schema.Timeline(name="review", tracks=[otio.schema.Track(children=[clip])])
    if spec is not None:
        timeline.metadata["faceplate"] = {"spec": str(spec)}
    otio.adapters.write_to_file(timeline, str(path))
    return path


def test_import_otio_writes_each_new_decision_once(tmp_path, monkeypatch) -> None:
    spec = _shot(tmp_path / "shot")
    overrides = tmp_path / "shot" / "overrides.yaml"
    timeline = _timeline(tmp_path / "notes.otio", spec, ("skip", 1003, 2), ("note", 1006, 1),
                         ("set identity_amount=0.5 feather=0.1", 1005, 1),
                         ("set feather=0.1, identity_amount=0.5", 1005, 1), ("approve", 1008, 1))
    done = invoke("review", "import-otio", str(timeline), "--by", "eve")
    assert done.exit_code == 0, done.stderr
    at = _overrides(spec)[0]["at"].replace("T", " ").replace("Z", " UTC")
    via = "via otio notes.otio"
    assert done.stdout.splitlines() == [
        f"frames 1003-1004: skip (pass through unswapped), by eve at {at} {via} → {overrides}",
        f"frames 1005: set feather=0.1, identity_amount=0.5, by eve at {at} {via} → {overrides}",
        "already in overrides.yaml: frames 1005: set feather=0.1, identity_amount=0.5",
        f"frames 1008: approve as rendered, by eve at {at} {via} → {overrides}",
        "not a decision, left out: marker 'note' on clip 'plate' at 1006",
        f"3 decision(s) imported from {timeline}",
        f"re-render with: faceplate run {spec} --only overridden"]
    assert [(o["frames"], o["by"], o["via"]) for o in _overrides(spec)] == [
        ("1003-1004", "eve", "otio notes.otio"), ("1005", "eve", "otio notes.otio"),
        ("1008", "eve", "otio notes.otio")]
    monkeypatch.setenv("LOGNAME", "frank")
    again = invoke("review", "import-otio", str(timeline), "--json")
    assert again.exit_code == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["imported"] == [] and report["rerender"] is None
    assert [(a["frames"], a["by"]) for a in report["already"]] == [
        ("1003-1004", "frank"), ("1005", "frank"), ("1005", "frank"), ("1008", "frank")]
    assert report["left_out"] == ["marker 'note' on clip 'plate' at 1006"]
    assert report["overrides"] == str(overrides)
    assert len(_overrides(spec)) == 3


def test_import_otio_of_approvals_only_needs_no_render(tmp_path) -> None:
    spec = _shot(tmp_path / "shot")
    timeline = _timeline(tmp_path / "ok.otio", None, ("approve", 1001, 8))
    done = invoke("review", "import-otio", str(timeline), "--spec", str(spec), "--by", "eve")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"1 decision(s) imported from {timeline}"
    assert _overrides(spec)[0]["frames"] == "1001-1008"


def test_import_otio_needs_the_spec_and_checks_every_marker_first(tmp_path) -> None:
    spec = _shot(tmp_path / "shot")
    unnamed = _timeline(tmp_path / "unnamed.otio", None, ("skip", 1003, 1))
    done = invoke("review", "import-otio", str(unnamed))
    assert done.exit_code == 2
    assert done.stderr == "ERROR: --spec: the timeline does not name its shot's spec: give --spec\n"
    bad = _timeline(tmp_path / "bad.otio", spec, ("skip", 1003, 1), ("hold 900", 1004, 1))
    refused = invoke("review", "import-otio", str(bad))
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == ("ERROR: marker 'hold 900' on clip 'plate' at 1004.hold: expected "
                              "a frame of the plate, got 900\n")
    assert not (tmp_path / "shot" / "overrides.yaml").exists()
