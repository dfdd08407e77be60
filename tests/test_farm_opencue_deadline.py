"""OpenCue (job XML from opencue-pyoutline) and Deadline (CommandLine job files) submission."""

from __future__ import annotations

import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from faceplate.errors import FarmError
from faceplate.farm import deadline, opencue
from faceplate.farm.plan import plan_shot

FACEPLATE = Path("/opt/fp/bin/faceplate")


def _plan(tmp_path: Path, frames=range(1001, 1026), chunk: int = 10, **kw):
    return plan_shot("sh010", tmp_path / "shot.yaml", list(frames), chunk, faceplate=FACEPLATE,
                     **kw)


def test_opencue_xml_holds_layers_ranges_chunks_and_dependencies(tmp_path: Path) -> None:
    assert opencue.submit(_plan(tmp_path), tmp_path / "job", dry_run=True) == []
    path = tmp_path / "job" / "sh010.cue.xml"
    text = path.read_text()
    assert "faceplate.farmjob/1" in text
    root = ET.fromstring(text)
    assert root.findtext("shot") == "sh010"
    layers = {layer.get("name"): layer for layer in root.iter("layer")}
    assert list(layers) == ["analyse", "solve", "render", "report"]
    render = layers["render"]
    assert render.findtext("range") == "1001-1025" and render.findtext("chunk") == "10"
    assert render.findtext("cmd") == (f"{FACEPLATE} render {tmp_path / 'shot.yaml'} "
                                      "--frames #FRAME_START#-#FRAME_END#")
    for name in ("analyse", "solve", "report"):
        assert layers[name].findtext("chunk") == "1"
        assert layers[name].findtext("cmd").split()[1:] == [name, str(tmp_path / "shot.yaml")]
    depends = [(d.findtext("deplayer"), d.findtext("onlayer"), d.get("type"))
               for d in root.iter("depend")]
    assert depends == [("solve", "analyse", "LAYER_ON_LAYER"),
                       ("render", "solve", "LAYER_ON_LAYER"),
                       ("report", "render", "LAYER_ON_LAYER")]
    assert (tmp_path / "job" / "opencue_sessions").is_dir()


def test_opencue_unreachable_is_a_farm_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUEBOT_HOSTS", "127.0.0.1")
    with pytest.raises(FarmError, match="OpenCue") as caught:
        opencue.submit(_plan(tmp_path), tmp_path / "job")
    assert caught.value.exit_code == 6


def test_stepped_ranges_are_refused_where_the_farm_chunks_a_contiguous_range(
        tmp_path: Path) -> None:
    for backend in (opencue, deadline):
        with pytest.raises(FarmError, match="contiguous"):
            backend.submit(_plan(tmp_path, range(1001, 1020, 2)), tmp_path / "job", dry_run=True)


def _keys(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_deadline_files_hold_the_required_keys(tmp_path: Path) -> None:
    deadline.submit(_plan(tmp_path, max_parallel=3), tmp_path / "job", dry_run=True)
    for stage in ("analyse", "solve", "render", "report"):
        job = _keys(tmp_path / "job" / f"sh010_{stage}_job_info.job")
        plugin = _keys(tmp_path / "job" / f"sh010_{stage}_plugin_info.job")
        assert job["Plugin"] == "CommandLine" and job["BatchName"] == "sh010 faceplate"
        assert job["ExtraInfoKeyValue0"] == "faceplate.farmjob=faceplate.farmjob/1"
        assert "JobDependencies" not in job
        assert plugin["Executable"] == str(FACEPLATE) and plugin["Shell"] == "False"
        assert plugin["Arguments"].split()[:2] == [stage, str(tmp_path / "shot.yaml")]
        if stage == "render":
            assert (job["Frames"], job["ChunkSize"], job["MachineLimit"]) == ("1001-1025", "10",
                                                                              "3")
            assert plugin["Arguments"].endswith("--frames <STARTFRAME>-<ENDFRAME>")
        else:
            assert (job["Frames"], job["ChunkSize"]) == ("1001", "1")


def test_deadline_submits_each_stage_after_the_previous(tmp_path: Path, monkeypatch) -> None:
    """Checks our call protocol against a stand-in ``deadlinecommand`` that logs its arguments
    and the dependency it was given, and answers ``JobID=`` like the real one."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.log"
    fake = bindir / "deadlinecommand"
    fake.write_text("#!/bin/bash\n"
                    f"n=$(( $(wc -l < {log} 2>/dev/null || echo 0) + 1 ))\n"
                    f'dep=$(grep ^JobDependencies= "$2" | cut -d= -f2)\n'
                    f'echo "$1 $(basename $2) dep=$dep" >> {log}\n'
                    'echo "Result=Success"; echo "JobID=job$n"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    ids = deadline.submit(_plan(tmp_path), tmp_path / "job")
    assert ids == ["job1", "job2", "job3", "job4"]
    assert log.read_text().splitlines() == [
        "-SubmitJob sh010_analyse_job_info.job dep=",
        "-SubmitJob sh010_solve_job_info.job dep=job1",
        "-SubmitJob sh010_render_job_info.job dep=job2",
        "-SubmitJob sh010_report_job_info.job dep=job3"]


def test_deadline_without_deadlinecommand_is_a_farm_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FarmError, match="deadlinecommand is not on PATH"):
        deadline.submit(_plan(tmp_path), tmp_path / "job")
