"""The model registry: search path, sha256 before load, licence policy, one session per model,
provider fallback, the ``faceplate models`` commands, and real files when they are present."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import identity_onnx

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from onnx import TensorProto, helper  # noqa: E402

from faceplate.cli import main  # noqa: E402
from faceplate.errors import LicenceRefusedError, ModelHashError, ModelNotFoundError  # noqa: E402
from faceplate.models.files import search_path  # noqa: E402
from faceplate.models.manifest import load_manifest  # noqa: E402
from faceplate.models.policy import config_path, load_policy  # noqa: E402
from faceplate.models.runtime import ModelRegistry, RuntimeOptions  # noqa: E402


def _manifest(sha: str | None):
    """gfpgan_1.4's entry for the 4x4 identity model the tests build (its contract's size)."""
    entry = dataclasses.replace(load_manifest()["gfpgan_1.4"], sha256=sha, size=4)
    return {"gfpgan_1.4": entry}


def test_pinned_hash_loads_once_and_reports_the_provider(tmp_path):
    sha = identity_onnx(tmp_path / "gfpgan_1.4.onnx")
    reg = ModelRegistry(_manifest(sha), model_dirs=[tmp_path],
                        options=RuntimeOptions(providers=("cuda", "cpu"), intra_op_threads=1))
    first = reg.session("gfpgan_1.4")
    assert reg.session("gfpgan_1.4") is first
    assert reg.providers_used() == {"gfpgan_1.4": first.provider}
    assert first.provider in ("CUDAExecutionProvider", "CPUExecutionProvider")
    assert first.status.state == "found" and first.batched("input")


def test_hash_mismatch_refuses_to_load(tmp_path):
    identity_onnx(tmp_path / "gfpgan_1.4.onnx")
    reg = ModelRegistry(_manifest("0" * 64), model_dirs=[tmp_path])
    with pytest.raises(ModelHashError) as err:
        reg.session("gfpgan_1.4")
    assert err.value.path == str(tmp_path / "gfpgan_1.4.onnx") and err.value.exit_code == 4
    assert reg.providers_used() == {}


def test_missing_file_names_the_search_path(tmp_path):
    reg = ModelRegistry(_manifest(None), model_dirs=[tmp_path], )
    with pytest.raises(ModelNotFoundError, match="gfpgan_1.4.onnx"):
        reg.session("gfpgan_1.4")


def test_licence_policy_refuses_with_the_licence_named(tmp_path):
    identity_onnx(tmp_path / "gfpgan_1.4.onnx")
    config = tmp_path / "faceplate.yaml"
    config.write_text("allow_licences: [MIT, BSD-3-Clause]\n")
    assert config_path({"FACEPLATE_CONFIG": str(config)}) == config
    policy = load_policy(config)
    reg = ModelRegistry(_manifest(None), model_dirs=[tmp_path], policy=policy)
    with pytest.raises(LicenceRefusedError, match="Apache-2.0") as err:
        reg.session("gfpgan_1.4")
    assert err.value.licence == "Apache-2.0"
    config.write_text("allow_licences: [Apache-2.0]\n")
    ok = ModelRegistry(_manifest(None), model_dirs=[tmp_path], policy=load_policy(config))
    assert ok.session("gfpgan_1.4").status.state == "no pinned hash"


def test_search_path_order(tmp_path):
    env = {"FACEPLATE_MODEL_PATH": os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])}
    assert search_path([tmp_path / "cli"], env) == [tmp_path / "cli", tmp_path / "a",
                                                    tmp_path / "b"]


def test_manifest_records_licences_for_every_model_including_the_default_pack():
    manifest = load_manifest()
    assert {"mediapipe-face-detection-full-range", "mediapipe-face-detection-short-range",
            "mediapipe-face-mesh", "mediapipe-iris", "dlib-hog", "dlib-68",
            "dlib-resnet-descriptor", "inswapper_128"} <= set(manifest)
    assert all(e.licence for e in manifest.values())
    assert not manifest["dlib-68"].commercial_use  # its training set excludes commercial use
    assert not manifest["inswapper_128"].commercial_use
    assert manifest["mediapipe-face-mesh"].commercial_use


def test_models_cli_list_and_verify(tmp_path, monkeypatch):
    sha = identity_onnx(tmp_path / "gfpgan_1.4.onnx")
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    row = ("models:\n  - {{id: gfpgan_1.4, family: gfpgan, role: enhancer, file: gfpgan_1.4.onnx,"
           " sha256: {}, licence: Apache-2.0}}\n")
    good.write_text(row.format(sha))
    bad.write_text(row.format("f" * 64))
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "none.yaml"))
    runner = CliRunner()
    listed = runner.invoke(main, ["models", "list", "--model-dir", str(tmp_path),
                                  "--manifest", str(bad)])
    assert listed.exit_code == 0 and "hash mismatch" in listed.output and \
        "Apache-2.0" in listed.output
    assert runner.invoke(main, ["models", "verify", "--model-dir", str(tmp_path),
                                "--manifest", str(good)]).exit_code == 0
    failed = runner.invoke(main, ["models", "verify", "--model-dir", str(tmp_path),
                                  "--manifest", str(bad)])
    assert failed.exit_code == 4


def test_importing_the_cli_stays_light():
    code = ("import sys, faceplate.cli; "
            "print(sorted({'onnxruntime', 'onnx', 'torch'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


_REAL = [e for e in load_manifest().values() if e.format == "onnx"]


@pytest.mark.parametrize("entry", _REAL, ids=[e.id for e in _REAL])
def test_real_model_file_matches_its_contract(entry):
    reg = ModelRegistry(options=RuntimeOptions(providers=("cpu",)))
    from faceplate.models.files import locate
    if locate(entry, reg.dirs) is None:
        pytest.skip(f"{entry.file} is not on FACEPLATE_MODEL_PATH")
    session = reg.session(entry.id)
    assert set(entry.inputs) <= set(session.input_shapes)
    if entry.extra.get("source_embedding") == "emap":
        assert session.initializers[-1].shape == (512, 512)


def _conv_enhancer(path: Path) -> None:
    """A small real network with GPEN's contract: Conv-ReLU-Conv-Tanh, random weights."""
    from onnx import numpy_helper
    rng = np.random.default_rng(4)
    w1 = rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (3, 8, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["input", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Conv", ["b", "w2"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Tanh", ["c"], ["output"])]
    f = TensorProto.FLOAT
    graph = helper.make_graph(nodes, "enh",
                              [helper.make_tensor_value_info("input", f, ["N", 3, 512, 512])],
                              [helper.make_tensor_value_info("output", f, ["N", 3, 512, 512])],
                              initializer=[numpy_helper.from_array(w1, "w1"),
                                           numpy_helper.from_array(w2, "w2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def test_torch_backend_matches_onnxruntime(tmp_path):
    pytest.importorskip("onnx2torch", reason="the torch extra is not installed (pip install "
                        "'faceplate[torch]'; onnx2torch needs torchvision, a multi-GB CUDA torch "
                        "build from PyPI)")
    from faceplate.models.adapters import adapter_for
    from faceplate.models.align import TEMPLATES
    _conv_enhancer(tmp_path / "gpen_bfr_512.onnx")
    frame = np.random.default_rng(0).random((600, 600, 3), dtype=np.float32)
    faces = [TEMPLATES["ffhq_512"] * 300 + 100, TEMPLATES["ffhq_512"] * 250 + 150]
    outs = []
    for backend in ("onnxruntime", "torch"):
        reg = ModelRegistry({"gpen_bfr_512": load_manifest()["gpen_bfr_512"]},
                            model_dirs=[tmp_path],
                            options=RuntimeOptions(providers=("cpu",), backend=backend))
        enhanced = adapter_for(reg, "gpen_bfr_512").enhance(frame, faces, blend=1.0)
        outs.append(np.stack([f.crop for f in enhanced]))
        assert reg.providers_used()["gpen_bfr_512"] == (
            "CPUExecutionProvider" if backend == "onnxruntime" else "torch:cpu")
    assert outs[0].std() > 0.05  # the network does something
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-4)
