"""The shot spec's contract: every error reported at once (one line each, naming its key), and
the published JSON Schema, generated from the same pydantic models the loader validates with,
agreeing with the loader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import get_args

import jsonschema
import pytest
from conftest import OBAMA, run_cli, spec_dict, write_spec

from faceplate.errors import SpecError, SpecErrors
from faceplate.spec import load_spec
from faceplate.spec.contract import ShotSection, json_schema
from faceplate.spec.versions import SPEC_VERSION

PUBLISHED = Path(__file__).parent.parent / "docs" / "shot-spec.schema.json"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "refs").mkdir()
    shutil.copyfile(OBAMA, tmp_path / "refs" / "actor_a.jpg")
    return tmp_path


def _broken() -> dict:
    data = spec_dict(colour="x", solve={"smoothing": -1, "beyond_yaw": "maybe"},
                     models={"providers": ["gpu"], "threads": 0},
                     farm={"slurm": {"time": "2h"}})
    data["plate"]["frames"] = "1001-1002y"
    data["plate"]["colourspace"] = "ACEScg"
    data["sources"]["actor_a"]["images"] = []
    data["swaps"] = [{"source": "actor_a", "target": "smallest"}]
    data["output"]["matte_channel"] = 3
    data["qc"] = {"max_seam": "12"}
    return data


EXPECTED_KEYS = ["plate.frames", "plate.colourspace", "sources.actor_a.images",
                 "swaps[0].target", "output.matte_channel", "solve.smoothing",
                 "solve.beyond_yaw", "qc.max_seam", "models.providers", "models.threads",
                 "farm.slurm.time", "colour"]


def test_every_error_is_reported_at_once_each_naming_its_key(folder: Path) -> None:
    with pytest.raises(SpecErrors) as caught:
        load_spec(write_spec(folder, _broken()))
    errors = caught.value.errors
    assert [e.key for e in errors] == EXPECTED_KEYS
    assert caught.value.key == "plate.frames" and caught.value.exit_code == 2
    lines = str(caught.value).splitlines()
    assert len(lines) == len(EXPECTED_KEYS)
    assert all(line.startswith(f"{key}: ") for line, key in zip(lines, EXPECTED_KEYS))
    assert lines[-1].startswith("colour: unknown key (allowed: farm, models, ocio, output, ")


def test_the_cli_prints_one_error_line_per_problem(folder: Path) -> None:
    spec = write_spec(folder, _broken())
    for command in (["spec", "check", str(spec)], ["run", str(spec)]):
        done = run_cli(*command)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert [line.split(":")[1].strip() for line in lines] == EXPECTED_KEYS, done.stderr
        assert all(line.startswith("ERROR: ") for line in lines)
    assert not (folder / "out").exists()


def test_one_error_is_still_a_plain_spec_error(folder: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(folder, spec_dict(solve={"max_gap": 1.5})))
    assert not isinstance(caught.value, SpecErrors)
    assert str(caught.value) == "solve.max_gap: expected a whole number of frames >= 0"


def test_spec_check_says_ok(folder: Path) -> None:
    done = run_cli("spec", "check", str(write_spec(folder, spec_dict())), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


def test_the_published_schema_is_the_commands(tmp_path: Path) -> None:
    done = run_cli("spec", "schema")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(PUBLISHED.read_text()) == json_schema()
    jsonschema.Draft202012Validator.check_schema(json_schema())
    version = json_schema()["properties"]["version"]
    assert version["const"] == SPEC_VERSION
    assert get_args(ShotSection.model_fields["version"].annotation) == (SPEC_VERSION,)


@pytest.mark.parametrize("mutate, valid", [
    (lambda d: None, True),
    (lambda d: d.update(models={"swapper": "inswapper_128", "providers": ["cuda", "cpu"]}), True),
    (lambda d: d.update(farm={"slurm": {"partition": "gpu", "cpus": 4},
                              "tractor": {"queue": "a"}}), True),
    (lambda d: d["swaps"][0].update(target={"track": 2}), True),
    (lambda d: d["output"].update(matte_channel=True, compression="dwaa:45"), True),
    (lambda d: d.update(colour="x"), False),
    (lambda d: d["plate"].update(colourspace="ACEScg"), False),
    (lambda d: d.update(solve={"smoothing": -1}), False),
    (lambda d: d.update(solve={"max_yaw": "60"}), False),
    (lambda d: d.update(swaps=[]), False),
    (lambda d: d["swaps"][0].update(target={"track": -1}), False),
    (lambda d: d.update(farm={"deadline": {"priority": 101}}), False),
    (lambda d: d.update(models={"providers": ["gpu"]}), False),
    (lambda d: d.pop("output"), False),
])
def test_the_schema_and_the_loader_agree(folder: Path, mutate, valid: bool) -> None:
    data = spec_dict()
    mutate(data)
    errors = list(jsonschema.Draft202012Validator(json_schema()).iter_errors(data))
    assert (not errors) == valid, [e.message for e in errors]
    if valid:
        load_spec(write_spec(folder, data))
    else:
        with pytest.raises(SpecError):
            load_spec(write_spec(folder, data))
