"""What analysis pays per frame (issue 17), as behaviour: the detector's picture converted at
the size the detector reads, flow's grey proxy converted only around the faces it follows, the
identity descriptor measured on the frames the detector runs on, and meshes held as arrays that
the stage file gives back exactly."""

import json
from importlib import resources

import cv2
import numpy as np
import pytest
from conftest import make_shot, run_cli

from faceplate.face.image8 import finite_to_uint8, to_uint8
from faceplate.pipeline.analyse.flow import (
    ProxyGeometry,
    face_motion,
    lazy_plate_view,
    plate_view,
)
from faceplate.pipeline.analyse.stage import detector_image
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.motion import Similarity
from faceplate.pipeline.solve.link import link_tracks
from faceplate.pipeline.stage_files.analysis import (
    FaceObservation,
    FrameAnalysis,
    ShotAnalysis,
    mesh_arrays,
)
from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.types import WORKING_SPACE

PLATE_SPACE = "ACEScg"
PORTRAITS = ("astronaut.png", "obama.jpg", "biden_portrait.jpg")


@pytest.fixture(scope="module")
def ctx():
    return RunContext.create()


class Counted:
    """The plate-to-models conversion, counting the pixels it converts."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.pixels = 0

    def __call__(self, rgb):
        self.pixels += rgb.shape[0] * rgb.shape[1]
        return to_uint8(self.ctx.colour.convert(rgb, PLATE_SPACE, WORKING_SPACE))


def _plate(ctx, name, size=(1920, 1080)):
    """A real portrait as a 1080p plate: scaled to the frame's height, centred on grey, in the
    plate's colourspace (scene-linear ACEScg)."""
    path = resources.files("faceplate.demo") / "data" / name
    image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    height = size[1]
    width = round(image.shape[1] * height / image.shape[0])
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    canvas = np.full((size[1], size[0], 3), 110, np.uint8)
    x0 = (size[0] - width) // 2
    canvas[:, max(0, x0):x0 + width] = image[:, max(0, -x0):max(0, -x0) + min(width, size[0])]
    return ctx.colour.convert(canvas.astype(np.float32) / 255, WORKING_SPACE, PLATE_SPACE)


def _proxy(plate, side=1024):
    scale = side / max(plate.shape[:2])
    return cv2.resize(plate, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


@pytest.mark.parametrize("name", PORTRAITS)
def test_the_detector_picture_is_converted_at_the_detectors_size_and_finds_the_same_face(
        ctx, name):
    """The detector reads a 192-pixel picture: only that many pixels go through OCIO, and it
    finds the face where the whole converted proxy (the way before) finds it."""
    pack = ctx.face_pack
    proxy = _proxy(_plate(ctx, name))
    whole = to_uint8(ctx.colour.convert(proxy, PLATE_SPACE, WORKING_SPACE))
    before = [d.moved(1920 / whole.shape[1], 0, 0) for d in pack.detect(whole, threshold=-0.5)]
    convert = Counted(ctx)
    seen = detector_image(proxy, pack.detector_side, convert)
    assert min(seen.shape[:2]) == pack.detector_side == 192
    assert convert.pixels == seen.shape[0] * seen.shape[1] < proxy.shape[0] * proxy.shape[1] / 8
    after = [d.moved(1920 / seen.shape[1], 0, 0) for d in pack.detect(seen, threshold=-0.5)]
    assert len(after) == len(before) >= 1
    face_width = before[0].box[2] - before[0].box[0]
    assert _iou(before[0].box, after[0].box) > 0.9, (before[0].box, after[0].box)
    eyes = np.abs(np.asarray(before[0].points)[:2] - np.asarray(after[0].points)[:2])
    assert eyes.max() < 0.03 * face_width, eyes
    assert abs(before[0].score - after[0].score) < 0.1


def test_a_detector_that_reads_the_whole_picture_gets_it_whole(ctx):
    proxy = _proxy(_plate(ctx, "obama.jpg"))
    convert = Counted(ctx)
    seen = detector_image(proxy, None, convert)
    assert seen.shape[:2] == proxy.shape[:2]
    assert np.array_equal(seen, to_uint8(ctx.colour.convert(proxy, PLATE_SPACE, WORKING_SPACE)))


def _moved(plate, motion):
    matrix = np.array([[motion.a, -motion.b, motion.tx], [motion.b, motion.a, motion.ty]])
    return cv2.warpAffine(plate, matrix, plate.shape[1::-1], flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("move", [(6.0, -4.0), (34.0, -27.0), (90.0, 20.0)])
def test_flow_on_the_grey_converted_around_the_face_measures_what_the_whole_grey_measures(
        ctx, move):
    """The head's motion measured on grey proxies converted only around the face equals, to
    the last bit, the motion measured on wholly converted ones, with far fewer pixels
    converted; the converted pixels are the whole conversion's: for small moves and for moves
    of 18 and 48 proxy pixels (past the 16 the flow's reach leaves for the move)."""
    plate = _plate(ctx, "astronaut.png")
    proxy_a = _proxy(plate)
    proxy_b = _proxy(_moved(plate, Similarity(1.0, 0.01, *move)))
    geometry = ProxyGeometry(0, 0, proxy_a.shape[1] / plate.shape[1])
    whole = [to_uint8(ctx.colour.convert(p, PLATE_SPACE, WORKING_SPACE))
             for p in (proxy_a, proxy_b)]
    pack = ctx.face_pack
    detection = pack.detect(whole[0])[0]
    mesh = pack.landmarks(whole[0], detection)
    assert mesh is not None
    mesh = mesh.copy()
    mesh[:, :2] = (mesh[:, :2] + 0.5) / geometry.scale - 0.5  # display pixels
    eager = face_motion(plate_view(whole[0], geometry), plate_view(whole[1], geometry), mesh)
    convert = Counted(ctx)
    small = [detector_image(p, 192, convert) for p in (proxy_a, proxy_b)]
    convert.pixels = 0
    lazy = [lazy_plate_view(p, geometry, convert, s) for p, s in zip((proxy_a, proxy_b), small)]
    measured = face_motion(lazy[0], lazy[1], mesh)
    assert eager.motion is not None and measured.motion is not None, eager.reason
    assert measured.motion.as_list() == eager.motion.as_list()
    assert (measured.points, measured.kept) == (eager.points, eager.kept)
    assert convert.pixels < 0.75 * 2 * proxy_a.shape[0] * proxy_a.shape[1]
    grey = cv2.cvtColor(whole[0], cv2.COLOR_RGB2GRAY)
    done = lazy[0].grey()
    converted = done > 0
    assert converted.mean() > 0.1
    assert np.array_equal(done[converted], grey[converted])
    # asking for everything converts the rest: the whole grey proxy, as a whole conversion
    assert np.array_equal(lazy[0].grey((0, 0, *proxy_a.shape[1::-1])), grey)


def _face(x, descriptor=None, tracked_from=None):
    return FaceObservation(bbox=[x, 100.0, x + 100.0, 200.0], score=1.0,
                           landmarks=np.zeros((478, 3)), descriptor=descriptor,
                           pose=[0.0, 0.0, 0.0], tracked_from=tracked_from,
                           origin="tracked" if tracked_from is not None else "detected")


def test_a_track_keeps_its_measured_identity_over_frames_without_a_descriptor():
    """Analysis measures identity on keyframes only: a face found again by the detector where
    a followed face was (no descriptor on the frames between) joins the track only when it
    is the person last measured on it (a gap of a frame is bridged)."""
    one, other = np.zeros(128), np.zeros(128)
    other[0] = 1.0
    frames = {1: FrameAnalysis(1, "ok", [_face(100.0, one.tolist())]),
              2: FrameAnalysis(2, "ok", [_face(101.0, tracked_from=0)], detector=False),
              3: FrameAnalysis(3, "ok", [_face(102.0, other.tolist())]),
              4: FrameAnalysis(4, "ok", [_face(103.0, one.tolist())])}
    tracks = link_tracks(ShotAnalysis({}, frames))
    assert [sorted(t.faces) for t in tracks] == [[1, 2, 4], [3]]  # 4: the gap bridged
    frames[3] = FrameAnalysis(3, "ok", [_face(102.0, (one + 0.01).tolist())])
    assert [sorted(t.faces) for t in link_tracks(ShotAnalysis({}, frames))] == [[1, 2, 3, 4]]


def test_meshes_written_compactly_come_back_as_the_same_arrays(tmp_path):
    mesh = (np.random.default_rng(3).random((478, 3)) * 1920).round(2)
    path = tmp_path / "stage.json"
    write_json(path, "test/1", {"faces": [{"landmarks": mesh, "score": np.float64(0.5)}]},
               compact=True)
    text = path.read_text()
    assert "\n " not in text  # no indentation
    assert json.loads(text)["faces"][0]["landmarks"] == mesh.tolist()
    body = read_json(path, "test/1", mesh_arrays)
    assert body is not None
    back = body["faces"][0]["landmarks"]
    assert isinstance(back, np.ndarray) and back.dtype == np.float64
    assert np.array_equal(back, mesh)
    with pytest.raises(TypeError):
        write_json(path, "test/1", {"what": object()}, compact=True)


@pytest.mark.slow
def test_identity_is_measured_where_the_detector_runs_and_meshes_are_arrays(tmp_path, colour):
    """On a shot of ten frames the detector runs on the first and the ninth (every 8th while
    the face is followed); every face of those frames has its descriptor, no other face has
    one; the stored meshes come back as the in-memory arrays."""
    from faceplate.pipeline.stage_files.analysis import read_analysis

    shot = make_shot(tmp_path / "shot", colour, "1001-1010", overscan=0, depth_channel=False)
    result = run_cli("analyse", str(shot.spec_path))
    assert result.returncode == 0, result.stderr
    cache = shot.folder / "out" / "qc" / "cache" / "analysis.json"
    body = json.loads(cache.read_text())
    detected = [f["frame"] for f in body["frames"] if f["detector"]]
    assert detected == [1001, 1009]
    for frame in body["frames"]:
        assert frame["faces"]
        for face in frame["faces"]:
            assert (face["descriptor"] is not None) == frame["detector"], frame["frame"]
    from faceplate.spec import load_spec
    spec = load_spec(shot.spec_path)
    stored = read_analysis(spec, body["key"])
    assert stored is not None
    for frame in body["frames"]:
        for face, raw in zip(stored.frames[frame["frame"]].faces, frame["faces"], strict=True):
            assert isinstance(face.landmarks, np.ndarray)
            assert face.landmarks.tolist() == raw["landmarks"]


def test_the_one_pass_8_bit_conversion_gives_to_uint8s_bytes():
    """Values whose float32 product with 255 ends in exactly .5 (ties, rounded to even), just
    either side of them, and values below 0 and above 1 (clipped)."""
    ties = np.array([(n + 0.5) / 255 for n in range(-3, 258)], np.float32)
    near = [ties]
    for direction in (np.inf, -np.inf):
        step = ties
        for _ in range(30):
            step = np.nextafter(step, np.float32(direction), dtype=np.float32)
            near.append(step)
    values = np.concatenate(near + [np.linspace(-2, 3, 3001, dtype=np.float32)])
    assert np.count_nonzero((values * np.float32(255)) % 1 == 0.5) > 200  # ties are tested
    rgb = np.resize(values, (values.size // 3) * 3).reshape(1, -1, 3)
    expected = to_uint8(rgb)
    got = finite_to_uint8(rgb)
    assert got.dtype == np.uint8 and got.shape == rgb.shape
    np.testing.assert_array_equal(got, expected)
