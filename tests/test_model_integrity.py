"""Model integrity and the licence policy, through the real CLI: a file must be a loadable model
of its declared contract (pinned hash or not), the studio's lock (``faceplate models pin``) is
enforced before anything loads or is written, and non-commercial licences are refused unless
the studio allows them by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from conftest import make_shot, run_cli, save_onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from faceplate.errors import ModelError  # noqa: E402
from faceplate.models.contracts import check_onnx  # noqa: E402
from faceplate.models.files import sha256_of  # noqa: E402
from faceplate.models.manifest import load_manifest  # noqa: E402

F = TensorProto.FLOAT


def _inswapper(path: Path, *, target: str = "target", out_size: int = 128) -> None:
    """inswapper_128's contract (unless told otherwise): target (N, 3, 128, 128) and source
    (N, 512) in, an image out; output = target resized to ``out_size``."""
    nodes = [helper.make_node("Identity", ["source"], ["s"]),
             helper.make_node("Resize", [target, "", "scales"], ["output"], mode="nearest")]
    scales = onnx.numpy_helper.from_array(np.float32([1, 1, out_size / 128, out_size / 128]),
                                          "scales")
    save_onnx(path, nodes,
              [helper.make_tensor_value_info(target, F, ["N", 3, 128, 128]),
               helper.make_tensor_value_info("source", F, ["N", 512])],
              [helper.make_tensor_value_info("output", F, ["N", 3, out_size, out_size]),
               helper.make_tensor_value_info("s", F, ["N", 512])], [scales])


def _config(folder: Path, monkeypatch, text: str) -> Path:
    config = folder / "faceplate.yaml"
    config.write_text(text)
    monkeypatch.setenv("FACEPLATE_CONFIG", str(config))
    return config


@pytest.fixture()
def studio(tmp_path: Path, monkeypatch) -> Path:
    """A studio folder: config allowing inswapper_128 by name, and a lock path beside it."""
    folder = tmp_path / "studio"
    folder.mkdir()
    _config(folder, monkeypatch, "allow_models: [inswapper_128, arcface_w600k_r50]\n")
    monkeypatch.setenv("FACEPLATE_MODEL_LOCK", str(folder / "models.lock.yaml"))
    return folder


def _verify(models: Path):
    return run_cli("models", "verify", "--model-dir", str(models))


# --- contracts -----------------------------------------------------------------------------

def test_a_garbage_file_named_like_a_model_is_refused_by_verify_and_by_a_run(tmp_path, colour,
                                                                           studio):
    models = tmp_path / "models"
    models.mkdir()
    (models / "inswapper_128.onnx").write_bytes(np.random.default_rng(5).bytes(20000))
    checked = _verify(models)
    assert checked.returncode == 4, checked.stdout + checked.stderr
    assert "inswapper_128: REFUSED" in checked.stdout
    assert "not a loadable ONNX model" in checked.stdout
    shot = make_shot(tmp_path / "shot", colour, "1001",
                     models={"swapper": "inswapper_128", "providers": ["cpu"],
                             "model_dirs": [str(models)]})
    run = run_cli("run", str(shot.spec_path))
    assert run.returncode == 4 and "inswapper_128.onnx" in run.stderr
    assert not (shot.folder / "out").exists()


def test_a_model_with_another_input_name_is_refused(tmp_path):
    _inswapper(tmp_path / "inswapper_128.onnx", target="image")
    with pytest.raises(ModelError, match=r"inputs \['image', 'source'\], expected "
                                         r"\['source', 'target'\]"):
        check_onnx(load_manifest()["inswapper_128"], tmp_path / "inswapper_128.onnx")
    checked = _verify(tmp_path)
    assert checked.returncode == 4 and "does not match its contract" in checked.stdout


def test_a_model_with_another_output_shape_is_refused(tmp_path):
    _inswapper(tmp_path / "inswapper_128.onnx", out_size=64)
    with pytest.raises(ModelError, match=r"output 0 has shape \[\?, 3, 64, 64\], expected "
                                         r"\[\?, 3, 128, 128\]"):
        check_onnx(load_manifest()["inswapper_128"], tmp_path / "inswapper_128.onnx")
    _inswapper(tmp_path / "inswapper_128.onnx")  # the same file with the contract's shape
    check_onnx(load_manifest()["inswapper_128"], tmp_path / "inswapper_128.onnx")
    assert _verify(tmp_path).returncode == 0


# --- the studio's lock ---------------------------------------------------------------------

def test_pinned_then_modified_stops_before_anything_is_written(tmp_path, colour, studio):
    models = tmp_path / "models"
    models.mkdir()
    _inswapper(models / "inswapper_128.onnx")
    pinned = run_cli("models", "pin", "--model-dir", str(models))
    assert pinned.returncode == 0, pinned.stderr
    lock = yaml.safe_load((studio / "models.lock.yaml").read_text())
    approved = sha256_of(models / "inswapper_128.onnx")
    assert lock["models"]["inswapper_128"] == {"file": "inswapper_128.onnx", "sha256": approved}
    assert "mediapipe-face-mesh" in lock["models"]  # the shipped files are locked too
    assert _verify(models).returncode == 0
    _inswapper(models / "inswapper_128.onnx", out_size=128)
    with (models / "inswapper_128.onnx").open("ab") as fh:  # a loadable file, other bytes
        fh.write(b"\0")
    found = sha256_of(models / "inswapper_128.onnx")
    checked = _verify(models)
    assert checked.returncode == 4
    assert approved in checked.stdout and found in checked.stdout
    shot = make_shot(tmp_path / "shot", colour, "1001",
                     models={"swapper": "inswapper_128", "providers": ["cpu"],
                             "model_dirs": [str(models)]})
    run = run_cli("run", str(shot.spec_path))
    assert run.returncode == 4, run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert str(models / "inswapper_128.onnx") in line and approved in line and found in line
    assert "studio lock" in line
    assert not (shot.folder / "out").exists()


def test_the_lock_holds_the_default_pack_too(tmp_path, colour, studio):
    assert run_cli("models", "pin", "mediapipe-face-mesh").returncode == 0
    lock_file = studio / "models.lock.yaml"
    lock = yaml.safe_load(lock_file.read_text())
    lock["models"]["mediapipe-face-mesh"]["sha256"] = "0" * 64  # approved: another file
    lock_file.write_text(yaml.safe_dump(lock))
    shot = make_shot(tmp_path / "shot", colour, "1001")
    run = run_cli("run", str(shot.spec_path))
    assert run.returncode == 4
    assert "face_landmark.tflite" in run.stderr and "0" * 64 in run.stderr
    assert not (shot.folder / "out").exists()


def test_pin_refuses_a_file_that_is_not_a_model(tmp_path, studio):
    (tmp_path / "inswapper_128.onnx").write_bytes(b"not a model")
    pinned = run_cli("models", "pin", "inswapper_128", "--model-dir", str(tmp_path))
    assert pinned.returncode == 4 and "not pinned" in pinned.stderr
    assert not (studio / "models.lock.yaml").exists()


# --- the licence policy --------------------------------------------------------------------

def test_non_commercial_models_are_refused_unless_allowed_by_name(tmp_path, colour, monkeypatch):
    _config(tmp_path, monkeypatch, "{}\n")
    listed = run_cli("models", "list")
    row = next(r for r in listed.stdout.splitlines() if r.startswith("dlib-68 "))
    assert "iBUG 300-W" in row and "NOT for commercial use, REFUSED by policy" in row
    mesh = next(r for r in listed.stdout.splitlines() if r.startswith("mediapipe-face-mesh"))
    assert "Apache-2.0 (commercial use, allowed)" in mesh
    models = tmp_path / "models"
    models.mkdir()
    _inswapper(models / "inswapper_128.onnx")
    shot = make_shot(tmp_path / "shot", colour, "1001-1002",
                     models={"landmarker": "dlib-68", "detector": "dlib-hog",
                             "swapper": "inswapper_128", "providers": ["cpu"],
                             "model_dirs": [str(models)]})
    refused = run_cli("run", str(shot.spec_path))
    assert refused.returncode == 4
    lines = refused.stderr.strip().splitlines()
    for model, licence in (("dlib-68", "iBUG 300-W"), ("inswapper_128", "non-commercial"),
                           ("arcface_w600k_r50", "non-commercial")):
        assert any(line.startswith(f"ERROR: model {model}: licence") and licence in line
                   for line in lines), (model, lines)
    assert not (shot.folder / "out").exists()


def test_dlib_opt_in_runs_when_the_studio_allows_it(tmp_path, colour, monkeypatch):
    _config(tmp_path, monkeypatch, "allow_models: [dlib-68]\n")
    shot = make_shot(tmp_path / "shot", colour, "1001-1002",
                     models={"landmarker": "dlib-68", "detector": "dlib-hog"})
    run = run_cli("run", str(shot.spec_path))
    assert run.returncode == 0, run.stderr
    qc = json.loads(shot.qc_json.read_text())
    assert qc["models"] == ["dlib-hog", "dlib-68", "dlib-resnet-descriptor",
                            "faceplate-reference-warp"]
    assert all(r["status"] == "swapped" for r in qc["frames"])
    analysis = json.loads((shot.folder / "out" / "qc" / "cache" / "analysis.json").read_text())
    face = analysis["frames"][0]["faces"][0]
    assert np.array(face["landmarks"]).shape == (478, 3)  # 68 points made the dense mesh


def test_the_default_pack_is_checked_by_the_interpreters_it_runs(monkeypatch):
    """Each model is loaded once per process: resolving the shot's models loads (and checks)
    the pack's own four LiteRT models and its recognizer, and loads no other copy."""
    from faceplate.models.mediapipe.runner import TfliteModel
    from faceplate.pipeline.context import default_face_pack
    from faceplate.pipeline.shot_models import resolve_models
    from faceplate.spec import ModelsSpec

    loads: list[Path] = []
    load = TfliteModel._load

    def counted(self: TfliteModel) -> None:
        loads.append(self.path)
        load(self)
    monkeypatch.setattr(TfliteModel, "_load", counted)
    pack = default_face_pack()
    resolve_models(ModelsSpec(), pack)
    mine = [pack.full_range.model, pack.short_range.model, pack.mesh_model.model,
            pack.iris_model.model]
    assert sorted(loads) == sorted(m.path for m in mine)      # four loads, no second copy
    assert all(m._interpreter is not None for m in mine)      # ... and they are the pack's
    assert "_recognizer" in vars(pack.recognizer)              # the descriptor's model too
    pack.detect(np.zeros((64, 64, 3), np.uint8))
    assert len(loads) == 4                                     # first use loads nothing more
