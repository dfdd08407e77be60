"""The Nuke and Resolve plugins, run against stand-in host objects behind their one access
function: the spec built from knob values, the calls made, and a real 2-frame shot."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import OBAMA, make_shot, run_cli

from faceplate.demo.build import PLATE_COLORSPACE
from faceplate.errors import FaceplateError, SpecError
from faceplate.frames import SequencePath
from faceplate.hosts import nuke as fp_nuke
from faceplate.hosts import resolve as fp_resolve
from faceplate.hosts.clip_spec import (
    colourspace_name,
    hash_pattern,
    printf_pattern,
    shot_name,
    spec_for_clip,
)
from faceplate.hosts.colour_names import NUKE_DEFAULT, RESOLVE
from faceplate.pipeline.progress import Progress
from faceplate.registry import PATH_VARIABLE
from faceplate.spec import load_spec, save_spec


class Knob:
    """A knob: ``value()`` is its text as typed (expressions unevaluated)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def value(self) -> Any:
        return self._value


class FileKnob(Knob):
    """A file knob: ``getEvaluatedValue()`` evaluates its TCL, keeping ``%04d``."""

    def __init__(self, value: str, evaluated: str | None = None) -> None:
        super().__init__(value)
        self._evaluated = value if evaluated is None else evaluated

    def getEvaluatedValue(self) -> str:
        return self._evaluated


class FakeNode:
    def __init__(self, cls: str = "Read", name: str = "Read1", **knobs: Any) -> None:
        self.knobs = {k: v if isinstance(v, Knob) else Knob(v) for k, v in knobs.items()}
        self.pos = (0, 0)
        self._class, self._name = cls, name

    def __getitem__(self, name: str) -> Knob:
        return self.knobs[name]

    def knob(self, name: str) -> Knob | None:
        return self.knobs.get(name)

    def Class(self) -> str:
        return self._class

    def name(self) -> str:
        return self._name

    def xpos(self) -> int:
        return 100

    def ypos(self) -> int:
        return 50

    def setXYpos(self, x: int, y: int) -> None:
        self.pos = (x, y)


def FakeRead(**knobs: Any) -> FakeNode:
    knobs["file"] = knobs["file"] if isinstance(knobs["file"], Knob) else FileKnob(knobs["file"])
    return FakeNode("Read", "Read1", **knobs)


class FakeNuke:
    """Records every call the plugin makes into Nuke. ``selected`` are the selected nodes;
    ``root`` the project's knobs; the progress task reports Cancel once progress reaches
    ``cancel_at``."""

    def __init__(self, selected: FakeNode | list[FakeNode] | None, answers: list[str],
                 root: dict[str, Any] | None = None, cancel_at: int | None = None) -> None:
        self.selected = [selected] if isinstance(selected, FakeNode) else list(selected or [])
        self.answers = list(answers)
        self.calls: list[tuple[str, Any]] = []
        self.progress: list[int] = []
        self.created: list[dict[str, Any]] = []
        self._root = FakeNode("Root", "root", **(root or {"colorManagement": "OCIO",
                                                           "OCIO_config": "custom",
                                                           "customOCIOConfigPath": FileKnob("")}))
        fake = self

        class Nodes:
            def Read(self, **knobs: Any) -> FakeNode:
                fake.created.append(knobs)
                return FakeRead(**knobs)

        class ProgressTask:
            def __init__(self, title: str) -> None:
                fake.calls.append(("ProgressTask", title))

            def setProgress(self, value: int) -> None:
                fake.progress.append(value)

            def setMessage(self, text: str) -> None:
                pass

            def isCancelled(self) -> bool:
                cancelled = cancel_at is not None and fake.progress[-1] >= cancel_at
                fake.calls.append(("isCancelled", cancelled))
                return cancelled

        self.nodes = Nodes()
        self.ProgressTask = ProgressTask

    def root(self) -> FakeNode:
        return self._root

    def selectedNode(self) -> FakeNode:
        if not self.selected:
            raise ValueError("No node selected")  # what Nuke does
        return self.selected[0]

    def selectedNodes(self, filter: str | None = None) -> list[FakeNode]:
        return [n for n in self.selected if filter is None or n.Class() == filter]

    def getFilename(self, prompt: str, pattern: str = "") -> str:
        return self.answers.pop(0)

    def getInput(self, prompt: str, default: str) -> str:
        return default

    def message(self, text: str) -> None:
        self.calls.append(("message", text))

    def executeInMainThread(self, func: Any, args: tuple = ()) -> None:
        self.calls.append(("executeInMainThread", func.__name__))
        func(*args)

    def messages(self) -> list[str]:
        return [text for kind, text in self.calls if kind == "message"]


@pytest.mark.parametrize("knob, name", [("default (ACEScg)", "ACEScg"), ("ACEScg", "ACEScg"),
                                        ("scene_linear", "scene_linear"), ("", None),
                                        (None, None), ("  \t", None), (" ACEScg ", "ACEScg"),
                                        (" default ( ACEScg ) ", "ACEScg"),
                                        ("default ()", "default ()"),
                                        ("my default (ACEScg)", "my default (ACEScg)")])
def test_colourspace_knob_values_map_to_ocio_names(knob, name) -> None:
    assert colourspace_name(knob) == name


@pytest.mark.parametrize("printf, hashes", [
    ("/p/sh010.%04d.exr", "/p/sh010.####.exr"), ("/p/sh010.%d.exr", "/p/sh010.#.exr"),
    ("/p/sh010.%4d.exr", "/p/sh010.####.exr"), ("/p/sh010.####.exr", "/p/sh010.####.exr"),
    ("/p/v%02d/sh.%06d.exr", "/p/v##/sh.######.exr"), ("/p/sh010.exr", "/p/sh010.exr")])
def test_frame_numbers_as_printf_and_as_hashes(printf, hashes) -> None:
    assert hash_pattern(printf) == hashes
    assert printf_pattern("/p/sh010.####.exr") == "/p/sh010.%04d.exr"
    assert printf_pattern("/p/v##/sh.#.exr") == "/p/v%02d/sh.%01d.exr"
    assert printf_pattern("/p/sh010.exr") == "/p/sh010.exr"


@pytest.mark.parametrize("plate, shot", [
    ("/p/sh010.%04d.exr", "sh010"), ("/p/sh010_plate_v2.####.exr", "sh010_plate_v2"),
    ("/p/sh010-bg.####.exr", "sh010_bg"), ("/p/sh 010_.%04d.exr", "sh_010"),
    ("/p/sh010-.####.exr", "sh010"), ("/p/####.exr", "shot"), ("/p/._-####.exr", "shot"),
    ("/p/a.b.####.exr", "a_b")])
def test_the_shot_is_named_by_the_plate_file_before_its_frame_number(plate, shot) -> None:
    assert shot_name(plate) == shot


def test_a_clips_spec(tmp_path: Path) -> None:
    face = tmp_path / "face.jpg"
    data = spec_for_clip(shot="sh010", plate="/p/sh010.%04d.exr", first=1001, last=1010,
                         colorspace="", sources=[str(face)], out_dir=tmp_path / "out")
    assert data["plate"] == {"path": "/p/sh010.####.exr", "frames": "1001-1010"}
    assert data["sources"] == {"source": {"images": [str(face)]}}
    assert data["swaps"] == [{"source": "source", "target": "largest"}]
    assert data["output"] == {"path": str(tmp_path / "out" / "sh010_fp.####.exr"),
                              "matte": str(tmp_path / "out" / "sh010_fp_matte.####.exr"),
                              "qc": str(tmp_path / "out" / "qc")}
    assert "ocio" not in data
    given = spec_for_clip(shot="sh010", plate="/p/sh010.####.exr", first=1, last=2,
                          colorspace="ACEScg", sources=["face.jpg"], out_dir=tmp_path,
                          ocio="/studio/config.ocio")
    assert given["ocio"] == "/studio/config.ocio" and given["plate"]["colorspace"] == "ACEScg"
    assert given["sources"]["source"]["images"] == [str(Path.cwd() / "face.jpg")]


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


def test_file_knob_expressions_are_evaluated(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    real = str(shot.folder / "plates" / "tst010.%04d.exr")
    read = FakeRead(file=FileKnob("[value root.plates]/tst010.%04d.exr", evaluated=real),
                    first=1001, last=1002, colorspace=PLATE_COLORSPACE)
    values = fp_nuke.read_values(read)
    assert values["file"] == real
    spec = load_spec(fp_nuke.spec_from_read(values, [str(OBAMA)], tmp_path / "out"))
    assert spec.plate.path.frame(1001) == shot.plate(1001)


@pytest.mark.parametrize("selected, expected", [
    ([], "Faceplate: select a Read node first"),
    ([FakeNode("Blur", "Blur1")], "Faceplate: select a Read node first (selected: Blur1)"),
    ([FakeRead(file="a.%04d.exr"), FakeRead(file="b.%04d.exr")],
     "Faceplate: select one Read node (2 are selected)"),
])
def test_a_wrong_selection_is_one_message_not_a_traceback(selected, expected) -> None:
    nuke = FakeNuke(selected, ["face.jpg", "/tmp/out"])
    assert fp_nuke.swap_selected(nuke) is None
    assert fp_nuke.submit_selected(nuke) == []
    assert nuke.messages() == [expected, expected]


def test_nukes_ocio_config_goes_into_the_spec(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    config = tmp_path / "studio" / "config.ocio"
    config.parent.mkdir()
    config.write_text(colour.config.serialize())
    root = {"colorManagement": "OCIO", "OCIO_config": "custom",
            "customOCIOConfigPath": FileKnob("[getenv STUDIO]/config.ocio",
                                             evaluated=str(config))}
    read = FakeRead(file=str(shot.folder / "plates" / "tst010.####.exr"), first=1001,
                    last=1002, colorspace="default (ACEScg)")
    nuke = FakeNuke(read, [str(OBAMA), str(tmp_path / "out")], root=root)
    colour_of_project = fp_nuke.project_colour(nuke, environ={})
    assert colour_of_project == fp_nuke.ProjectColour(str(config))
    path = fp_nuke.spec_from_read(fp_nuke.read_values(read), [str(OBAMA)], tmp_path / "out",
                                  colour_of_project)
    spec = load_spec(path)
    assert (spec.ocio, spec.plate.colorspace) == (str(config), "ACEScg")


@pytest.mark.parametrize("knob, expected", [
    ("linear", "Linear Rec.709 (sRGB)"), ("default (sRGB)", "sRGB Encoded Rec.709 (sRGB)"),
    ("rec709", "Camera Rec.709"), ("Gamma2.4", "Gamma 2.4 Encoded Rec.709"), ("", None)])
def test_nuke_default_names_are_mapped_to_the_pinned_config(knob, expected, tmp_path: Path,
                                                            colour) -> None:
    root = {"colorManagement": "Nuke", "OCIO_config": "nuke-default"}
    nuke = FakeNuke([], [], root=root)
    project = fp_nuke.project_colour(nuke, environ={"OCIO": "/ignored/config.ocio"})
    assert project.nuke_default and project.config is None
    values = {"file": str(tmp_path / "p.%04d.exr"), "first": 1, "last": 2, "colorspace": knob}
    spec = load_spec(fp_nuke.spec_from_read(values, [str(OBAMA)], tmp_path / "out", project))
    assert spec.ocio is None and spec.plate.colorspace == expected
    if expected is not None:
        assert colour.canonical(expected) == expected


def test_a_nuke_default_name_without_equivalent_is_one_message(tmp_path: Path) -> None:
    read = FakeRead(file=str(tmp_path / "p.%04d.exr"), first=1, last=2, colorspace="Cineon")
    nuke = FakeNuke(read, [str(OBAMA), str(tmp_path / "out")],
                    root={"colorManagement": "Nuke", "OCIO_config": "nuke-default"})
    assert fp_nuke.swap_selected(nuke) is None
    (text,) = nuke.messages()
    assert text.startswith("Faceplate: colorspace: Nuke (nuke-default) colourspace 'Cineon' "
                           "has no equivalent")
    assert "\n" not in text


def test_every_mapped_host_name_is_a_colourspace_of_the_pinned_config(colour) -> None:
    for table in (NUKE_DEFAULT, RESOLVE):
        for host_name, ocio_name in table.items():
            assert colour.canonical(ocio_name) == ocio_name, (host_name, ocio_name)


@pytest.mark.slow
def test_nuke_menu_runs_the_shot_and_reads_the_results_back(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    read = FakeRead(file=str(shot.folder / "plates" / "tst010.####.exr"), first=1001, last=1002,
                    colorspace=f"default ({PLATE_COLORSPACE})")
    nuke = FakeNuke(read, [str(OBAMA), str(tmp_path / "out")])
    worker = fp_nuke.swap_selected(nuke)
    worker.join(timeout=600)  # a guard against a hang, not a measure: the run must have ended
    assert not worker.is_alive(), "the background run did not finish"
    assert ("ProgressTask", "Faceplate") in nuke.calls
    # analyse fills the bar's first half, render the second: a frame in 2 is a quarter
    assert nuke.progress == [25, 50, 75, 100]
    assert nuke.calls.count(("isCancelled", False)) == 4  # read between frames: 2 + 2
    assert ("executeInMainThread", "create_reads") in nuke.calls
    assert nuke.created == [
        {"file": str(tmp_path / "out" / "tst010_fp.####.exr"), "first": 1001, "last": 1002,
         "colorspace": PLATE_COLORSPACE},
        {"file": str(tmp_path / "out" / "tst010_fp_matte.####.exr"), "first": 1001,
         "last": 1002, "raw": True}]
    assert (tmp_path / "out" / "tst010_fp.1002.exr").is_file()


@pytest.mark.slow
def test_cancel_stops_after_the_frame_in_flight_and_says_so(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    read = FakeRead(file=str(shot.folder / "plates" / "tst010.####.exr"), first=1001, last=1003,
                    colorspace=PLATE_COLORSPACE)
    nuke = FakeNuke(read, [str(OBAMA), str(tmp_path / "out")], cancel_at=60)
    fp_nuke.swap_selected(nuke).join(timeout=300)
    (text,) = nuke.messages()
    assert text == ("Faceplate: cancelled after render frame 1001; finished frames are kept, "
                    "run it again to resume")
    assert ("executeInMainThread", "create_reads") not in nuke.calls
    out = tmp_path / "out"
    assert (out / "tst010_fp.1001.exr").is_file()
    assert (out / "qc" / "frames" / "1001.json").is_file()
    assert not (out / "tst010_fp.1002.exr").exists()
    assert nuke.calls.count(("isCancelled", True)) == 1
    assert nuke.progress == [16, 33, 50, 66]   # 50 * i // 3, then 50 + 50 // 3: cancelled


def test_nuke_shows_a_faceplate_error_as_one_message(tmp_path: Path) -> None:
    read = FakeRead(file=str(tmp_path / "missing.####.exr"), first=1, last=2, colorspace="")
    nuke = FakeNuke(read, [str(tmp_path / "nobody.jpg"), str(tmp_path / "out")])
    assert fp_nuke.swap_selected(nuke) is None
    (text,) = nuke.messages()
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


class FakeItem:
    """A timeline item using ``duration`` frames of its media from ``left`` frames in."""

    def __init__(self, media: FakeMedia, left: int = 0, duration: int = 10_000) -> None:
        self.media, self.left, self.duration = media, left, duration

    def GetMediaPoolItem(self) -> FakeMedia:
        return self.media

    def GetLeftOffset(self) -> int:
        return self.left

    def GetDuration(self) -> int:
        return self.duration


class FakeResolve:
    """Resolve's object tree as far as the script walks it; records imports and mattes."""

    def __init__(self, item: FakeItem, settings: dict[str, str] | None = None) -> None:
        self.imported: list[Any] = []
        self.mattes: list[tuple[Any, list[str]]] = []
        fake = self

        class Timeline:
            def GetCurrentVideoItem(self) -> FakeItem:
                return item

        class Pool:
            def ImportMedia(self, items: list[Any]) -> list[str]:
                fake.imported.extend(items)
                return [f"clip{i}" for i in range(len(items))]

        class Project:
            def GetCurrentTimeline(self) -> Timeline:
                return Timeline()

            def GetMediaPool(self) -> Pool:
                return Pool()

            def GetSetting(self, name: str) -> str:
                return (settings or {}).get(name, "")

        class Manager:
            def GetCurrentProject(self) -> Project:
                return Project()

        class Storage:
            def AddClipMattesToMediaPool(self, clip: Any, paths: list[str]) -> bool:
                fake.mattes.append((clip, paths))
                return True

        self.manager = Manager()
        self.storage = Storage()

    def GetProjectManager(self) -> Any:
        return self.manager

    def GetMediaStorage(self) -> Any:
        return self.storage


@pytest.mark.parametrize("clip, project, expected", [
    ("Rec.709 Gamma 2.4", "", "Gamma 2.4 Encoded Rec.709"),
    ("Linear", "", "Linear Rec.709 (sRGB)"),
    ("sRGB", "", "sRGB Encoded Rec.709 (sRGB)"),
    ("ACEScg", "", "ACEScg"),
    ("Project", "Rec.709 Gamma 2.4", "Gamma 2.4 Encoded Rec.709"),
    ("", "ARRI LogC4", "ARRI LogC4"),
    ("", "", None),
])
def test_resolve_input_colour_space_becomes_an_ocio_name(clip, project, expected) -> None:
    media = FakeMedia({"File Path": "/p/sh010.[1001-1010].exr", "Input Color Space": clip})
    resolve = FakeResolve(FakeItem(media), {"colorSpaceInput": project})
    plate = fp_resolve.clip_plate(FakeItem(media), resolve.manager.GetCurrentProject(),
                                  environ={})
    assert plate["colorspace"] == expected
    forced = fp_resolve.clip_plate(FakeItem(media), None,
                                   environ={"FACEPLATE_COLORSPACE": "ACES2065-1"})
    assert forced["colorspace"] == "ACES2065-1"


def test_resolve_takes_the_frames_the_clip_uses(tmp_path: Path) -> None:
    media = FakeMedia({"File Path": "/p/sh010.[1001-1048].exr"})
    plate = fp_resolve.clip_plate(FakeItem(media, left=8, duration=24), environ={})
    assert (plate["file"], plate["first"], plate["last"]) == ("/p/sh010.####.exr", 1009, 1032)
    whole = fp_resolve.clip_plate(FakeItem(media, left=0, duration=48), environ={})
    assert (whole["first"], whole["last"]) == (1001, 1048)
    status = fp_resolve.main(FakeResolve(FakeItem(media, left=60, duration=5)),
                             {"FACEPLATE_SOURCES": str(OBAMA)})
    assert status == "Faceplate: clip: the clip uses no frame of its media (1001-1048)"


@pytest.mark.slow
def test_resolve_script_swaps_the_used_frames_and_brings_back_result_and_matte(
        tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    media = FakeMedia({"File Path": str(shot.folder / "plates" / "tst010.[1001-1003].exr"),
                       "Input Color Space": PLATE_COLORSPACE})
    resolve = FakeResolve(FakeItem(media, left=1, duration=2))
    source = tmp_path / "face.jpg"
    shutil.copyfile(OBAMA, source)
    said: list[str] = []
    status = fp_resolve.main(resolve, {"FACEPLATE_SOURCES": str(source),
                                       "FACEPLATE_OUT": str(tmp_path / "out")}, said.append)
    assert status == "Faceplate: done (1 item(s))"
    assert resolve.imported == [
        {"FilePath": str(tmp_path / "out" / "tst010_fp.%04d.exr"), "StartIndex": 1002,
         "EndIndex": 1003}]
    assert resolve.mattes == [("clip0", [str(tmp_path / "out" /
                                             "tst010_fp_matte.[1002-1003].exr")])]
    assert said[-1] == "Faceplate: render 2/2 (frame 1003)"
    assert "Faceplate: analyse 2/2 (frame 1003)" in said
    assert (tmp_path / "out" / "tst010_fp.1002.exr").is_file()
    assert not (tmp_path / "out" / "tst010_fp.1001.exr").exists()


def test_resolve_refuses_a_clip_that_is_not_a_sequence(tmp_path: Path) -> None:
    resolve = FakeResolve(FakeItem(FakeMedia({"File Path": "/media/interview.mov"})))
    status = fp_resolve.main(resolve, {"FACEPLATE_SOURCES": str(OBAMA)})
    assert status == "Faceplate: clip: not an image sequence: /media/interview.mov"


def _clip_spec(folder: Path, frames: tuple[int, int] = (1001, 1003), *,
               matte: bool = True) -> Path:
    """A host clip's spec saved in ``folder`` (its files need not exist to be read back)."""
    data = spec_for_clip(shot="sh010", plate=str(folder / "sh010.%04d.exr"), first=frames[0],
                         last=frames[1], colorspace="ACEScg", sources=[str(OBAMA)],
                         out_dir=folder / "out")
    if not matte:
        del data["output"]["matte"]
    return save_spec(data, folder / "sh010.yaml")


@pytest.fixture
def studio_farm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """A farm plugin named ``studio`` and ``acme`` (a plugin file on ``$FACEPLATE_PLUGIN_PATH``;
    the names sort after and before ``local``) that records each plan it is given and answers
    one job id; returns the list of plans."""
    source = tmp_path / "studio_farm_plugin.py"
    source.write_text("submitted = []\n\n\ndef submit(plan, target, *, dry_run=False):\n"
                      "    submitted.append(plan)\n    return ['job-7']\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("studio_farm_plugin", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "studio_farm_plugin", module)  # this test's alone
    plugins = tmp_path / "plugins.json"
    farms = dict.fromkeys(("studio", "acme"), "studio_farm_plugin:submit")
    plugins.write_text(json.dumps({"faceplate.farms": farms}), encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(plugins))
    submitted: list[Any] = module.submitted
    return submitted


@pytest.mark.parametrize("root, environ, expected", [
    # Nuke before 14 has no colorManagement knob: its OCIO config is a custom one
    ({"OCIO_config": "aces_1.2", "customOCIOConfigPath": FileKnob("/studio/aces.ocio")},
     {}, fp_nuke.ProjectColour("/studio/aces.ocio")),
    ({}, {"OCIO": "/env/config.ocio"}, fp_nuke.ProjectColour("/env/config.ocio")),
    ({"colorManagement": Knob(" OCIO ")}, {}, fp_nuke.ProjectColour(None)),
    ({"colorManagement": "OCIO", "OCIO_config": FileKnob("[x]", evaluated="nuke-default ")},
     {"OCIO": "/env/config.ocio"}, fp_nuke.ProjectColour(nuke_default=True)),
    ({"colorManagement": "Nuke"}, {}, fp_nuke.ProjectColour(nuke_default=True))])
def test_the_projects_colour_management(root, environ, expected) -> None:
    assert fp_nuke.project_colour(FakeNuke([], [], root=root), environ=environ) == expected


def test_the_projects_colour_falls_back_to_ocio_in_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCIO", "/env/config.ocio")
    assert fp_nuke.project_colour(FakeNuke([], [], root={})) == \
        fp_nuke.ProjectColour("/env/config.ocio")
    assert fp_nuke.ProjectColour().ocio_name(" default (ACEScg) ") == "ACEScg"


@pytest.mark.parametrize("answers", [["face.jpg", ""], ["", "/studio/out"], ["", ""]])
def test_a_cancelled_file_dialog_does_nothing(answers, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    read = FakeRead(file=str(tmp_path / "p.%04d.exr"), first=1, last=2, colorspace="")
    nuke = FakeNuke(read, list(answers))
    assert fp_nuke.swap_selected(nuke) is None
    assert nuke.calls == [] and list(tmp_path.iterdir()) == []
    assert fp_nuke.submit_selected(FakeNuke(read, list(answers))) == []


def test_the_results_are_read_back_beside_the_source_read(tmp_path: Path) -> None:
    nuke = FakeNuke([], [])
    values = {"first": 1001, "last": 1003, "colorspace": "default (ACEScg)", "xpos": 100,
              "ypos": 50}
    reads = fp_nuke.create_reads(nuke, values, _clip_spec(tmp_path))
    out = tmp_path / "out"
    assert nuke.created == [
        {"file": str(out / "sh010_fp.####.exr"), "first": 1001, "last": 1003,
         "colorspace": "ACEScg"},
        {"file": str(out / "sh010_fp_matte.####.exr"), "first": 1001, "last": 1003,
         "raw": True}]
    assert [read.pos for read in reads] == [(210, 50), (320, 50)]
    alone = FakeNuke([], [])
    values["colorspace"] = ""                  # from the file: no colorspace knob set
    (read,) = fp_nuke.create_reads(alone, values, _clip_spec(tmp_path / "b", matte=False))
    assert alone.created == [{"file": str(tmp_path / "b" / "out" / "sh010_fp.####.exr"),
                              "first": 1001, "last": 1003}]
    assert read.pos == (210, 50)


def test_a_failed_run_in_the_background_is_one_message(tmp_path: Path) -> None:
    nuke = FakeNuke([], [])
    started = fp_nuke.run_in_background(nuke, {}, tmp_path / "gone.yaml",
                                        start=lambda work: (work(), "started")[1])
    assert started == "started"
    (text,) = nuke.messages()
    assert text.startswith("Faceplate: ") and "gone.yaml" in text
    assert nuke.calls[0] == ("ProgressTask", "Faceplate")
    assert ("executeInMainThread", "message") in nuke.calls
    assert ("executeInMainThread", "create_reads") not in nuke.calls


@pytest.mark.parametrize("farm", ["studio", "acme"])
def test_nuke_submits_to_the_farm_chosen(farm, tmp_path: Path, colour, studio_farm) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    read = FakeRead(file=str(shot.folder / "plates" / "tst010.####.exr"), first=1001, last=1002,
                    colorspace=PLATE_COLORSPACE)
    nuke = FakeNuke(read, [str(OBAMA), str(tmp_path / "out")])
    assert fp_nuke.submit_selected(nuke, farm=farm) == ["job-7"]
    assert nuke.messages() == ["Faceplate: submitted job-7"]
    (plan,) = studio_farm
    assert plan.shot == "tst010"


def test_qt_falls_back_to_pyside2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "PySide2").mkdir()                       # a stand-in of Nuke 15's Qt
    (tmp_path / "PySide2" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "PySide2" / "QtWidgets.py").write_text("NAME = 'PySide2'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("PySide2", "PySide2.QtWidgets"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert importlib.util.find_spec("PySide6") is None
    assert fp_nuke.qt().NAME == "PySide2"


@pytest.mark.parametrize("left, duration, used", [
    (0, 1, (1001, 1001)), (47, 1, (1048, 1048)), (47, 5, (1048, 1048)), (0, 48, (1001, 1048)),
    (3, 100, (1004, 1048)), (48, 5, None), (0, 0, None), (10, -3, None)])
def test_the_frames_a_clip_uses(left, duration, used) -> None:
    item = FakeItem(FakeMedia({}), left=left, duration=duration)
    if used is None:
        with pytest.raises(SpecError, match=r"^clip: the clip uses no frame of its media "
                                            r"\(1001-1048\)$"):
            fp_resolve.used_range(item, 1001, 1048)
    else:
        assert fp_resolve.used_range(item, 1001, 1048) == used


def test_a_resolve_colour_space_the_table_lacks_passes_through() -> None:
    media = FakeMedia({"File Path": "/p/sh010.[1001-1010].exr",
                       "Input Color Space": "Studio Log v3"})
    assert fp_resolve.clip_plate(FakeItem(media), None, environ={})["colorspace"] == \
        "Studio Log v3"
    with pytest.raises(SpecError, match="^clip: the current timeline item has no media$"):
        fp_resolve.clip_plate(FakeItem(None), None, environ={})  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern, first, last, named", [
    ("/out/sh_fp_matte.####.exr", 1001, 1048, "/out/sh_fp_matte.[1001-1048].exr"),
    ("/out/sh_fp_matte.######.exr", 7, 12, "/out/sh_fp_matte.[000007-000012].exr"),
    ("/out/sh_fp_matte.%02d.exr", 7, 12, "/out/sh_fp_matte.[07-12].exr"),
    ("/out/sh_fp_matte.#.exr", 7, 12, "/out/sh_fp_matte.[7-12].exr")])
def test_a_sequence_as_resolve_names_it(pattern, first, last, named) -> None:
    assert fp_resolve.resolve_sequence(SequencePath(pattern), first, last) == named


class RefusingStorage:
    def AddClipMattesToMediaPool(self, clip: Any, paths: list[str]) -> bool:
        return False


def test_resolve_imports_the_result_and_attaches_its_matte(tmp_path: Path) -> None:
    resolve = FakeResolve(FakeItem(FakeMedia({})))
    pool = resolve.manager.GetCurrentProject().GetMediaPool()
    assert fp_resolve.import_results(resolve, pool, _clip_spec(tmp_path)) == ["clip0"]
    out = tmp_path / "out"
    assert resolve.imported == [{"FilePath": str(out / "sh010_fp.%04d.exr"),
                                 "StartIndex": 1001, "EndIndex": 1003}]
    assert resolve.mattes == [("clip0", [str(out / "sh010_fp_matte.[1001-1003].exr")])]
    bare = FakeResolve(FakeItem(FakeMedia({})))
    spec = _clip_spec(tmp_path / "b", matte=False)
    assert fp_resolve.import_results(bare, pool, spec) == ["clip0"] and bare.mattes == []

    class Refused(FakeResolve):
        def GetMediaStorage(self) -> Any:
            return RefusingStorage()
    with pytest.raises(FaceplateError, match=r"^Resolve did not add the matte .*"
                                             r"sh010_fp_matte\.\[1001-1003\]\.exr to the "):
        fp_resolve.import_results(Refused(FakeItem(FakeMedia({}))), pool, _clip_spec(tmp_path))

    class Empty:
        def ImportMedia(self, items: list[Any]) -> list[Any]:
            return []
    with pytest.raises(FaceplateError, match="^Resolve imported nothing from "):
        fp_resolve.import_results(resolve, Empty(), _clip_spec(tmp_path))


def test_resolve_says_its_progress_at_every_tenth_of_a_stage() -> None:
    said: list[str] = []
    report = fp_resolve._progress(said.append)
    for done in range(1, 26):
        report(Progress("render", done, 25, 1000 + done))
    # a tenth of 25 frames is 2.5: the first frame past each tenth, and the last
    assert said == [f"Faceplate: render {done}/25 (frame {1000 + done})"
                    for done in (3, 5, 8, 10, 13, 15, 18, 20, 23, 25)]
    said.clear()
    for done in range(1, 5):
        report(Progress("analyse", done, 4, done))
    assert [line.split()[2] for line in said] == ["1/4", "2/4", "3/4", "4/4"]


def test_resolve_submits_to_the_farm_chosen(tmp_path: Path, colour, studio_farm) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    media = FakeMedia({"File Path": str(shot.folder / "plates" / "tst010.[1001-1003].exr")})
    resolve = FakeResolve(FakeItem(media, left=1, duration=2))
    status = fp_resolve.main(resolve, {"FACEPLATE_SOURCES": str(OBAMA), "FACEPLATE_FARM": "studio",
                                       "FACEPLATE_OUT": str(tmp_path / "out")})
    assert status == "Faceplate: done (1 item(s))"
    (plan,) = studio_farm
    assert plan.chunks == ((1002, 1003),) and plan.spec == tmp_path / "out" / "tst010.yaml"
    assert resolve.imported == [] and not (tmp_path / "out" / "tst010_fp.1002.exr").exists()
    assert load_spec(tmp_path / "out" / "tst010.yaml").plate.frames == (1002, 1003)


def test_resolve_says_what_is_missing_on_one_line() -> None:
    resolve = FakeResolve(FakeItem(FakeMedia({})))
    assert fp_resolve.main(resolve, {}) == \
        "Faceplate: FACEPLATE_SOURCES: set FACEPLATE_SOURCES to the source face image(s)"
    assert fp_resolve.resolve_app(resolve) is resolve
