"""Pre-flight and the shot's models, piece by piece (about a second): what a shot resolves
before anything is written (the plate's colourspace from the spec or the first readable frame,
the output's format against the plate's samples, the frame limits, the sources' colourspaces),
the ids, roles and licences of the models its ``models:`` section names, and onnxruntime's
sessions and providers. Plates are tiny EXRs written here by OpenImageIO; ONNX models are
tiny graphs built here; expected values are worked by hand from the spec and the manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from conftest import OBAMA, read_header, save_onnx, spec_dict, write_spec  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from faceplate.errors import (  # noqa: E402
    LicenceRefusedError,
    ModelError,
    ModelNotFoundError,
    PlateError,
    SpecError,
)
from faceplate.face.swapper import ReferenceSwapper  # noqa: E402
from faceplate.models.face_finder import FaceFinder  # noqa: E402
from faceplate.models.lock import ModelLock  # noqa: E402
from faceplate.models.manifest import ModelEntry, load_manifest  # noqa: E402
from faceplate.models.mediapipe import MediaPipeFacePack  # noqa: E402
from faceplate.models.policy import LicencePolicy  # noqa: E402
from faceplate.models.runtime import ModelRegistry, RuntimeOptions, _provider_list  # noqa: E402
from faceplate.pipeline import shot_models as sm  # noqa: E402
from faceplate.pipeline.context import RunContext  # noqa: E402
from faceplate.pipeline.preflight import Preflight, preflight  # noqa: E402
from faceplate.spec import ModelsSpec, ShotSpec, load_spec  # noqa: E402

F = TensorProto.FLOAT
TRT, CUDA, CPU = "TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"
PACK = ["mediapipe-face-detection-full-range", "mediapipe-face-detection-short-range",
        "mediapipe-face-mesh", "mediapipe-iris"]
DESCRIPTOR = "dlib-resnet-descriptor"

# --- pre-flight ------------------------------------------------------------------------------


def _plate(path: Path, *, channels: tuple[str, ...] = ("R", "G", "B"),
           display: tuple[int, int] = (8, 6), colourspace: str | None = "ACEScg") -> None:
    """A tiny half-float plate frame of ``channels``, its display window ``display``."""
    spec = oiio.ImageSpec(display[0], display[1], len(channels), oiio.HALF)
    spec.channelnames = channels
    if colourspace is not None:
        spec.attribute("oiio:ColorSpace", colourspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    out.write_image(np.zeros((display[1], display[0], len(channels)), np.float16))
    out.close()


def _spec(folder: Path, frames: str = "1001-1002", colourspace: str | None = None,
          **overrides: object) -> ShotSpec:
    """A spec of the tiny plate ``plates/p.####.exr`` in ``folder`` (its colourspace named
    only when ``colourspace`` is given)."""
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "actor_a.jpg").write_bytes(OBAMA.read_bytes())
    data = spec_dict(**overrides)
    data["plate"] = {"path": "plates/p.####.exr", "frames": frames}
    if colourspace is not None:
        data["plate"]["colorspace"] = colourspace
    return load_spec(write_spec(folder, data))


def _preflight(spec: ShotSpec) -> Preflight:
    return preflight(spec, RunContext.create(spec.ocio, environ={}), models=False)


def test_an_output_format_that_cannot_hold_the_plates_half_samples_is_refused(tmp_path) -> None:
    _plate(tmp_path / "plates" / "p.1001.exr")
    output = spec_dict()["output"]
    spec = _spec(tmp_path, "1001", output={**output, "path": "out/o.####.png"})
    with pytest.raises(SpecError, match="^output.path: .png files cannot hold the plate's half "
                                        "samples"):
        _preflight(spec)


def test_the_first_readable_frame_gives_the_colourspace_and_the_frame_limits(tmp_path) -> None:
    (tmp_path / "plates").mkdir()
    (tmp_path / "plates" / "p.1001.exr").write_bytes(b"not an exr")        # unreadable
    _plate(tmp_path / "plates" / "p.1003.exr", display=(10, 6), colourspace="lin_ap1")
    _plate(tmp_path / "plates" / "p.1004.exr", display=(12, 4), colourspace="ACES2065-1")
    pre = _preflight(_spec(tmp_path, "1001-1004"))                       # 1002 missing
    assert pre.plate_colourspace == pre.plate_space() == "ACEScg"         # lin_ap1's name
    assert pre.frame_limits.display == (10, 6) and pre.frame_limits.max_bytes >= 1
    named = _preflight(_spec(tmp_path, "1001-1004", "ACES2065-1"))
    assert named.plate_colourspace == "ACES2065-1"                         # the spec's first


def test_with_no_readable_frame_the_plate_is_unknown_and_each_frame_keeps_its_own_limits(
        tmp_path) -> None:
    (tmp_path / "plates").mkdir()
    (tmp_path / "plates" / "p.1001.exr").write_bytes(b"not an exr")
    pre = _preflight(_spec(tmp_path, "1001-1002"))
    assert pre.plate_colourspace is None and pre.frame_limits.display is None
    assert pre.models is None and pre.compression is None
    with pytest.raises(PlateError, match="^plate colourspace unknown: no plate frame could be "
                                         "read"):
        pre.plate_space()
    with pytest.raises(RuntimeError, match="pre-flight made without models"):
        pre.shot_models()


def test_the_sources_colourspaces_compression_and_models_are_resolved(tmp_path) -> None:
    _plate(tmp_path / "plates" / "p.1001.exr")
    output = spec_dict()["output"]
    spec = _spec(tmp_path, "1001",
                 sources={"a": {"images": ["refs/actor_a.jpg"], "colorspace": "lin_ap1"},
                          "b": {"images": ["refs/actor_a.jpg"]}},
                 swaps=[{"source": "a", "target": "largest"}],
                 output={**output, "compression": "dwaa:45"})
    ctx = RunContext.create(spec.ocio, environ={})
    pre = preflight(spec, ctx, load_models=False)
    assert dict(pre.source_colourspaces) == {"a": "ACEScg", "b": None}
    assert pre.compression == "dwaa:45"
    assert pre.shot_models().ids == (*PACK, DESCRIPTOR, "faceplate-reference-warp")
    assert pre.shot_models().faces is ctx.face_pack


def test_the_models_are_loaded_unless_told_not_to(tmp_path, monkeypatch) -> None:
    (tmp_path / "faceplate.yaml").write_text("allow_models: [inswapper_128, arcface_w600k_r50]\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "faceplate.yaml"))
    _plate(tmp_path / "plates" / "p.1001.exr")
    spec = _spec(tmp_path, "1001", models={"swapper": "inswapper_128", "providers": ["cpu"],
                                           "model_dirs": [str(tmp_path)]})
    ctx = RunContext.create(spec.ocio, environ={})
    named = preflight(spec, ctx, load_models=False)     # the solve's: names them, loads none
    assert named.shot_models().ids == (*PACK, DESCRIPTOR, "inswapper_128", "arcface_w600k_r50")
    with pytest.raises(ModelNotFoundError, match="inswapper_128.onnx"):
        preflight(spec, ctx)                            # a stage that runs them loads them


@pytest.mark.parametrize("channels", [("R", "G", "B", "faceplate.matte"),
                                      ("R", "G", "B", "A", "faceplate.matte", "Z")])
def test_a_matte_channel_the_plate_already_has_is_refused(tmp_path, channels) -> None:
    _plate(tmp_path / "plates" / "p.1001.exr", channels=channels)
    output = spec_dict()["output"]
    spec = _spec(tmp_path, "1001", output={**output, "matte_channel": True})
    with pytest.raises(SpecError) as err:
        _preflight(spec)
    assert err.value.key == "output.matte_channel"
    written = ", ".join(read_header(tmp_path / "plates" / "p.1001.exr").channelnames)
    assert sorted(written.split(", ")) == sorted(channels)      # in the file's order
    assert str(err.value) == (
        "output.matte_channel: 'faceplate.matte' is already a channel of the plate (frame "
        f"1001: {written}); name another")
    _plate(tmp_path / "plates" / "p.1001.exr", channels=("R", "G", "B", "faceplate.other"))
    assert _preflight(spec).plate_colourspace == "ACEScg"


# --- onnxruntime sessions --------------------------------------------------------------------

@pytest.mark.parametrize("names, limit, available, expected", [
    # each named provider that is available, in the order named, with the memory limit as
    # the option each one reads; the CPU last when not named
    (("tensorrt", "cuda", "cpu"), 1 << 30, [TRT, CUDA, CPU],
     [(TRT, {"trt_max_workspace_size": "1073741824"}), (CUDA, {"gpu_mem_limit": "1073741824"}),
      CPU]),
    (("tensorrt", "cuda", "cpu"), None, [TRT, CUDA, CPU], [TRT, CUDA, CPU]),
    (("CUDA",), 512, [CUDA, CPU], [(CUDA, {"gpu_mem_limit": "512"}), CPU]),
    (("tensorrt", "cuda"), 512, [CPU], [CPU]),
    (("cpu", "cuda"), None, [CUDA, CPU], [CPU, CUDA]),
    ((CUDA, "cpu"), None, [CUDA, CPU], [CUDA, CPU]),
    # another provider by its onnxruntime name takes no memory option
    (("XnnpackExecutionProvider",), 512, ["XnnpackExecutionProvider", CPU],
     ["XnnpackExecutionProvider", CPU]),
])
def test_providers_are_those_named_and_available_in_order_with_the_cpu_last_resort(
        names, limit, available, expected) -> None:
    assert _provider_list(RuntimeOptions(providers=names, gpu_mem_limit=limit),
                          available) == expected


def _enhancer(path: Path) -> str:
    """gfpgan_1.4's contract at 4 pixels: the input reshaped to one image (a batch of two
    fails inside the kernel), two initializers no node reads after the shape, ``emap`` last;
    returns its sha256 (worked out by hashlib, not faceplate)."""
    import hashlib
    save_onnx(path, [helper.make_node("Reshape", ["input", "shape"], ["output"])],
              [helper.make_tensor_value_info("input", F, ["N", 3, 4, 4])],
              [helper.make_tensor_value_info("output", F, ["N", 3, 4, 4])],
              [numpy_helper.from_array(np.int64([1, 3, 4, 4]), "shape"),
               numpy_helper.from_array(np.ones(3, np.float32), "first"),
               numpy_helper.from_array(np.arange(4, dtype=np.float32).reshape(2, 2), "emap")])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gfpgan(**changes: object) -> dict[str, ModelEntry]:
    import dataclasses
    return {"gfpgan_1.4": dataclasses.replace(load_manifest()["gfpgan_1.4"], size=4,
                                              **changes)}


def test_a_session_logs_errors_only_reads_the_last_initializer_and_wraps_failures(
        tmp_path, capfd) -> None:
    sha = _enhancer(tmp_path / "gfpgan_1.4.onnx")
    entry = _gfpgan()["gfpgan_1.4"]
    manifest = _gfpgan(extra={**entry.extra, "source_embedding": "emap"})
    registry = ModelRegistry(manifest, [tmp_path], options=RuntimeOptions(providers=("cpu",)))
    capfd.readouterr()
    session = registry.session("gfpgan_1.4")
    assert capfd.readouterr().err == "", "onnxruntime's warnings are kept off the terminal"
    assert session.provider == CPU and session.input_shapes == {"input": ["N", 3, 4, 4]}
    np.testing.assert_array_equal(session.initializers[0], [[0, 1], [2, 3]])
    image = np.arange(48, dtype=np.float32).reshape(1, 3, 4, 4)
    (out,) = session.run({"input": image})
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, image)
    with pytest.raises(ModelError, match="^model gfpgan_1.4 failed to run: ") as err:
        session.run({"input": np.zeros((2, 3, 4, 4), np.float32)})
    assert err.value.path == str(tmp_path / "gfpgan_1.4.onnx")
    assert "[E:onnxruntime:" in capfd.readouterr().err, "its errors are not"
    assert registry.digests() == {"gfpgan_1.4": sha}
    assert registry.providers_used() == {"gfpgan_1.4": CPU}
    plain = ModelRegistry(_gfpgan(), [tmp_path], options=RuntimeOptions(providers=("cpu",)))
    assert plain.session("gfpgan_1.4").initializers == []


def test_the_provider_reported_is_the_sessions_first_not_its_cpu_fallback(tmp_path) -> None:
    """As CUDA before the CPU on a GPU machine: here a provider onnxruntime's CPU build has
    (Azure's, which takes no node of this model) stands before the CPU fallback."""
    import onnxruntime
    _enhancer(tmp_path / "gfpgan_1.4.onnx")
    others = [p for p in onnxruntime.get_available_providers() if p != CPU]
    registry = ModelRegistry(_gfpgan(), [tmp_path],
                             options=RuntimeOptions(providers=(*others[:1], "cpu")))
    assert registry.session("gfpgan_1.4").provider == (others or [CPU])[0]


def test_the_torch_backend_makes_the_session_or_names_its_extra(tmp_path) -> None:
    import importlib.util
    _enhancer(tmp_path / "gfpgan_1.4.onnx")
    registry = ModelRegistry(_gfpgan(), [tmp_path],
                             options=RuntimeOptions(providers=("cpu",), backend="torch"))
    if all(importlib.util.find_spec(m) for m in ("torch", "onnx2torch")):
        assert registry.session("gfpgan_1.4").provider == "torch:cpu"
    else:
        with pytest.raises(ModelError, match="^backend torch needs the 'torch' extra: "):
            registry.session("gfpgan_1.4")


def test_a_batch_dimension_is_free_when_symbolic_or_below_one(tmp_path) -> None:
    _enhancer(tmp_path / "gfpgan_1.4.onnx")
    session = ModelRegistry(_gfpgan(), [tmp_path],
                            options=RuntimeOptions(providers=("cpu",))).session("gfpgan_1.4")
    session.input_shapes.update(minus=[-1, 3], zero=[0, 3], one=[1, 3], two=[2, 3], none=[])
    assert [session.batched(n) for n in ("input", "minus", "zero", "one", "two", "none",
                                         "absent")] == [True, True, True, False, False, False,
                                                        False]


def test_the_registry_names_unknown_models_and_runs_only_onnx_ones() -> None:
    registry = ModelRegistry({k: v for k, v in load_manifest().items()
                              if k in ("dlib-hog", "xseg_1", "2dfan4", "mediapipe-iris")})
    with pytest.raises(ModelError, match="^unknown model 'xseg'; known: 2dfan4, dlib-hog, "
                                         "mediapipe-iris, xseg_1$"):
        registry.entry("xseg")
    assert registry.entry("xseg_1").role == "masker"
    with pytest.raises(ModelError, match="^model dlib-hog is a dlib model, not run here$"):
        registry.session("dlib-hog")
    with pytest.raises(ModelError, match="^model mediapipe-iris is a tflite model, not run"):
        registry.session("mediapipe-iris")
    assert registry.providers_used() == {} and registry.digests() == {}


def test_a_registry_made_with_nothing_takes_the_packaged_manifest_and_the_defaults() -> None:
    registry = ModelRegistry()
    assert set(registry.manifest) == set(load_manifest())
    assert registry.options == RuntimeOptions(("tensorrt", "cuda", "cpu"), None, None,
                                              "onnxruntime")
    assert registry.policy.allow is None and registry.policy.allow_models == ()
    assert registry.lock.pins == {} and registry.lock.source is None


# --- the shot's models -----------------------------------------------------------------------

@pytest.mark.parametrize("section, ids, onnx_ids", [
    ({}, [*PACK, DESCRIPTOR, "faceplate-reference-warp"], (None, None, None)),
    # naming one of the pack's detectors or meshes means the pack's whole pair
    ({"detector": "mediapipe-face-detection-short-range", "landmarker": "mediapipe-iris",
      "swapper": "faceplate-reference-warp", "recognizer": "x", "enhancer": "gfpgan_1.4"},
     [*PACK, DESCRIPTOR, "faceplate-reference-warp"], (None, None, None)),
    ({"detector": "dlib-hog", "landmarker": "dlib-68"},
     ["dlib-hog", "dlib-68", DESCRIPTOR, "faceplate-reference-warp"], (None, None, None)),
    ({"detector": "scrfd_2.5g"}, ["scrfd_2.5g", *PACK[2:], DESCRIPTOR,
                                  "faceplate-reference-warp"], ("scrfd_2.5g", None, None)),
    ({"landmarker": "2dfan4"}, [*PACK[:2], "2dfan4", DESCRIPTOR, "faceplate-reference-warp"],
     (None, "2dfan4", None)),
    ({"swapper": "inswapper_128"}, [*PACK, DESCRIPTOR, "inswapper_128", "arcface_w600k_r50"],
     (None, None, "inswapper_128")),
    ({"detector": "yunet_2023_mar", "landmarker": "2dfan4", "swapper": "simswap_256",
      "enhancer": "gfpgan_1.4", "occlusion": "xseg_1", "regions": "bisenet_resnet_34"},
     ["yunet_2023_mar", "2dfan4", DESCRIPTOR, "simswap_256", "arcface_w600k_r50", "gfpgan_1.4",
      "xseg_1", "bisenet_resnet_34"], ("yunet_2023_mar", "2dfan4", "simswap_256")),
])
def test_the_ids_a_section_uses_and_which_of_them_onnxruntime_runs(section, ids,
                                                                   onnx_ids) -> None:
    models = ModelsSpec(**section)
    assert sm.model_ids(models) == ids
    assert (sm.onnx_detector(models), sm.onnx_landmarker(models),
            sm.learned_swapper(models)) == onnx_ids
    assert sm.needs_registry(models) == any(onnx_ids)


def test_the_registry_takes_the_sections_options_folders_and_manifest(tmp_path) -> None:
    models = ModelsSpec(providers=("cuda", "cpu"), gpu_mem_limit=1 << 20, threads=3,
                        backend="torch", model_dirs=(tmp_path / "a", tmp_path / "b"))
    lock = ModelLock({"xseg_1": ("xseg_1.onnx", "0" * 64)})
    registry = sm.registry_for(models, lock)
    assert registry.options == RuntimeOptions(("cuda", "cpu"), 1 << 20, 3, "torch")
    assert registry.dirs[:2] == [tmp_path / "a", tmp_path / "b"]
    assert registry.lock is lock and set(registry.manifest) == set(load_manifest())
    (tmp_path / "faceplate.yaml").write_text("allow_models: [xseg_1]\n")
    (tmp_path / "models.lock.yaml").write_text(
        "schema: faceplate.modellock/1\nmodels:\n  2dfan4: {file: 2dfan4.onnx, sha256: "
        + "1" * 64 + "}\n")
    (tmp_path / "manifest.yaml").write_text(
        "models:\n  - {id: only, family: f, role: detector, file: only.onnx, sha256: null, "
        "licence: MIT}\n")
    env = {"FACEPLATE_CONFIG": str(tmp_path / "faceplate.yaml"),
           "FACEPLATE_MODEL_LOCK": str(tmp_path / "models.lock.yaml")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        studio = sm.registry_for(ModelsSpec(manifest=tmp_path / "manifest.yaml"))
    assert list(studio.manifest) == ["only"] and studio.policy.allow_models == ("xseg_1",)
    assert studio.lock.sha256("2dfan4") == "1" * 64


def _registry(manifest: dict[str, ModelEntry] | None = None, *allowed: str) -> ModelRegistry:
    return ModelRegistry(load_manifest() if manifest is None else manifest, [],
                         LicencePolicy(allow_models=allowed),
                         RuntimeOptions(providers=("cpu",)))


@pytest.mark.parametrize("section, key, message", [
    ({"detector": "nope"}, "models.detector", "unknown model 'nope'; see `faceplate models list`"),
    ({"landmarker": "scrfd_2.5g"}, "models.landmarker",
     "model 'scrfd_2.5g' is a detector, not a landmarker"),
    ({"swapper": "gfpgan_1.4"}, "models.swapper", "model 'gfpgan_1.4' is a enhancer, not a "
                                                  "swapper"),
    ({"swapper": "inswapper_128", "recognizer": "nope"}, "models.recognizer",
     "unknown model 'nope'"),
    ({"swapper": "inswapper_128", "recognizer": DESCRIPTOR}, "models.recognizer",
     f"model '{DESCRIPTOR}' is not an ONNX model"),
    ({"enhancer": "xseg_1"}, "models.enhancer", "model 'xseg_1' is a masker, not a enhancer"),
    ({"occlusion": "gfpgan_1.4"}, "models.occlusion", "is a enhancer, not a masker"),
    ({"regions": "2dfan4"}, "models.regions", "is a landmarker, not a masker"),
    # the reference warp is a swapper too, named anywhere else (it was let through, and a
    # detector or landmarker failed later as a model without an ONNX adapter, exit code 4)
    ({"detector": "faceplate-reference-warp"}, "models.detector",
     "model 'faceplate-reference-warp' is a swapper, not a detector"),
    ({"landmarker": "faceplate-reference-warp"}, "models.landmarker",
     "model 'faceplate-reference-warp' is a swapper, not a landmarker"),
    ({"swapper": "inswapper_128", "enhancer": "faceplate-reference-warp"}, "models.enhancer",
     "model 'faceplate-reference-warp' is a swapper, not a enhancer"),
])
def test_each_named_model_must_be_known_of_its_role_and_onnx_beyond_finding(section, key,
                                                                             message) -> None:
    with pytest.raises(SpecError) as err:
        sm.check_models(ModelsSpec(**section), _registry(), load=False)
    assert err.value.key == key and message in str(err.value)


def test_a_model_of_another_format_is_refused_beyond_finding_faces() -> None:
    import dataclasses
    manifest = load_manifest()
    manifest["gfpgan_1.4"] = dataclasses.replace(manifest["gfpgan_1.4"], format="tflite")
    with pytest.raises(SpecError, match="^models.enhancer: model 'gfpgan_1.4' is not an ONNX "
                                        "model$"):
        sm.check_models(ModelsSpec(enhancer="gfpgan_1.4"), _registry(manifest), load=False)


@pytest.mark.parametrize("model_id, section", [
    ("dlib-hog", {"detector": "dlib-hog"}), ("mediapipe-iris", {})])
def test_without_loading_a_model_faceplate_runs_itself_must_still_be_found(model_id,
                                                                           section) -> None:
    import dataclasses
    manifest = load_manifest()
    manifest[model_id] = dataclasses.replace(manifest[model_id], file="gone.bin")
    with pytest.raises(ModelNotFoundError, match="gone.bin"):
        sm.check_models(ModelsSpec(**section), _registry(manifest), load=False)


def test_a_recognizer_or_reference_warp_named_without_a_learned_swap_is_not_checked() -> None:
    for section in ({"recognizer": "nope"}, {"swapper": "faceplate-reference-warp"},
                    {"detector": "dlib-hog", "occlusion": "xseg_1", "regions": "xseg_1"}):
        sm.check_models(ModelsSpec(**section), _registry(), load=False)


def test_a_swappers_converter_must_be_listed_as_one_and_its_licence_is_checked() -> None:
    import dataclasses
    manifest = load_manifest()
    models = ModelsSpec(swapper="simswap_256", providers=("cpu",))
    allowed = ("simswap_256", "arcface_w600k_r50")
    message = ("model 'simswap_256' names converter 'crossface_simswap', which the manifest "
               "does not list as a converter")
    for broken in ({k: v for k, v in manifest.items() if k != "crossface_simswap"},
                   {**manifest, "crossface_simswap": dataclasses.replace(
                       manifest["crossface_simswap"], role="enhancer")}):
        with pytest.raises(SpecError) as err:
            sm.check_models(models, _registry(broken, *allowed), load=False)
        assert err.value.key == "models.swapper" and str(err.value).endswith(message)
    with pytest.raises(LicenceRefusedError, match="^model crossface_simswap: licence"):
        sm.check_models(models, _registry(manifest, *allowed), load=False)
    registry = _registry(manifest, *allowed, "crossface_simswap")
    sm.check_models(models, registry, load=False)       # no file is looked for, none loaded
    assert registry.providers_used() == {}
    with pytest.raises(ModelNotFoundError, match="simswap_256.onnx"):
        sm.check_models(models, registry)


def test_the_finder_is_the_pack_unless_a_detector_or_landmarker_of_another_kind_is_named() -> None:
    pack = MediaPipeFacePack()
    registry = _registry()
    assert sm.face_finder(ModelsSpec(), registry, pack) is pack
    assert sm.face_finder(ModelsSpec(detector=PACK[1], landmarker=PACK[3]), registry,
                          pack) is pack
    for section, name, tracks in (({"detector": "dlib-hog"}, "dlib-hog+mediapipe-face", True),
                                  ({"landmarker": "dlib-68"}, "mediapipe-face+dlib-68", False),
                                  ({"detector": "dlib-hog", "landmarker": "dlib-68"},
                                   "dlib-hog+dlib-68", False)):
        finder = sm.face_finder(ModelsSpec(**section), registry, pack)
        assert isinstance(finder, FaceFinder)
        assert (finder.id, finder.tracks) == (name, tracks)


def test_resolved_models_report_where_the_built_in_ones_run(tmp_path, monkeypatch) -> None:
    (tmp_path / "faceplate.yaml").write_text("allow_models: [dlib-68]\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(tmp_path / "faceplate.yaml"))
    pack = MediaPipeFacePack()
    dlib = sm.resolve_models(models=ModelsSpec(detector="dlib-hog", landmarker="dlib-68"),
                             pack=pack, load=False)                # each named, as callers may
    assert dlib.ids == ("dlib-hog", "dlib-68", DESCRIPTOR, "faceplate-reference-warp")
    assert isinstance(dlib.swapper, ReferenceSwapper) and dlib.faces.id == "dlib-hog+dlib-68"
    assert dlib.providers() == {"dlib-hog": "CPU (dlib)", "dlib-68": "CPU (dlib)",
                                DESCRIPTOR: "CPU (dlib)"}
    default = sm.resolve_models(ModelsSpec(), pack, load=False)
    assert default.faces is pack and default.digests() == {}
    assert default.providers() == {**dict.fromkeys(PACK, "CPU (LiteRT)"), DESCRIPTOR: "CPU (dlib)"}
