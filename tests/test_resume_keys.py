"""Resume: a frame whose outputs are complete and current is kept, and a change to any input of
its render key renders it again. One test per input: the plate file (re-delivered under the
same name with new pixels), QC thresholds, models, sources, faceplate's version, swap
parameters and overrides, the solved face, output settings, and the outputs themselves.

Each test renders frames 1001-1002 through the real render stage, renders them again unchanged
(both kept), changes one input, and renders once more."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from render_rig import RenderRig, make_rig

from faceplate.nodes import ShotNode
from faceplate.pipeline.stage_files.tracks import REVIEWER_PREFIX
from faceplate.spec import ModelsSpec

FRAMES = [1001, 1002]


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tiny ONNX models with the real contracts (see test_learned_swap; needs onnx), allowed
    by name by the studio's config (their licences are non-commercial)."""
    pytest.importorskip("onnx", reason="the test extra installs onnx")
    config = tmp_path / "faceplate.yaml"
    config.write_text("allow_models: [inswapper_128, arcface_w600k_r50]\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(config))
    from test_learned_swap import _arcface, _inswapper
    folder = tmp_path / "models"
    folder.mkdir()
    _arcface(folder / "arcface_w600k_r50.onnx")
    _inswapper(folder / "inswapper_128.onnx")
    return folder


def _repaint(path: Path, colour: list[float]) -> None:
    """The same swapper with other weights: it paints ``colour``."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(str(path))
    (init,) = [i for i in model.graph.initializer if i.name == "colour"]
    init.CopyFrom(numpy_helper.from_array(np.float32(colour).reshape(1, 3, 1, 1), "colour"))
    onnx.save(model, str(path))


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("resumerig"), colour)


def _rendered(result) -> list[int]:
    return [r.frame for r in result.records if r.frame not in result.reused]


def _done_and_kept(rig: RenderRig, spec, **kwargs) -> None:
    """Render ``FRAMES`` once (all rendered), then again unchanged (all kept)."""
    first = rig.render_stage(spec, FRAMES, **kwargs)
    assert _rendered(first) == FRAMES and first.reused == []
    again = rig.render_stage(spec, FRAMES, **kwargs)
    assert again.reused == FRAMES, "an unchanged frame was rendered again"


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns


def test_a_plate_redelivered_under_the_same_name_renders_again(rig, tmp_path):
    plates = tmp_path / "plates"
    for f in FRAMES:
        rig.write_plate(plates, rig.plate(f))
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    _done_and_kept(rig, spec)
    path = spec.plate.path.frame(1002)
    old = path.stat()
    frame = rig.plate(1002)
    frame.pixels[..., :3] = (frame.pixels[..., :3] * np.float16(1.05)).astype(np.float16)
    rig.write_plate(plates, frame)  # new pixels, same name
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns + 10**9))  # delivered a second later
    assert path.read_bytes() != (rig.spec.plate.path.frame(1002)).read_bytes()
    again = rig.render_stage(spec, FRAMES)
    assert _rendered(again) == [1002] and again.reused == [1001]


def test_changed_qc_thresholds_render_again(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    stricter = replace(spec, qc=replace(spec.qc, max_seam=0.01))
    again = rig.render_stage(stricter, FRAMES)
    assert _rendered(again) == FRAMES
    assert all("seam_mismatch" in r.flags for r in again.records)
    assert rig.render_stage(stricter, FRAMES).reused == FRAMES


def test_other_models_render_again(rig, tmp_path, model_dir):
    """From the reference warp to a learned swapper, then the same swapper id with other
    weights in its file."""
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    learned_spec = replace(spec, models=ModelsSpec(swapper="inswapper_128", providers=("cpu",),
                                                   model_dirs=(model_dir,)))
    learned = ShotNode(learned_spec)
    switched = rig.render_stage(learned_spec, FRAMES, node=learned)
    assert _rendered(switched) == FRAMES
    assert rig.render_stage(learned_spec, FRAMES, node=learned).reused == FRAMES
    weights = model_dir / "inswapper_128.onnx"
    before = weights.read_bytes()
    _repaint(weights, [0.7, 0.2, 0.2])
    assert weights.read_bytes() != before
    retrained = ShotNode(learned_spec)  # a new process: the new file is loaded and hashed
    again = rig.render_stage(learned_spec, FRAMES, node=retrained)
    assert _rendered(again) == FRAMES


def test_a_changed_source_image_renders_again(rig, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    image = refs / "actor_a.jpg"
    shutil.copyfile(rig.spec.sources["actor_a"].images[0], image)
    spec = rig.spec_for(tmp_path / "out")
    spec = replace(spec, sources={"actor_a": replace(spec.sources["actor_a"], images=(image,))})
    _done_and_kept(rig, spec)
    pixels = cv2.imread(str(image))
    cv2.imwrite(str(image), np.flipud(pixels).copy(), [cv2.IMWRITE_JPEG_QUALITY, 90])
    again = rig.render_stage(spec, FRAMES)
    assert _rendered(again) == FRAMES


def test_another_faceplate_version_renders_again(rig, tmp_path, monkeypatch):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    monkeypatch.setattr("faceplate.pipeline.provenance.__version__", "99.0.0")
    again = rig.render_stage(spec, FRAMES)
    assert _rendered(again) == FRAMES


def test_changed_swap_parameters_render_only_that_frame(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    tweaked = rig.with_face(1002, params={"feather": 0.2},
                            override=f"{REVIEWER_PREFIX}set feather 0.2")
    again = rig.render_stage(spec, FRAMES, tweaked)
    assert _rendered(again) == [1002] and again.reused == [1001]
    assert rig.render_stage(spec, FRAMES, tweaked).reused == FRAMES


def test_a_skip_override_renders_only_that_frame(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    skipped = rig.without_face(1001, f"{REVIEWER_PREFIX}skip: passed through")
    again = rig.render_stage(spec, FRAMES, skipped)
    assert _rendered(again) == [1001]
    assert again.records[0].status == "passthrough" and again.records[0].overrides


def test_a_moved_solved_face_renders_only_that_frame(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    moved = (np.array(rig.face(1001).landmarks) + (1.0, 0.0, 0.0)).tolist()
    again = rig.render_stage(spec, FRAMES, rig.with_face(1001, landmarks=moved))
    assert _rendered(again) == [1001]


def test_a_face_held_as_arrays_renders_again_when_one_inner_vertex_moves(rig, tmp_path):
    """A host may pass a solve it holds in memory, meshes as NumPy arrays: the key must see a
    vertex in the middle of the mesh (NumPy's text of a big array elides its middle)."""
    spec = rig.spec_for(tmp_path)
    mesh = np.array(rig.face(1001).landmarks, dtype=np.float64)
    _done_and_kept(rig, spec, solved=rig.with_face(1001, landmarks=mesh))
    moved = mesh.copy()
    moved[len(moved) // 2, 0] += 1.0
    again = rig.render_stage(spec, FRAMES, rig.with_face(1001, landmarks=moved))
    assert _rendered(again) == [1001]


def test_changed_output_settings_render_again(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    zips = replace(spec, output=replace(spec.output, compression="zips"))
    again = rig.render_stage(zips, FRAMES, node=ShotNode(zips))
    assert _rendered(again) == FRAMES


def test_an_output_replaced_or_removed_renders_again(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    out = spec.output.path.frame(1001)
    stamp = out.stat()
    os.utime(out, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))  # someone wrote it since
    spec.output.matte.frame(1002).unlink()
    again = rig.render_stage(spec, FRAMES)
    assert _rendered(again) == FRAMES
    assert spec.output.matte.frame(1002).is_file()


def test_force_renders_current_frames_again(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    before = _stamp(spec.output.path.frame(1001))
    forced = rig.render_stage(spec, FRAMES, force=True)
    assert _rendered(forced) == FRAMES
    assert _stamp(spec.output.path.frame(1001)) != before


def test_a_record_without_the_stamps_of_its_outputs_is_not_trusted(rig, tmp_path):
    """A record (from an older faceplate, or edited) that names an output but not its size and
    mtime cannot say the output still stands: the frame renders again."""
    import json
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    record = spec.output.qc / "frames" / "1002.json"
    body = json.loads(record.read_text())
    del body["outputs"][str(spec.output.matte.frame(1002))]
    record.write_text(json.dumps(body))
    again = rig.render_stage(spec, FRAMES)
    assert _rendered(again) == [1002]


def test_a_frame_that_failed_is_tried_again(rig, tmp_path):
    plates = tmp_path / "plates"
    rig.write_plate(plates, rig.plate(1001))
    (plates / "tst010.1002.exr").write_bytes(b"not an exr")
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    first = rig.render_stage(spec, FRAMES)
    assert [r.status for r in first.records] == ["swapped", "unreadable"]
    again = rig.render_stage(spec, FRAMES)
    assert again.reused == [1001] and _rendered(again) == [1002]



def test_a_damaged_frame_record_is_rendered_again(rig, tmp_path):
    """A record that does not parse is not trusted: no stored record, the frame renders."""
    from faceplate.pipeline.render.resume import stored_record
    from faceplate.pipeline.stage_files.records import frame_record_path
    spec = rig.spec_for(tmp_path)
    _done_and_kept(rig, spec)
    frame_record_path(spec, 1002).write_text("{ not json")
    assert stored_record(spec, 1002) is None
    again = rig.render_stage(spec, [1001, 1002, 1003])
    assert 1002 in _rendered(again) and again.reused[:1] == [1001]


def test_stale_temporaries_beside_frames_and_mattes_are_removed(tmp_path, rig):
    """Killed writers' temporaries (listed, their writer gone) in the frames', mattes' and
    records' folders are removed before a frame renders; another folder's are not."""
    from faceplate.frames import SequencePath
    from faceplate.pipeline.render.resume import remove_stale_temporaries
    from faceplate.pipeline.stage_files.records import frame_record_path
    from faceplate.written import Manifest, temporary_name
    spec = rig.spec_for(tmp_path / "out")
    folders = [spec.output.path.frame(1001).parent, frame_record_path(spec, 1001).parent,
               tmp_path / "elsewhere"]
    spec = replace(spec, output=replace(spec.output,
                                        matte=SequencePath(str(tmp_path / "m" / "m.####.exr"))))
    folders.insert(1, spec.output.matte.frame(1001).parent)
    host = temporary_name(tmp_path / "x.exr").split(".fptmp-")[1][:4]  # this machine's
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    left = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        name = f".x.1001.fptmp-{host}-{gone}-ab.exr"
        (folder / name).write_bytes(b"partial")
        with Manifest(folder)._locked() as body:
            body["temporaries"].append(name)
        left.append(folder / name)
    remove_stale_temporaries(spec, 1001)
    assert [p.exists() for p in left] == [False, False, False, True]
