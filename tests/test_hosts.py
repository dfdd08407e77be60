"""The Nuke and Resolve plugins, run against stand-in host objects behind their one access
function: the spec built from knob values, the calls made, and a real 2-frame shot."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import OBAMA, make_shot, run_cli

from faceplate.demo.build import PLATE_COLORSPACE
from faceplate.hosts import nuke as fp_nuke
from faceplate.hosts import resolve as fp_resolve
from faceplate.hosts.clip_spec import colourspace_name
from faceplate.spec import load_spec


class Knob:
    def __init__(self, value: Any) -> None:
        self._value = value

    def value(self) -> Any:
        return self._value


class FakeRead:
    def __init__(self, **knobs: Any) -> None:
        self.knobs = {k: Knob(v) for k, v in knobs.items()}
        self.pos = (0, 0)

    def __getitem__(self, name: str) -> Knob:
        return self.knobs[name]

    def Class(self) -> str:
        return "Read"

    def name(self) -> str:
        return "Read1"

    def xpos(self) -> int:
        return 100

    def ypos(self) -> int:
        return 50

    def setXYpos(self, x: int, y: int) -> None:
        self.pos = (x, y)


class FakeNuke:
    """Records every call the plugin makes into Nuke."""

    def __init__(self, selected: FakeRead, answers: list[str]) -> None:
        self.selected = selected
        self.answers = list(answers)
        self.calls: list[tuple[str, Any]] = []
        self.progress: list[int] = []
        self.created: list[dict[str, Any]] = []
        fake = self

        class Nodes:
            def Read(self, **knobs: Any) -> FakeRead:
                fake.created.append(knobs)
                return FakeRead(**knobs)

        class ProgressTask:
            def __init__(self, title: str) -> None:
                fake.calls.append(("ProgressTask", title))

            def setProgress(self, value: int) -> None:
                fake.progress.append(value)

            def setMessage(self, text: str) -> None:
                pass

        self.nodes = Nodes()
        self.ProgressTask = ProgressTask

    def selectedNode(self) -> FakeRead:
        return self.selected

    def getFilename(self, prompt: str, pattern: str = "") -> str:
        return self.answers.pop(0)

    def getInput(self, prompt: str, default: str) -> str:
        return default

    def message(self, text: str) -> None:
        self.calls.append(("message", text))

    def executeInMainThread(self, func: Any, args: tuple = ()) -> None:
        self.calls.append(("executeInMainThread", func.__name__))
        func(*args)


@pytest.mark.parametrize("knob, name", [("default (ACEScg)", "ACEScg"), ("ACEScg", "ACEScg"),
                                        ("scene_linear", "scene_linear"), ("", None)])
def test_colourspace_knob_values_map_to_ocio_names(knob, name) -> None:
    assert colourspace_name(knob) == name


def test_the_spec_built_from_read_knobs_is_valid(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    values = {"file": str(shot.folder / "plates" / "tst010.%04d.exr"), "first": 1001, "last": 1003,
              "colorspace": f"default ({PLATE_COLORSPACE})"}
    path = fp_nuke.spec_from_read(values, [str(OBAMA)], tmp_path / "out")
    spec = load_spec(path)
    assert spec.plate.path.pattern.endswith("tst010.####.exr")
    assert spec.plate.frames == (1001, 1002, 1003)
    assert spec.plate.colorspace == PLATE_COLORSPACE
    assert spec.shot == "tst010" and spec.output.matte is not None


@pytest.mark.slow
def test_nuke_menu_runs_the_shot_and_reads_the_results_back(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    read = FakeRead(file=str(shot.folder / "plates" / "tst010.####.exr"), first=1001, last=1002,
                    colorspace=PLATE_COLORSPACE)
    nuke = FakeNuke(read, [str(OBAMA), str(tmp_path / "out")])
    worker = fp_nuke.swap_selected(nuke)
    worker.join(timeout=600)  # a guard against a hang, not a measure: the run must have ended
    assert not worker.is_alive(), "the background run did not finish"
    assert ("ProgressTask", "Faceplate") in nuke.calls
    assert nuke.progress and nuke.progress == sorted(nuke.progress) and nuke.progress[-1] == 100
    assert ("executeInMainThread", "create_reads") in nuke.calls
    files = [c["file"] for c in nuke.created]
    assert files == [str(tmp_path / "out" / "tst010_fp.####.exr"),
                     str(tmp_path / "out" / "tst010_fp_matte.####.exr")]
    assert all((c["first"], c["last"]) == (1001, 1002) for c in nuke.created)
    assert (tmp_path / "out" / "tst010_fp.1002.exr").is_file()


def test_nuke_shows_a_faceplate_error_as_one_message(tmp_path: Path) -> None:
    read = FakeRead(file=str(tmp_path / "missing.####.exr"), first=1, last=2, colorspace="")
    nuke = FakeNuke(read, [str(tmp_path / "nobody.jpg"), str(tmp_path / "out")])
    assert fp_nuke.swap_selected(nuke) is None
    (_, text), = [c for c in nuke.calls if c[0] == "message"]
    assert text.startswith("Faceplate: sources.source.images[0]: file not found")
    assert "\n" not in text


def test_plugin_path_points_at_the_nuke_and_resolve_files() -> None:
    done = run_cli("plugin-path", "nuke")
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert (folder / "init.py").is_file() and (folder / "menu.py").is_file()
    resolve = Path(run_cli("plugin-path", "resolve").stdout.strip())
    assert (resolve / "Faceplate Swap.py").is_file()
    unknown = run_cli("plugin-path", "houdini")
    assert unknown.returncode == 2 and "HOST" in unknown.stderr


class FakeMedia:
    def __init__(self, props: dict[str, str]) -> None:
        self.props = props

    def GetClipProperty(self, name: str) -> str:
        return self.props.get(name, "")


class FakeResolve:
    """Resolve's object tree as far as the script walks it; records imports."""

    def __init__(self, media: FakeMedia) -> None:
        self.imported: list[Any] = []
        fake = self

        class Item:
            def GetMediaPoolItem(self) -> FakeMedia:
                return media

        class Timeline:
            def GetCurrentVideoItem(self) -> Item:
                return Item()

        class Pool:
            def ImportMedia(self, items: list[Any]) -> list[str]:
                fake.imported.extend(items)
                return [f"clip{i}" for i in range(len(items))]

        class Project:
            def GetCurrentTimeline(self) -> Timeline:
                return Timeline()

            def GetMediaPool(self) -> Pool:
                return Pool()

        class Manager:
            def GetCurrentProject(self) -> Project:
                return Project()

        self.manager = Manager()

    def GetProjectManager(self) -> Any:
        return self.manager


@pytest.mark.slow
def test_resolve_script_swaps_the_current_clip_and_imports_the_results(tmp_path: Path,
                                                                       colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    media = FakeMedia({"File Path": str(shot.folder / "plates" / "tst010.[1001-1002].exr"),
                       "Input Color Space": PLATE_COLORSPACE})
    resolve = FakeResolve(media)
    source = tmp_path / "face.jpg"
    shutil.copyfile(OBAMA, source)
    status = fp_resolve.main(resolve, {"FACEPLATE_SOURCES": str(source),
                                       "FACEPLATE_OUT": str(tmp_path / "out")})
    assert status == "Faceplate: done (2 item(s))"
    assert resolve.imported == [
        {"FilePath": str(tmp_path / "out" / "tst010_fp.%04d.exr"), "StartIndex": 1001,
         "EndIndex": 1002},
        {"FilePath": str(tmp_path / "out" / "tst010_fp_matte.%04d.exr"), "StartIndex": 1001,
         "EndIndex": 1002}]
    assert (tmp_path / "out" / "tst010_fp.1001.exr").is_file()


def test_resolve_refuses_a_clip_that_is_not_a_sequence(tmp_path: Path) -> None:
    resolve = FakeResolve(FakeMedia({"File Path": "/media/interview.mov"}))
    status = fp_resolve.main(resolve, {"FACEPLATE_SOURCES": str(OBAMA)})
    assert status == "Faceplate: clip: not an image sequence: /media/interview.mov"
