"""Three faces, three sources, 24 frames (three of the analysis's detector keyframes), each face
drifting once round its path: every face keeps its track and its new identity."""

import json

import numpy as np
import OpenImageIO as oiio
import pytest
from colour_reference import acescg_to_srgb_encoded
from conftest import run_cli
from multiface import build_three_faces

from faceplate.face.image8 import to_uint8
from faceplate.models.dlib_pack import identity_distance
from faceplate.pipeline.analyse.sources import prepare_source
from faceplate.pipeline.context import RunContext
from faceplate.spec import load_spec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def three(tmp_path_factory, colour):
    spec_path = build_three_faces(tmp_path_factory.mktemp("three"), colour, frames=24)
    result = run_cli("run", str(spec_path))
    assert result.returncode == 0, result.stderr
    qc = json.loads((spec_path.parent / "out" / "qc" / "qc.json").read_text())
    return load_spec(spec_path), qc


def test_each_face_keeps_one_track_for_the_whole_shot(three):
    spec, qc = three
    tracks = json.loads((spec.output.cache / "tracks.json").read_text())
    assert len(tracks["tracks"]) == 3
    assert all(t["frames"] == list(range(1001, 1025)) for t in tracks["tracks"])
    for record in qc["frames"]:
        assert sorted(f["source"] for f in record["faces"]) == ["astronaut", "biden", "obama"]
        by_source = {f["source"]: f["track"] for f in record["faces"]}
        assert by_source == {s["source"]: s["track"] for s in tracks["swaps"]}


def test_each_output_face_is_nearest_its_own_source(three):
    spec, qc = three
    ctx = RunContext.create(spec.ocio, environ={})
    sources = {name: prepare_source(src, ctx).descriptor for name, src in spec.sources.items()}
    for record in qc["frames"]:
        output = spec.spec_path.parent / record["output"]  # relative to the spec's folder
        pixels = oiio.ImageBuf(str(output)).get_pixels(oiio.FLOAT)[..., :3]
        image8 = to_uint8(acescg_to_srgb_encoded(pixels))  # not through faceplate.ocio
        for face in record["faces"]:
            descriptor = ctx.face_pack.descriptor(image8, np.array(face["landmarks"]))
            distances = {name: identity_distance(descriptor, d) for name, d in sources.items()}
            nearest = min(distances, key=distances.get)
            assert nearest == face["source"], (record["frame"], face["source"], distances)


def test_faces_crossing_and_leaving_keep_their_tracks(tmp_path, colour):
    from multiface import build_crossing
    spec_path, centres = build_crossing(tmp_path, colour, frames=24)
    result = run_cli("run", str(spec_path))
    assert result.returncode == 0, result.stderr
    qc = json.loads((spec_path.parent / "out" / "qc" / "qc.json").read_text())
    person = {"obama": "astronaut", "obama2": "biden"}
    seen = {"obama": [], "obama2": []}
    for record in qc["frames"]:
        for face in record["faces"]:
            centre_x = (face["bbox"][0] + face["bbox"][2]) / 2
            truth_x = centres[person[face["source"]]][record["frame"]][0]
            assert abs(centre_x - truth_x) < 40, (record["frame"], face["source"])
            seen[face["source"]].append((record["frame"], face["track"]))
    # One track each, whatever happened: the astronaut is hidden mid-shot and comes back,
    # Biden walks out of frame.
    assert len({t for _, t in seen["obama"]}) == 1 and len({t for _, t in seen["obama2"]}) == 1
    astronaut_frames = [f for f, _ in seen["obama"]]
    assert astronaut_frames[0] == 1001 and astronaut_frames[-1] == 1024
    assert len(astronaut_frames) < 24, "she is hidden for some frames"
    assert max(f for f, _ in seen["obama2"]) < 1024, "Biden leaves the frame"
