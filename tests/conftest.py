"""Shared fixtures: a pinned OCIO config, and small real shots built from the
public-domain portraits (NASA's astronaut plate, US government portraits as sources)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import pytest
from skip_policy import (  # noqa: F401  (hooks: every skip listed, CI allows only listed ones)
    pytest_make_collect_report,
    pytest_report_header,
    pytest_runtest_makereport,
)

from faceplate.demo.build import PLATE_COLORSPACE, SOURCE_COLORSPACE, render_plate
from faceplate.frames import parse_frames
from faceplate.ocio import PINNED_CONFIG, ColourManager
from faceplate.ocio.config import ConfigChoice, load_config
from faceplate.spec import save_spec, spec_data

DATA = Path(__file__).parent / "data"
OBAMA = Path(str(resources.files("faceplate.demo") / "data" / "obama.jpg"))
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True, scope="session")
def no_personal_studio_config(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The tests see faceplate's defaults, not a studio config or model lock of the machine
    they run on (a test that needs one sets its own)."""
    folder = tmp_path_factory.mktemp("studio")
    os.environ["FACEPLATE_CONFIG"] = str(folder / "faceplate.yaml")
    os.environ["FACEPLATE_MODEL_LOCK"] = str(folder / "models.lock.yaml")


@pytest.fixture(scope="session")
def colour() -> ColourManager:
    choice = ConfigChoice(PINNED_CONFIG, "spec")
    return ColourManager(load_config(choice), choice)


def spec_dict(**overrides: Any) -> dict[str, Any]:
    """A valid spec (paths relative to the shot folder) with top-level keys replaced."""
    spec = spec_data(shot="tst010", plate="plates/tst010.####.exr", frames="1001-1008",
                     plate_colorspace=PLATE_COLORSPACE, ocio=PINNED_CONFIG,
                     sources={"actor_a": {"images": ["refs/actor_a.jpg"],
                                          "colorspace": SOURCE_COLORSPACE}},
                     output="out/tst010_fp.####.exr", matte="out/tst010_fp_matte.####.exr",
                     qc="out/qc")
    spec.update(overrides)
    return spec


def write_spec(folder: Path, spec: dict[str, Any]) -> Path:
    return save_spec(spec, folder / "shot.yaml")


def read_pixels(path: Path | str, part: int = 0, fmt: Any = oiio.UNKNOWN) -> np.ndarray:
    """Every channel of subimage ``part`` of an image, (height, width, channels), in the file's
    own type (``fmt`` converts, e.g. ``oiio.FLOAT``)."""
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    try:
        assert inp.seek_subimage(part, 0), f"{path} has no part {part}"
        spec = inp.spec()
        pixels = inp.read_image(part, 0, 0, spec.nchannels, fmt)
    finally:
        inp.close()
    return np.asarray(pixels).reshape(spec.height, spec.width, spec.nchannels)


def identity_onnx(path: Path, name: str = "input") -> str:
    """A tiny ONNX model passing its (N, 3, 4, 4) float input ``name`` through as ``output``,
    saved to ``path``; its file's sha256."""
    from onnx import TensorProto, helper
    shape = ["N", 3, 4, 4]
    save_onnx(path, [helper.make_node("Identity", [name], ["output"])],
              [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)],
              [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_onnx(path: Path, nodes: list[Any], inputs: list[Any], outputs: list[Any],
              inits: Any = ()) -> None:
    """A tiny ONNX model (opset 17, IR 8), checked, saved to ``path`` (needs the test extra's
    onnx)."""
    import onnx
    from onnx import helper
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def read_header(path: Path | str, part: int = 0) -> oiio.ImageSpec:
    """The header of subimage ``part`` of an image."""
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    try:
        assert inp.seek_subimage(part, 0), f"{path} has no part {part}"
        return oiio.ImageSpec(inp.spec())
    finally:
        inp.close()


@dataclass
class Shot:
    """A test shot on disk."""

    folder: Path
    spec_path: Path
    frames: list[int]

    def plate(self, frame: int) -> Path:
        return self.folder / "plates" / f"tst010.{frame:04d}.exr"

    def output(self, frame: int) -> Path:
        return self.folder / "out" / f"tst010_fp.{frame:04d}.exr"

    def matte(self, frame: int) -> Path:
        return self.folder / "out" / f"tst010_fp_matte.{frame:04d}.exr"

    @property
    def qc_json(self) -> Path:
        return self.folder / "out" / "qc" / "qc.json"


def make_shot(folder: Path, colour: ColourManager, frames: str = "1001-1008", *,
              overscan: int = 16, depth_channel: bool = True, **overrides: Any) -> Shot:
    """Render a real plate (astronaut with a camera move, overscan, a depth AOV) and its spec."""
    folder.mkdir(parents=True, exist_ok=True)
    frame_list = parse_frames(frames)
    render_plate(colour, folder / "plates" / "tst010.####.exr", frame_list, size=(640, 360),
                 overscan=overscan, depth_channel=depth_channel)
    (folder / "refs").mkdir(exist_ok=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    spec = spec_dict(**overrides)
    spec["plate"]["frames"] = frames
    return Shot(folder, write_spec(folder, spec), frame_list)


def record_frames(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Wrap ``module.name`` (a function whose second argument is a frame number) so each call's
    frame is appended to the returned list; the function still runs."""
    frames: list[int] = []
    real = getattr(module, name)

    def recorded(first: Any, frame: int, *args: Any, **kwargs: Any) -> Any:
        frames.append(frame)
        return real(first, frame, *args, **kwargs)
    monkeypatch.setattr(module, name, recorded)
    return frames


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``faceplate`` console script for real."""
    exe = shutil.which("faceplate", path=str(BIN)) or shutil.which("faceplate")
    assert exe, "the faceplate console script is not installed"
    env = {k: v for k, v in os.environ.items() if k != "OCIO"}
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def tool(name: str) -> str:
    """An OpenImageIO command-line tool (oiiotool, idiff) from the installed wheel."""
    exe = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} not found: it ships in the OpenImageIO wheel")
    return exe


def oiiotool(*args: object) -> None:
    """Run oiiotool from the OpenImageIO wheel; fail the test if it fails."""
    subprocess.run([tool("oiiotool"), *map(str, args)], check=True, capture_output=True)


def header_lines(path: Path, ignore: tuple[str, ...] = ("faceplate/", "ImageDescription")
                 ) -> list[str]:
    """``oiiotool --info -v -a`` lines of every part, without the file name lines and the
    attributes faceplate adds."""
    text = subprocess.run([tool("oiiotool"), "--info", "-v", "-a", str(path)], check=True,
                          capture_output=True, text=True).stdout
    lines = [line.strip() for line in text.splitlines()[2:]]
    return [line for line in lines if not line.startswith(ignore)]


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def chromium_path() -> str:
    """Debian's Chromium (``.ci/run`` installs it); the test skips, saying so, without it."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine (Debian package chromium): browser test skipped")


@pytest.fixture
def browser_page(tmp_path):
    """A page of a real headless Chromium (Debian's, driven through Playwright) with a fresh
    profile, 1400×1000."""
    exe = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=exe, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
