"""OpenCue (job XML from opencue-pyoutline) and Deadline (CommandLine job files) submission;
the chains, options and refusals are in test_farm_chain.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from faceplate.errors import FarmError
from faceplate.farm import deadline, opencue
from faceplate.farm.plan import plan_shot
from faceplate.spec.farm_section import OpenCueOptions

FACEPLATE = Path("/opt/fp/bin/faceplate")


def _plan(tmp_path: Path, frames=range(1001, 1026), chunk: int = 10, **kw):
    kw.setdefault("options", OpenCueOptions(user="artist", uid=1000))  # never root, for Cuebot
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
                                      "--frames #FRAME_START#-#FRAME_END# --workers 1")
    for name in ("analyse", "solve", "report"):
        assert layers[name].findtext("chunk") == "1"
        assert layers[name].findtext("cmd").split()[1:] == [name, str(tmp_path / "shot.yaml")]
    depends = [(d.findtext("deplayer"), d.findtext("onlayer"), d.get("type"))
               for d in root.iter("depend")]
    assert depends == [("solve", "analyse", "LAYER_ON_LAYER"),
                       ("render", "solve", "LAYER_ON_LAYER"),
                       ("report", "solve", "LAYER_ON_LAYER"),
                       ("report", "render", "LAYER_ON_LAYER")]
    assert (tmp_path / "job" / "opencue_sessions").is_dir()


def test_opencue_unreachable_is_a_farm_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUEBOT_HOSTS", "127.0.0.1")
    with pytest.raises(FarmError, match="OpenCue") as caught:
        opencue.submit(_plan(tmp_path), tmp_path / "job")
    assert caught.value.exit_code == 6


def _keys(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_deadline_files_hold_the_required_keys(tmp_path: Path) -> None:
    deadline.submit(_plan(tmp_path, max_parallel=3, options=None), tmp_path / "job",
                    dry_run=True)
    for stage in ("analyse", "solve", "render", "report"):
        job = _keys(tmp_path / "job" / f"sh010_{stage}_job_info.job")
        plugin = _keys(tmp_path / "job" / f"sh010_{stage}_plugin_info.job")
        assert job["Plugin"] == "CommandLine" and job["BatchName"] == "sh010 faceplate"
        assert job["ExtraInfoKeyValue0"] == "faceplate.farmjob=faceplate.farmjob/1"
        assert "JobDependencies" not in job  # added by submit.sh, once the ids are known
        assert plugin["Executable"] == str(FACEPLATE) and plugin["ShellExecute"] == "False"
        assert plugin["Arguments"].split()[:2] == [stage, str(tmp_path / "shot.yaml")]
        if stage == "render":
            assert (job["Frames"], job["ChunkSize"], job["MachineLimit"]) == ("1001-1025", "10",
                                                                              "3")
            assert plugin["Arguments"].endswith("--frames <STARTFRAME>-<ENDFRAME> --workers 1")
        else:
            assert (job["Frames"], job["ChunkSize"]) == ("1001", "1")
