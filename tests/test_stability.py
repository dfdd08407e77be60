"""Whole-shot stability (issue 15): the plate's motion measured by optical flow, fused with the
mesh fits so that only noise is filtered, cuts ending segments, the replaced face's swim on a
handheld plate measured from images, and identical frames however the shot is chunked."""

import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_shot, run_cli

from faceplate.pipeline.analyse.flow import (
    ProxyGeometry,
    cut_between,
    face_motion,
    plate_view,
)
from faceplate.pipeline.motion import Similarity, fit_similarity
from faceplate.pipeline.solve.fuse import fuse_piece
from faceplate.pipeline.stage_files.analysis import FaceObservation, FrameAnalysis, ShotAnalysis

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))

# --- Optical flow on the plate ----------------------------------------------------------------


def _texture(seed: int, size=(360, 480)) -> np.ndarray:
    """A textured 8-bit RGB picture (blurred noise: corners everywhere, no repeats)."""
    noise = np.random.default_rng(seed).random(size).astype(np.float32)
    grey = cv2.GaussianBlur(noise, (0, 0), 2.0)
    grey = (grey - grey.min()) / (grey.max() - grey.min()) * 200 + 25
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


_FACE = np.array([(180.0, 120.0, 0.0), (300.0, 120.0, 0.0), (300.0, 260.0, 0.0),
                  (180.0, 260.0, 0.0), (240.0, 190.0, 0.0)])


def _warped(image: np.ndarray, motion: Similarity) -> np.ndarray:
    matrix = np.array([[motion.a, -motion.b, motion.tx], [motion.b, motion.a, motion.ty]])
    return cv2.warpAffine(image, matrix, image.shape[1::-1], flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REFLECT)


def test_flow_measures_the_heads_motion_in_display_pixels():
    """A picture moved by a known similarity: the face's measured motion (display pixels, the
    proxy offset by the data window's origin) moves the face's points where the known one
    does, to a twentieth of a pixel."""
    angle, scale = np.radians(1.5), 1.02
    # the known motion about the face's centre (display pixels)
    a, b = scale * np.cos(angle), scale * np.sin(angle)
    centre = np.array([240.0 + 100, 190.0 + 50])
    known = Similarity(a, b, centre[0] - a * centre[0] + b * centre[1] + 3.3,
                       centre[1] - b * centre[0] - a * centre[1] - 1.7)
    geometry = ProxyGeometry(100, 50, 1.0)  # proxy pixel = display pixel - (100, 50)
    shift = Similarity(1.0, 0.0, -100.0, -50.0)
    in_proxy = shift.compose(known).compose(shift.inverse())
    image = _texture(1)
    before = plate_view(image, geometry)
    after = plate_view(_warped(image, in_proxy), geometry)
    face = _FACE + (100.0, 50.0, 0.0)
    measured = face_motion(before, after, face)
    assert measured.motion is not None, measured.reason
    error = np.linalg.norm(measured.motion.apply(face)[:, :2] - known.apply(face)[:, :2], axis=1)
    assert error.max() < 0.05, error
    assert measured.kept >= 12


def test_each_vertex_is_followed_by_the_skins_own_motion_and_an_occluded_one_is_not():
    """A picture whose lower half stretches down (a jaw dropping: up to 3 px, growing with the
    height) while the whole moves: each vertex's measured motion (display pixels, the proxy at
    half scale) is the known one to a tenth of a pixel; vertices under a patch that appears
    (an occluder) fail their forward-backward check (NaN), the others do not."""
    from faceplate.pipeline.analyse.flow import vertex_motion
    image = _texture(3)
    h, w = image.shape[:2]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)

    def moved(x, y):  # where the picture's point (x, y) goes, in proxy pixels
        return x + 2.0, y - 1.0 + 1.5 * np.clip((y - 190.0) / 70.0, 0.0, 1.0) ** 2 * 2.0

    # the inverse map for remap: solve y for each output row by fixed-point iteration
    sy = gy.copy()
    for _ in range(30):
        sy = gy - (moved(gx, sy)[1] - sy)
    after = cv2.remap(image, gx - 2.0, sy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    rng = np.random.default_rng(8)
    points = np.column_stack([rng.uniform(190, 290, 300), rng.uniform(130, 250, 300)])
    geometry = ProxyGeometry(10, 20, 0.5)  # display = (proxy + 0.5) / 0.5 - 0.5 + origin
    found = vertex_motion(plate_view(image, geometry), plate_view(after, geometry), points)
    x, y = moved(points[:, 0], points[:, 1])
    known = np.column_stack([x - points[:, 0], y - points[:, 1]]) / 0.5
    assert np.isfinite(found).all()
    assert np.abs(found - known).max() < 0.2, np.abs(found - known).max()
    assert np.abs(found - known).mean() < 0.05
    covered = after.copy()
    covered[150:200, 200:250] = _texture(9)[150:200, 200:250]
    found = vertex_motion(plate_view(image, geometry), plate_view(covered, geometry), points)
    under = ((points[:, 0] > 205) & (points[:, 0] < 245) & (points[:, 1] > 155)
             & (points[:, 1] < 195))
    clear = ((points[:, 0] < 185) | (points[:, 0] > 265) | (points[:, 1] < 135)
             | (points[:, 1] > 215))
    assert np.isnan(found[under]).all(axis=1).mean() > 0.9
    assert np.isfinite(found[clear]).all()


def test_a_failed_forward_backward_check_says_so():
    before = plate_view(_texture(1), ProxyGeometry(0, 0, 1.0))
    after = plate_view(_texture(2), ProxyGeometry(0, 0, 1.0))
    measured = face_motion(before, after, _FACE)
    assert measured.motion is None
    assert "forward-backward check" in measured.reason or "disagree" in measured.reason


def test_a_cut_is_told_from_a_move_and_a_flash():
    geometry = ProxyGeometry(0, 0, 1.0)
    image = _texture(1)
    view = plate_view(image, geometry)
    moved = plate_view(_warped(image, Similarity(1.0, 0.0, 4.0, -3.0)), geometry)
    flash = plate_view(np.clip(image.astype(np.float32) * 1.6, 0, 255).astype(np.uint8),
                       geometry)
    other = plate_view(_texture(7), geometry)
    grey = plate_view(np.full_like(image, 46), geometry)
    assert not cut_between(view, moved)
    assert not cut_between(view, flash)
    assert cut_between(view, other)
    # a blank frame (a grey or black frame, a flat flash) is never one side of a cut
    assert not cut_between(view, grey) and not cut_between(grey, other)


# --- Fusing flow with the meshes --------------------------------------------------------------

_MOUTH = np.arange(40, 80)


def _performance(n=32, seed=3):
    """A mesh under a handheld camera (a random walk of about 3 px a frame, with roll and
    zoom) whose mouth points open and close within 4 frames at frame 14: the truth, each
    frame's motion from the frame before, and the mouth's opening per frame (px)."""
    rng = np.random.default_rng(seed)
    base = rng.random((478, 3)) * (150.0, 180.0, 40.0) + (200.0, 100.0, 0.0)
    opening = np.zeros(n)
    opening[13:18] = [0.0, 4.0, 8.0, 4.0, 0.0]
    steps = [Similarity(1.0 + rng.normal(0, 0.003), rng.normal(0, 0.002),
                        rng.normal(0, 3.0), rng.normal(0, 3.0)) for _ in range(n - 1)]
    heads = [Similarity()]
    for s in steps:
        heads.append(s.compose(heads[-1]))
    truth = []
    for t in range(n):
        shape = base.copy()
        shape[_MOUTH, 1] += opening[t]
        truth.append(heads[t].apply(shape))
    return np.stack(truth), steps, opening


def test_fusion_follows_the_plate_exactly_and_removes_mesh_noise():
    """Meshes with noise on every point and a placement that jolts as a whole (0.8 px RMS
    each): the fused meshes are nearer the truth, their placement jolts a third less or better,
    and the camera's shake is followed without lag (the image-space smoothing this replaced
    lags it by pixels)."""
    truth, steps, _ = _performance()
    rng = np.random.default_rng(4)
    jolts = rng.normal(0, 0.8, (len(truth), 1, 2))
    noisy = truth + rng.normal(0, 0.8, truth.shape)
    noisy[..., :2] += jolts
    fused = fuse_piece(noisy, steps, np.ones(len(truth), bool), window=9)
    raw_error = np.linalg.norm((noisy - truth)[..., :2], axis=2).mean()
    fused_error = np.linalg.norm((fused - truth)[..., :2], axis=2).mean()
    assert fused_error < 0.75 * raw_error, (fused_error, raw_error)

    def placement(meshes):  # per frame, how far the mesh as a whole sits off the truth (px)
        return np.linalg.norm((meshes - truth)[..., :2].mean(axis=1), axis=1)

    assert placement(fused).mean() < 0.65 * placement(noisy).mean(), (
        placement(fused).mean(), placement(noisy).mean())
    from faceplate.pipeline.solve.smooth import smooth_landmarks
    assert placement(smooth_landmarks(noisy, 9)).max() > 2 * placement(fused).max()


def test_a_mouth_opening_within_four_frames_survives():
    truth, steps, opening = _performance()
    fused = fuse_piece(truth, steps, np.ones(len(truth), bool), window=9)
    rest = np.setdiff1d(np.arange(478), _MOUTH)

    def gap(meshes, t):  # the mouth points' mean offset from the rest, in frame t's head frame
        head = fit_similarity(truth[t][rest], meshes[t][rest])
        local = head.inverse().apply(meshes[t])
        return local[_MOUTH, 1].mean() - truth[0][_MOUTH, 1].mean() + (
            truth[0][rest, 1].mean() - local[rest, 1].mean())

    peak = int(np.argmax(opening))
    assert gap(fused, peak) >= 0.8 * opening[peak], gap(fused, peak)
    assert abs(gap(fused, peak - 3)) < 0.25 * opening[peak]


def test_a_frame_whose_mesh_is_invalid_is_moved_by_its_measured_motion():
    truth, steps, _ = _performance()
    meshes = truth.copy()
    meshes[20] += (25.0, -18.0, 0.0)  # a mesh that jumped off the face
    valid = np.ones(len(truth), bool)
    valid[20] = False
    fused = fuse_piece(meshes, steps, valid, window=9)
    assert np.abs(fused[20] - truth[20])[:, :2].max() < 0.2


def _skin_moves(truth, seed=6, noise=0.05):
    """Each vertex's own motion from frame to frame, as flow measures it (a twentieth of a
    pixel of noise)."""
    rng = np.random.default_rng(seed)
    return np.diff(truth[..., :2], axis=0) + rng.normal(0, noise, (len(truth) - 1, 478, 2))


def test_the_mesh_is_carried_by_the_skins_own_motion():
    """Noisy meshes (0.8 px per point, 0.8 px jolts as a whole): carried by each vertex's own
    measured motion, the mesh moves from frame to frame as the skin moves (its frame-to-frame
    error a fifth of the fused meshes' or less) and sits nearer the truth."""
    from faceplate.pipeline.solve.skin import follow_skin
    truth, steps, _ = _performance()
    rng = np.random.default_rng(4)
    noisy = truth + rng.normal(0, 0.8, truth.shape)
    noisy[..., :2] += rng.normal(0, 0.8, (len(truth), 1, 2))
    fused = fuse_piece(noisy, steps, np.ones(len(truth), bool), window=9)
    carried = follow_skin(fused, _skin_moves(truth), window=9)

    def slide(meshes):  # mean |motion of a vertex - the skin's motion there| per frame (px)
        return np.linalg.norm(np.diff((meshes - truth)[..., :2], axis=0), axis=2).mean()

    def error(meshes):
        return np.linalg.norm((meshes - truth)[..., :2], axis=2).mean()

    assert slide(carried) < 0.2 * slide(fused), (slide(carried), slide(fused))
    assert error(carried) < 0.6 * error(fused), (error(carried), error(fused))
    np.testing.assert_array_equal(carried[..., 2], fused[..., 2])


def test_a_jaw_dropping_in_one_frame_is_carried_whole_and_an_unmeasured_vertex_follows_the_mesh():
    from faceplate.pipeline.solve.skin import follow_skin
    truth, steps, opening = _performance()
    fused = fuse_piece(truth, steps, np.ones(len(truth), bool), window=9)
    moves = _skin_moves(truth, noise=0.0)
    moves[5:9, 7] = np.nan  # vertex 7's flow check failed on four frames
    moves[20] = np.nan  # no vertex measured on frame 21: moved as the fused mesh moves
    carried = follow_skin(fused, moves, window=9)
    peak = int(np.argmax(opening))
    mouth = (carried - truth)[peak, _MOUTH, :2]
    assert np.abs(mouth).max() < 0.1 * opening[peak], np.abs(mouth).max()
    assert np.isfinite(carried).all()
    np.testing.assert_allclose(carried[5:10, 7, :2], truth[5:10, 7, :2], atol=0.05)
    np.testing.assert_allclose(carried[21, :, :2], truth[21, :, :2], atol=0.05)


# --- Segments, cuts and unsure frames in the solve --------------------------------------------


def _face(x, *, identity=0.0, motion=None, tracked_from=None, unsure=None):
    """A face at ``x``; ``identity`` None: no descriptor (identity unknown)."""
    points = np.random.default_rng(5).random((478, 3)) * 100 + (x, 100.0, 0.0)
    points[[33, 263]] = [(x, 140.0, 0.0), (x + 100.0, 140.0, 0.0)]
    descriptor = None
    if identity is not None:
        descriptor = np.zeros(128)
        descriptor[0] = identity
        descriptor = descriptor.tolist()
    return FaceObservation(
        [x, 100.0, x + 100.0, 200.0], 1.0, points.tolist(), descriptor,
        origin="tracked" if tracked_from is not None else "detected", tracked_from=tracked_from,
        motion=motion, unsure=unsure)


def _solve(frames, cuts=(), **settings):
    from faceplate.pipeline.solve.link import link_tracks, merge_by_identity
    from faceplate.pipeline.solve.smooth import solve_track
    from faceplate.spec import SolveSpec, SwapSpec, TargetSpec
    analysis = ShotAnalysis({}, {f: FrameAnalysis(f, "ok", faces, cut=f in cuts)
                                 for f, faces in frames.items()})
    tracks = merge_by_identity(link_tracks(analysis), analysis)
    swap = SwapSpec("actor_a", TargetSpec("all"))
    return tracks, [solve_track(0, swap, t, analysis, SolveSpec(**settings)) for t in tracks]


def _followed(n, x0=100.0, step=3.0, first=1001, **kw):
    return {first + i: [_face(x0 + step * i, motion=[1.0, 0.0, step, 0.0] if i else None,
                              tracked_from=0 if i else None, **kw)] for i in range(n)}


def test_a_cut_ends_the_segment_and_nothing_is_carried_across():
    """The same person on both sides of a cut, a few pixels apart (the boxes overlap): two
    segments; the face after the cut is where that frame's mesh puts it, not pulled toward
    the face before."""
    frames = _followed(8)
    frames.update(_followed(8, x0=130.0, first=1009))
    _, (solved,) = _solve(frames, cuts={1009})
    assert solved.segments == [[1001, 1008], [1009, 1016]]
    np.testing.assert_allclose(solved.faces[1009].landmarks, frames[1009][0].landmarks,
                               atol=0.02)
    # faces of unknown identity overlapping across the frames: linked where there is no cut,
    # never across one
    after = {1009 + i: [_face(110.0 + 3 * i, identity=None)] for i in range(4)}
    assert len(_solve({**_followed(8), **after})[0]) == 1
    assert len(_solve({**_followed(8), **after}, cuts={1009})[0]) == 2
    # a gap short enough to bridge is not bridged across a cut
    frames = {**_followed(8), **{1011 + i: [_face(130.0 + 3 * i)] for i in range(4)}}
    frames[1009] = frames[1010] = []
    _, (bridged,) = _solve(frames)
    assert {1009, 1010} <= set(bridged.faces)
    _, (split,) = _solve(frames, cuts={1010})
    assert not {1009, 1010} & set(split.faces)


def test_a_failed_flow_check_starts_a_segment_and_is_flagged():
    frames = _followed(10)
    frames[1006] = [_face(115.0, tracked_from=0, unsure="optical flow failed its "
                                                       "forward-backward check (3 of 90 points "
                                                       "came back)")]
    _, (solved,) = _solve(frames)
    assert solved.segments == [[1001, 1005], [1006, 1010]]
    assert "forward-backward check" in solved.faces[1006].unsure
    assert solved.faces[1005].unsure is None and solved.faces[1007].unsure is None


# --- Whole shots: a handheld plate spliced to another by a hard cut --------------------------


@pytest.fixture(scope="module")
def spliced(tmp_path_factory):
    """A 24-frame handheld plate of a talking, turning head (1001-1024), cut hard to 8 frames
    of another portrait placed elsewhere in the frame (1025-1032), run through faceplate
    swapping every face."""
    from shots import run_faceplate

    from faceplate.demo.plate_look import Look
    from faceplate.demo.plates import PlateRecipe, build_plate
    folder = tmp_path_factory.mktemp("spliced")
    small = {"size": (640, 360), "face_px": 150.0, "shutter_samples": 3, "name": "sp"}
    build_plate(PlateRecipe(portrait="biden", frames=24, look=Look(grain=0.02), seed=1,
                            face_at=(0.4, 0.47), **small), folder / "plates")
    build_plate(PlateRecipe(portrait="astronaut", frames=8, first=1025, camera=None,
                            performance=None, face_at=(0.68, 0.5), **small), folder / "plates")
    shot = run_faceplate(folder / "run", "sp", folder / "plates" / "sp.####.exr",
                         list(range(1001, 1033)),
                         extra={"swaps": [{"source": "actor_a", "target": "all"}]})
    return shot, folder / "run" / "out" / "qc" / "cache"


@pytest.mark.slow
def test_handheld_swim_meets_the_issues_targets(spliced):
    """Swim (the replaced face's optical flow against the plate's, over the face) on the
    handheld part meets issue 15's targets, 0.5 px mean and 1.0 px at the 95th percentile,
    and stays under a sixth of the face's own motion on the plate: the image-space smoothing
    this solve replaced swam at 0.58 of it here, the rigid-flow solve about 1.2 px (the
    replaced face then did not deform as the plate's does); this one measured 0.20 / 0.36 px."""
    from dataclasses import replace

    from shots import load_frames

    from faceplate.face.image_metrics import dis_flow, face_mask, swim
    shot, _ = spliced
    frames = load_frames(replace(shot, frames=list(range(1001, 1025))))
    masks = [face_mask(m) for m in frames.mattes]
    measured = swim(frames.outputs, frames.plates, masks)
    motion = np.mean([np.linalg.norm(dis_flow(a, b), axis=2)[m].mean() for a, b, m in
                      zip(frames.plates, frames.plates[1:], masks)])
    assert motion > 2.0, "the plate should shake"
    assert measured.mean <= 0.5 and measured.p95 <= 1.0, (measured.mean, measured.p95)
    assert measured.mean < motion / 6.0, (measured.mean, motion)


@pytest.mark.slow
def test_a_hard_cut_gives_two_segments_and_no_face_dragged_across(spliced):
    from frames import read_matte

    shot, cache = spliced
    analysis = json.loads((cache / "analysis.json").read_text())
    cuts = [f["frame"] for f in analysis["frames"] if f["cut"]]
    assert cuts == [1025]
    detector = sum(f["detector"] for f in analysis["frames"][:24])
    assert detector <= 24 // 4, detector  # the handheld part: the detector on a quarter at most
    tracks = json.loads((cache / "tracks.json").read_text())
    segments = [s for swap in tracks["swaps"] for s in swap["segments"]]
    assert not any(a <= 1024 < 1025 <= b for a, b in segments), segments
    assert any(a <= 1001 and b >= 1024 for a, b in segments), segments  # one segment
    assert any(a == 1025 and b == 1032 for a, b in segments), segments

    def box(frame):
        matte = read_matte(Path(str(shot.matte).replace("####", str(frame))))
        ys, xs = np.nonzero(matte > 0.5)
        return xs.min(), ys.min(), xs.max(), ys.max()

    def overlap(a, b):
        ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
        iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
        return ix * iy / union

    assert overlap(box(1025), box(1026)) > 0.7  # the face after the cut is on its own face
    assert overlap(box(1025), box(1024)) < 0.2  # not dragged from the face before it


# --- Chunks -----------------------------------------------------------------------------------


def _digests(shot):
    return {f: (hashlib.sha256(shot.output(f).read_bytes()).hexdigest(),
                hashlib.sha256(shot.matte(f).read_bytes()).hexdigest()) for f in shot.frames}


@pytest.mark.slow
def test_chunks_in_separate_processes_match_one_range(tmp_path, colour):
    """16 frames (two of the analysis's detector keyframes, 1001 and 1009) rendered as one
    range, then as chunks of 5 by two processes at a time: 1001-1005, 1006-1010 (across the
    keyframe), 1011-1015 and the single frame 1016, every frame's bytes the same."""
    shot = make_shot(tmp_path / "shot", colour, "1001-1016", overscan=0, depth_channel=False)
    whole = run_cli("run", str(shot.spec_path))
    assert whole.returncode == 0, whole.stderr
    reference = _digests(shot)
    for f in shot.frames:
        shot.output(f).unlink()
        shot.matte(f).unlink()
    chunks = [f"{start}-{min(start + 4, 1016)}" for start in range(1001, 1017, 5)]
    assert chunks == ["1001-1005", "1006-1010", "1011-1015", "1016-1016"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: run_cli("render", str(shot.spec_path), "--frames", c),
                                chunks))
    for chunk, result in zip(chunks, results):
        assert result.returncode == 0, (chunk, result.stderr)
    assert _digests(shot) == reference


# --- An occluder passing over the face ---------------------------------------------------------


def _board(shape, seed=11):
    """A textured board (ACEScg, mid levels): blurred noise, corners everywhere."""
    noise = np.random.default_rng(seed).random(shape[:2]).astype(np.float32)
    grey = cv2.GaussianBlur(noise, (0, 0), 1.5)
    grey = (grey - grey.min()) / (grey.max() - grey.min()) * 0.4 + 0.05
    return np.repeat(grey[..., None], 3, axis=2)


@pytest.fixture(scope="module")
def occluded(tmp_path_factory):
    """A steady 8-frame plate of a talking head (640x360) with a slatted screen (pale bars 4 px
    wide every 12 px, 75 % opaque) in front of the whole face on frame 1005 only, run through
    faceplate. The face can still be seen through it; the plate's texture under the points
    flow follows cannot."""
    import OpenImageIO as oiio
    from shots import run_faceplate

    from faceplate.demo.plate_look import Look
    from faceplate.demo.plates import PlateRecipe, build_plate
    folder = tmp_path_factory.mktemp("occluded")
    built = build_plate(PlateRecipe(portrait="biden", frames=8, size=(640, 360), face_px=150.0,
                                    look=Look(grain=0.02), seed=2, camera=None, name="oc"),
                        folder / "plates")
    path = built.frame(1005)
    buf = oiio.ImageBuf(str(path))
    pixels = buf.get_pixels(oiio.FLOAT)
    cols = np.arange(220, 421)
    cols = cols[cols % 12 < 4]  # the face spans about x 241-399, y 64-246 on this plate
    rows = slice(44, 267)
    pixels[rows, cols] = 0.75 * _board(pixels.shape)[rows, cols] + 0.25 * pixels[rows, cols]
    spec = buf.spec()
    out = oiio.ImageBuf(spec)
    out.set_pixels(oiio.ROI(0, spec.width, 0, spec.height, 0, 1, 0, 3), pixels)
    assert out.write(str(path), oiio.HALF)
    shot = run_faceplate(folder / "run", "oc", built.pattern, built.frames)
    return shot, folder / "run" / "out" / "qc"


@pytest.mark.slow
def test_an_occluder_over_the_face_fails_the_flow_check_and_is_flagged(occluded):
    """The plate's face covered at once: the flow from the frame before fails its
    forward-backward check inside analysis; the face is still followed and swapped, and its
    frame flags ``tracking_unsure`` with that reason; the frames around it are not flagged."""
    _, qc = occluded
    analysis = json.loads((qc / "cache" / "analysis.json").read_text())
    faces = {f["frame"]: f["faces"] for f in analysis["frames"]}
    assert len(faces[1005]) == 1, faces[1005]
    assert "forward-backward check" in faces[1005][0]["unsure"], faces[1005][0]["unsure"]
    assert faces[1004][0]["unsure"] is None and faces[1004][0]["vertices"] is not None
    report = json.loads((qc / "qc.json").read_text())
    records = {r["frame"]: r for r in report["frames"]}
    assert "tracking_unsure" in records[1005]["flags"], records[1005]
    assert "forward-backward check" in records[1005]["reasons"]["tracking_unsure"]
    assert "tracking_unsure" not in records[1003]["flags"]


# --- The replaced face deforms as the plate's face does ---------------------------------------


def _layout_mesh():
    """The canonical layout as a 478-point mesh (each iris: its eye's lid points' centre)."""
    from faceplate.face.mesh import LIDS, layout
    face = np.asarray(layout().canonical, np.float64)
    irises = [np.repeat(face[list(lids)].mean(axis=0)[None], 5, axis=0) for lids in LIDS]
    return np.vstack([face, *irises]) * 6.0 + (300.0, 250.0, 0.0)


def test_measured_against_the_rest_shape_the_replaced_face_deforms_as_the_plates_does():
    """Two frames of one target, the second with its chin and lower lip dropped 12 px: given
    the track's rest shape, the swap's geometry moves between them exactly as the target's
    mesh does (every point); measured against each frame's own mesh, the identity step takes
    most of the drop away (the old behaviour, kept where no rest shape is given)."""
    from faceplate.face.mesh import layout
    from faceplate.face.swapper import identity_geometry
    from faceplate.pipeline.solve.rest import rest_shape
    closed = _layout_mesh()
    lower = closed[:, 1] > closed[13, 1]  # below the lips' meeting point: the jaw
    opened = closed.copy()
    opened[lower, 1] += 12.0
    source = closed.copy()
    source[:, 0] = 300.0 + (source[:, 0] - 300.0) * 1.08  # a wider face
    rest = rest_shape([closed, opened])
    canonical = np.asarray(layout().canonical, np.float64)
    upper = np.flatnonzero(~lower[:468])
    assert np.abs(rest[upper] - canonical[upper]).max() < 0.2  # unposed, the jaw half open
    with_rest = [identity_geometry(t, source, 0.8, rest) for t in (closed, opened)]
    np.testing.assert_allclose(with_rest[1] - with_rest[0], opened - closed, atol=1e-6)
    without = [identity_geometry(t, source, 0.8) for t in (closed, opened)]
    drop = (without[1] - without[0])[lower & (np.abs(closed[:, 0] - 300.0) < 10), 1]
    assert np.median(drop) < 0.5 * 12.0, np.median(drop)


def test_the_solve_gives_every_face_of_a_track_its_rest_shape():
    frames = _followed(10)
    _, (solved,) = _solve(frames)
    rests = [np.asarray(f.rest) for f in solved.faces.values()]
    assert all(r.shape == (478, 3) for r in rests)
    assert all(np.array_equal(r, rests[0]) for r in rests)
