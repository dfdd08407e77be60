"""The command line's shared behaviour: ``--json`` (one JSON document on stdout), ``-q``
(nothing but errors), ``-v``/``-q`` before or after the subcommand, several spec errors at
once, and ``doctor`` reporting every check and where its OCIO config came from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import OBAMA, make_shot, run_cli, spec_dict, write_spec

from faceplate.ocio import PINNED_CONFIG

OTHER_CONFIG = "ocio://cg-config-v2.2.0_aces-v1.3_ocio-v2.4"


def _spec(folder: Path, **overrides) -> Path:
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    return write_spec(folder, spec_dict(**overrides))


def test_doctor_says_the_config_came_from_the_command_line(tmp_path: Path) -> None:
    done = run_cli("doctor", "--ocio", OTHER_CONFIG)
    assert done.returncode == 0, done.stderr
    assert f"OCIO config: {OTHER_CONFIG} (from --ocio)" in done.stdout.splitlines()
    spec = _spec(tmp_path)  # its ocio: is the pinned config
    from_spec = run_cli("doctor", str(spec))
    assert f"OCIO config: {PINNED_CONFIG} (from spec)" in from_spec.stdout.splitlines()
    over = run_cli("doctor", str(spec), "--ocio", OTHER_CONFIG)
    assert f"OCIO config: {OTHER_CONFIG} (from --ocio)" in over.stdout.splitlines()
    plain = run_cli("doctor")
    assert f"OCIO config: {PINNED_CONFIG} (from pinned)" in plain.stdout.splitlines()


def test_doctor_reports_every_check_not_only_the_first_error(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ocio="ocio://no-such-config")
    data = yaml.safe_load(spec.read_text())
    data["sources"]["actor_a"]["images"] = ["refs/missing.jpg"]
    spec.write_text(yaml.safe_dump(data))
    done = run_cli("doctor", str(spec))
    assert done.returncode == 2
    errors = done.stderr.strip().splitlines()
    assert errors[0].startswith("ERROR: sources.actor_a.images[0]: file not found")
    assert errors[1].startswith("ERROR: OCIO config 'ocio://no-such-config' (from spec)") \
        or errors[1].startswith("ERROR: unknown built-in OCIO config 'ocio://no-such-config'")
    assert len(errors) == 2, done.stderr
    # The checks after the failures still ran and said what they found.
    lines = done.stdout.splitlines()
    assert any(line.startswith("onnxruntime ") for line in lines)
    assert any(line.startswith("torch backend") for line in lines)
    assert "spec: FAILED" in lines and "OCIO config: FAILED" in lines
    report = json.loads(run_cli("doctor", str(spec), "--json").stdout)
    failed = [c["name"] for c in report["checks"] if not c["ok"]]
    assert failed == ["spec", "OCIO config"]
    assert {c["name"] for c in report["checks"] if c["ok"]} >= {"faceplate", "onnxruntime"}


def test_doctor_json_is_one_document(tmp_path: Path) -> None:
    done = run_cli("doctor", "--json", "--ocio", OTHER_CONFIG)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    ocio = next(c for c in report["checks"] if c["name"] == "OCIO config")
    assert ocio["ok"] and ocio["value"] == {"uri": OTHER_CONFIG, "origin": "--ocio"}


@pytest.mark.parametrize("args", [["-v", "models", "list"], ["models", "list", "-v"],
                                  ["-q", "models", "list"], ["models", "list", "-q"],
                                  ["plugins", "-q"], ["doctor", "-q"]])
def test_verbose_and_quiet_go_before_or_after_the_subcommand(args: list[str]) -> None:
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert (done.stdout == "") == ("-q" in args)


def test_models_list_json(tmp_path: Path) -> None:
    done = run_cli("models", "list", "--json")
    assert done.returncode == 0, done.stderr
    models = json.loads(done.stdout)["models"]
    assert {"id", "role", "state", "licence", "allowed", "path"} <= set(models[0])
    verify = json.loads(run_cli("models", "verify", "--json").stdout)
    assert "verified" in verify and "mismatched" in verify


def test_submit_json_names_the_job_files_and_the_submit_script(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "shot")
    done = run_cli("submit", str(spec), "--farm", "slurm", "--dry-run", str(tmp_path / "job"),
                   "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {"farm": "slurm", "job_files": str(tmp_path / "job"), "dry_run": True,
                      "submit_script": str(tmp_path / "job" / "submit.sh"), "jobs": []}
    quiet = run_cli("submit", str(spec), "--farm", "slurm", "--dry-run", str(tmp_path / "j2"),
                    "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    listed = json.loads(run_cli("submit", "--list", "--json").stdout)
    assert {f["name"] for f in listed["farms"]} >= {"local", "slurm", "opencue", "deadline"}


@pytest.mark.slow
def test_run_json_and_quiet(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    for bad in ("0", "-1", "two", "1.5"):  # refused before anything is read or written
        refused = run_cli("run", str(shot.spec_path), "--workers", bad)
        assert refused.returncode == 2 and not shot.qc_json.parent.exists()
        assert refused.stderr == (f"ERROR: --workers: must be auto or a whole number of at "
                                  f"least 1, not {bad!r}\n")
    done = run_cli("run", str(shot.spec_path), "--json", "--workers", "2")  # one frame each
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["rendered"], report["reused"], report["failed"]) == ("1001-1002", "", "")
    assert report["qc"] == str(shot.qc_json)
    assert report["summary"]["frames"] == 2
    again = run_cli("run", str(shot.spec_path), "-q")
    assert again.returncode == 0 and again.stdout == ""
    both = run_cli("-q", "run", str(shot.spec_path), "--json")
    assert both.returncode == 0 and both.stdout == ""  # -q wins, even over the document
