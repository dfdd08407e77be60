"""The stage files' JSON written and read (``faceplate/pipeline/stage_files/jsonfile.py``),
where each stage file lives and the paths it names (``paths.py``), the baked display tables
kept in the cache (``display_tables.py``) and the flipbook proxies' sizes, boxes and pixels
(``proxies.py``). Expected texts, paths and numbers are written out here by hand, never
taken from the code tested."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from conftest import spec_dict

from faceplate.errors import StageError
from faceplate.pipeline.stage_files import paths
from faceplate.pipeline.stage_files.display_tables import ShotTables
from faceplate.pipeline.stage_files.jsonfile import (
    check_head,
    line_spool,
    read_grouped_lines,
    read_json,
    read_json_lines,
    read_json_value,
    write_grouped_lines,
    write_json,
)
from faceplate.pipeline.stage_files.proxies import (
    _aligned,
    _aspect,
    _changed_box,
    encode_jpeg,
    proxy_look,
    proxy_path,
    proxy_size,
    shown,
    window_rgb,
)
from faceplate.plateio.frame import Box
from faceplate.spec import ShotSpec, parse_spec
from faceplate.written import Manifest


@pytest.fixture
def spec(tmp_path: Path) -> ShotSpec:
    return parse_spec(spec_dict(), base=tmp_path)


# --- jsonfile: writing -------------------------------------------------------------------


def test_an_indented_stage_file_is_one_space_a_level_with_the_schema_first(tmp_path):
    path = tmp_path / "a.json"
    write_json(path, "t/1", {"a": [1, 2], "b": {"c": None}})
    assert path.read_text() == ('{\n "schema": "t/1",\n "a": [\n  1,\n  2\n ],\n'
                                ' "b": {\n  "c": null\n }\n}\n')


def test_a_compact_stage_file_opens_lists_dicts_and_generators_and_writes_arrays_as_lists(
        tmp_path):
    path = tmp_path / "a.json"
    body = {"a": [1, (2, 3), {"b": np.array([[0.5, 1.5]], np.float32)}],
            7: (x * 2 for x in range(3)), "c": np.int64(4), "d": "é\n"}
    write_json(path, "t/1", body, compact=True)
    assert path.read_text() == ('{"schema":"t/1","a":[1,[2,3],{"b":[[0.5,1.5]]}],'
                                '"7":[0,2,4],"c":4,"d":"\\u00e9\\n"}\n')


def test_a_compact_stage_file_writes_a_generator_three_levels_down(tmp_path):
    """Lists and dicts are opened down to the fourth level: a generator there is written as
    the list it makes."""
    path = tmp_path / "a.json"
    write_json(path, "t/1", {"a": [{"b": (x for x in (5, 6))}]}, compact=True)
    assert path.read_text() == '{"schema":"t/1","a":[{"b":[5,6]}]}\n'


def test_a_compact_stage_file_writes_the_fifth_level_whole(tmp_path):
    """Below the fourth level a value is written whole by json (a generator there is not
    opened: json writes none), whatever the levels above are."""
    path = tmp_path / "a.json"
    for body in ({"a": [{"b": [(x for x in (1,))]}]},
                 {"a": {"b": {"c": {"d": (x for x in (1,))}}}}):
        with pytest.raises(TypeError, match="generator is not JSON serializable"):
            write_json(path, "t/1", body, compact=True)
    write_json(path, "t/1", {"a": [{"b": [{True: None}]}]}, compact=True)
    assert path.read_text() == '{"schema":"t/1","a":[{"b":[{"true":null}]}]}\n'


def test_a_line_written_stage_file_puts_a_key_a_line_and_a_lists_items_a_line_each(tmp_path):
    path = tmp_path / "a.json"
    body = {"a": [1, {"x": 2}], "b": [], "c": iter([3]), "d": iter([]), "e": {"x": 1},
            "f": np.float64(0.25)}
    write_json(path, "t/1", body, lines=True)
    assert path.read_text() == ('{\n "schema": "t/1",\n "a": [\n  1,\n  {"x": 2}\n ],\n'
                                ' "b": [],\n "c": [\n  3\n ],\n "d": [],\n "e": {"x": 1},\n'
                                ' "f": 0.25\n}\n')
    assert json.loads(path.read_text()) == {"schema": "t/1", "a": [1, {"x": 2}], "b": [],
                                            "c": [3], "d": [], "e": {"x": 1}, "f": 0.25}


@pytest.mark.parametrize("how", [{}, {"compact": True}, {"lines": True}])
def test_a_stage_file_refuses_nan_and_what_json_cannot_hold_and_writes_nothing(tmp_path,
                                                                              how):
    path = tmp_path / "a.json"
    with pytest.raises(ValueError):
        write_json(path, "t/1", {"a": [float("nan")]}, **how)
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        write_json(path, "t/1", {"a": [{1}]}, **how)
    assert [p.name for p in tmp_path.iterdir() if p.name != ".faceplate-written"] == []


def test_a_recorded_stage_file_is_listed_in_its_folders_manifest(tmp_path):
    for name, how in (("a.json", {}), ("b.json", {"compact": True}),
                      ("c.json", {"lines": True})):
        write_json(tmp_path / name, "t/1", {"a": 1}, record=True, **how)
    write_json(tmp_path / "d.json", "t/1", {"a": 1}, compact=True)
    assert Manifest(tmp_path).names() == {"a.json", "b.json", "c.json"}


# --- jsonfile: reading -------------------------------------------------------------------


def test_a_stage_file_is_read_with_its_schema_checked(tmp_path):
    path = tmp_path / "a.json"
    assert read_json(path, "t/1") is None
    path.write_text('{"schema": "t/1", "a": {"b": 1}}')
    assert read_json(path, "t/1") == {"schema": "t/1", "a": {"b": 1}}
    hooked = read_json(path, "t/1", object_hook=lambda d: {**d, "seen": True})
    assert hooked == {"schema": "t/1", "a": {"b": 1, "seen": True}, "seen": True}
    with pytest.raises(StageError, match=r"expected schema t/2, found 't/1'"):
        read_json(path, "t/2")
    path.write_text('[{"schema": "t/1"}]')
    with pytest.raises(StageError, match="expected schema t/1, found None"):
        read_json(path, "t/1")
    path.write_text('{"schema": "t/1", "a": ')
    with pytest.raises(StageError, match="corrupt stage file"):
        read_json(path, "t/1")
    path.unlink()
    path.mkdir()
    with pytest.raises(StageError, match="corrupt stage file"):
        read_json(path, "t/1")


def test_a_value_is_read_off_the_head_only_when_the_head_holds_it(tmp_path):
    path = tmp_path / "a.json"
    assert read_json_value(path, "t/1", "seconds") is None, "no file"
    path.write_text(' \n {"schema" : "t/1" ,\n "key": "k" , "seconds": 2.5, "rest": [1]}')
    assert read_json_value(path, "t/1", "seconds") == 2.5
    assert read_json_value(path, "t/1", "key") == "k"
    assert read_json_value(path, "t/1", "rest") == [1], "the last key"
    assert read_json_value(path, "t/1", "other") is None
    assert read_json_value(path, "t/2", "seconds") is None, "another schema"
    for text in ('["schema", "t/1"]', '{"schema" "t/1", "seconds": 1}',
                 '{"schema": "t/1" "seconds": 1}', '{"schema": "t/1"; "seconds": 1}'):
        path.write_text(text)
        assert read_json_value(path, "t/1", "seconds") is None, text


def test_a_number_the_head_cuts_is_not_read_short(tmp_path):
    """A number whose digits run past the head is absent, not the digits the head holds."""
    path = tmp_path / "a.json"
    text = '{"schema": "t/1", "seconds": 123456}'
    path.write_text(text)
    end = text.index("}")
    assert read_json_value(path, "t/1", "seconds", head=end + 1) == 123456
    assert read_json_value(path, "t/1", "seconds", head=end) is None
    assert read_json_value(path, "t/1", "seconds", head=end - 2) is None


def test_the_head_read_by_default_is_64_kib(tmp_path):
    """A value whose closing ``}`` is the head's last byte (65536) is read; one byte later it
    is not."""
    path = tmp_path / "a.json"
    for pad, found in ((0, True), (1, False)):
        start = '{"schema": "t/1", "pad": "'
        tail = '", "seconds": 7}'
        filler = "x" * (65536 - len(start) - len(tail) + pad)
        path.write_text(start + filler + tail + " " * 10)
        assert read_json_value(path, "t/1", "seconds") == (7 if found else None)


# --- jsonfile: grouped and spooled line files ----------------------------------------------


def test_grouped_lines_are_a_groups_keys_a_line_then_its_items_a_line_each(tmp_path):
    path = tmp_path / "g.json"
    groups = [({"id": 0}, iter([1, {"p": 2}])), ({}, []), ({"id": 2}, [3])]
    write_grouped_lines(path, "g/1", {"a": 1}, "swaps", "faces", groups, record=True)
    text = path.read_text()
    assert text == ('{"schema":"g/1","a":1,"swaps":[\n{"id":0,"faces":[\n1\n,{"p":2}\n]}\n'
                    ',{"faces":[\n]}\n,{"id":2,"faces":[\n3\n]}\n]}\n')
    whole = {"schema": "g/1", "a": 1, "swaps": [{"id": 0, "faces": [1, {"p": 2}]},
                                                {"faces": []}, {"id": 2, "faces": [3]}]}
    assert json.loads(text) == whole
    assert read_grouped_lines(path, "g/1", "swaps", "faces") == whole
    hooked = read_grouped_lines(path, "g/1", "swaps", "faces",
                                object_hook=lambda d: sorted(d.items()))
    assert hooked is not None and hooked["swaps"][0]["faces"] == [1, [("p", 2)]]
    assert Manifest(tmp_path).names() == {"g.json"}
    assert read_grouped_lines(tmp_path / "none.json", "g/1", "swaps", "faces") is None


def test_grouped_lines_with_no_groups_read_back_empty(tmp_path):
    path = tmp_path / "g.json"
    write_grouped_lines(path, "g/1", {}, "swaps", "faces", [], record=False)
    assert path.read_text() == '{"schema":"g/1","swaps":[\n]}\n'
    assert read_grouped_lines(path, "g/1", "swaps", "faces") == {"schema": "g/1", "swaps": []}
    assert Manifest(tmp_path).names() == set()


def test_grouped_lines_cut_short_of_another_schema_or_misnamed_are_refused(tmp_path):
    path = tmp_path / "g.json"
    write_grouped_lines(path, "g/1", {}, "swaps", "faces", [({"id": 0}, [1, 2])],
                        record=False)
    lines = path.read_text().splitlines(keepends=True)
    for cut in range(1, len(lines)):
        path.write_text("".join(lines[:cut]))
        with pytest.raises(StageError, match="cut short"):
            read_grouped_lines(path, "g/1", "swaps", "faces")
    path.write_text("".join(lines))
    with pytest.raises(StageError, match="expected schema g/2, found 'g/1'"):
        read_grouped_lines(path, "g/2", "swaps", "faces")
    with pytest.raises(StageError, match="no list 'tracks' where one opens"):
        read_grouped_lines(path, "g/1", "tracks", "faces")
    with pytest.raises(StageError, match="no list 'meshes' where one opens"):
        read_grouped_lines(path, "g/1", "swaps", "meshes")
    path.write_text("".join(lines).replace(",2", ",2]"))
    with pytest.raises(StageError, match="corrupt stage file"):
        read_grouped_lines(path, "g/1", "swaps", "faces")


def test_a_head_line_names_its_schema_first_escapes_and_all(tmp_path):
    path = tmp_path / "x.json"
    assert check_head('{"schema":"a\\"b","n":1,"items":[\n', 'a"b', "items", path) == {
        "schema": 'a"b', "n": 1}
    assert check_head(' { "schema" : "s/1" , "items":[\n', "s/1", "items", path) == {
        "schema": "s/1"}
    with pytest.raises(StageError, match="expected schema s/1, found None"):
        check_head('{"n":1,"schema":"s/1","items":[\n', "s/1", "items", path)
    with pytest.raises(StageError, match="expected schema s/1, found 's/2'"):
        check_head('{"schema":"s/2","items":[\n', "s/1", "items", path)
    with pytest.raises(StageError, match="no list 'items' where one opens"):
        check_head('{"schema":"s/1","items":5,"other":[\n', "s/1", "items", path)


def test_a_spooled_file_is_its_head_then_an_item_a_line_and_reads_back_in_order(tmp_path):
    path = tmp_path / "deep" / "s.json"
    with line_spool(path) as spool:
        assert spool.count == 0 and spool.path == path
        for item in ({"f": 1, "v": np.array([0.5])}, [2], "three"):
            spool.add(item)
        assert spool.count == 3
        assert sorted(p.name for p in path.parent.iterdir()) == [], "the spool has no name"
        spool.write("s/1", {"n": 3}, "frames", record=True)
    assert path.read_text() == ('{"schema":"s/1","n":3,"frames":[\n{"f":1,"v":[0.5]}\n,[2]\n'
                                ',"three"\n]}\n')
    assert sorted(p.name for p in path.parent.iterdir()) == [".faceplate-written", "s.json"]
    assert Manifest(path.parent).names() == {"s.json"}
    seen: list[object] = []
    back = read_json_lines(path, "s/1", "frames", lambda x: seen.append(x) or len(seen))
    assert back == ({"schema": "s/1", "n": 3}, [1, 2, 3])
    assert seen == [{"f": 1, "v": [0.5]}, [2], "three"]
    hooked = read_json_lines(path, "s/1", "frames", lambda x: x, object_hook=len)
    assert hooked is not None and hooked[1] == [2, [2], "three"]
    assert read_json_lines(tmp_path / "none.json", "s/1", "frames", str) is None


def test_an_empty_spool_writes_an_empty_list_unrecorded(tmp_path):
    path = tmp_path / "s.json"
    with line_spool(path) as spool:
        spool.write("s/1", {}, "frames", record=False)
    assert path.read_text() == '{"schema":"s/1","frames":[\n]}\n'
    assert read_json_lines(path, "s/1", "frames", str) == ({"schema": "s/1"}, [])
    assert Manifest(tmp_path).names() == set()


def test_a_spooled_file_cut_short_or_damaged_is_refused(tmp_path):
    path = tmp_path / "s.json"
    with line_spool(path) as spool:
        spool.add(1)
        spool.add(2)
        spool.write("s/1", {}, "frames", record=False)
    whole = path.read_text()
    path.write_text(whole[:whole.index("]}")])
    with pytest.raises(StageError, match="cut short"):
        read_json_lines(path, "s/1", "frames", str)
    path.write_text(whole.replace(",2", ",2}"))
    with pytest.raises(StageError, match="corrupt stage file"):
        read_json_lines(path, "s/1", "frames", str)
    path.write_text(whole)
    with pytest.raises(StageError, match="expected schema s/2"):
        read_json_lines(path, "s/2", "frames", str)


# --- paths -------------------------------------------------------------------------------


def test_each_stage_file_has_its_place_in_the_shots_cache_or_qc_folder(spec):
    cache, qc = spec.output.cache, spec.output.qc
    assert paths.analysis_path(spec) == cache / "analysis.json"
    assert paths.sources_path(spec) == cache / "sources.json"
    assert paths.textures_folder(spec) == cache / "sources"
    assert paths.display_tables_folder(spec) == cache / "display"
    assert paths.tracks_path(spec) == cache / "tracks.json"
    assert paths.frame_record_path(spec, 1001) == qc / "frames" / "1001.json"
    assert paths.qc_json_path(spec) == qc / "qc.json"
    assert proxy_path(spec, 1001, "plate") == qc / "frames" / "1001.plate.jpg"
    assert proxy_path(spec, -3, "result") == qc / "frames" / "-3.result.jpg"


def test_a_path_under_the_spec_folder_is_named_relative_to_it_and_read_back_absolute(
        tmp_path):
    shot = tmp_path / "shot"
    spec = parse_spec(spec_dict(), base=shot, spec_path=shot / "shot.yaml")
    assert paths.shot_folder(spec) == shot
    assert paths.to_shot(spec, shot / "out" / "a.exr") == "out/a.exr"
    assert paths.to_shot(spec, str(shot / "a.exr")) == "a.exr"
    assert paths.to_shot(spec, tmp_path / "other" / "a.exr") == str(tmp_path / "other/a.exr")
    assert paths.to_shot(spec, tmp_path / "shot2" / "a.exr") == str(tmp_path / "shot2/a.exr")
    assert paths.to_shot(spec, Path("out/a.exr")) == "out/a.exr", "a relative path as given"
    assert paths.from_shot(spec, "out/a.exr") == shot / "out" / "a.exr"
    assert paths.from_shot(spec, str(tmp_path / "b.exr")) == tmp_path / "b.exr"


def test_a_spec_built_in_code_keeps_its_paths_as_they_are(spec, tmp_path):
    assert paths.shot_folder(spec) is None
    assert paths.to_shot(spec, tmp_path / "out" / "a.exr") == str(tmp_path / "out" / "a.exr")
    assert paths.from_shot(spec, "out/a.exr") == Path("out/a.exr")
    assert paths.from_shot(spec, str(tmp_path / "a.exr")) == tmp_path / "a.exr"


# --- display tables ----------------------------------------------------------------------


def _tables(folder: Path) -> ShotTables:
    return ShotTables(SimpleNamespace(output=SimpleNamespace(cache=folder)))  # type: ignore[arg-type]


def test_a_display_table_is_kept_as_float32_npy_listed_and_read_back(tmp_path):
    tables = _tables(tmp_path)
    assert tables.path("k1") == tmp_path / "display" / "k1.npy"
    assert tables.load("k1") is None, "none kept"
    table = np.linspace(0, 1, 24, dtype=np.float64).reshape(2, 4, 3)[:, ::2]  # not contiguous
    tables.save("k1", table)
    back = tables.load("k1")
    assert back is not None and back.dtype == np.float32 and back.shape == (2, 2, 3)
    assert np.array_equal(back, table.astype(np.float32))
    assert np.array_equal(np.load(tmp_path / "display" / "k1.npy"), table.astype(np.float32))
    assert Manifest(tmp_path / "display").names() == {"k1.npy"}
    assert tables.load("k2") is None, "each key its own table"


def test_a_display_table_that_cannot_be_read_or_written_is_baked_again(tmp_path):
    tables = _tables(tmp_path)
    (tmp_path / "display").mkdir()
    (tmp_path / "display" / "cut.npy").write_bytes(b"\x93NUMPY\x01\x00")
    assert tables.load("cut") is None
    np.save(tmp_path / "display" / "obj.npy", np.array([{"a": 1}], dtype=object))
    assert tables.load("obj") is None, "never unpickled"
    (tmp_path / "display" / "dir.npy").mkdir()
    assert tables.load("dir") is None
    blocked = _tables(tmp_path / "file")
    (tmp_path / "file").write_text("not a folder")
    blocked.save("k", np.zeros((2, 2, 3), np.float32))  # no error: baked again next time
    assert blocked.load("k") is None


# --- proxies -----------------------------------------------------------------------------


@pytest.mark.parametrize("size, aspect, most, expected", [
    ((1920, 1080), 1.0, 640, (640, 360)),
    ((1000, 562), 1.0, 640, (640, 360)),     # 359.68
    ((1024, 858), 2.0, 640, (640, 268)),     # anamorphic: 2048 square pixels wide, 268.125
    ((320, 240), 1.0, 640, (320, 240)),      # smaller than the most: its own size
    ((300, 200), 2.0, 640, (600, 200)),
    ((2000, 1), 1.0, 640, (640, 1)),         # 0.32 rows: at least one
    ((1920, 1080), 1.0, 100, (100, 56)),     # 56.25
])
def test_a_proxys_size_is_its_display_window_in_square_pixels_at_most_640_wide(
        size, aspect, most, expected):
    assert proxy_size(*size, aspect, most) == expected
    if most == 640:
        assert proxy_size(*size, aspect) == expected


@pytest.mark.parametrize("lo, hi, size, out, expected", [
    (10, 20, 1920, 640, (3, 7)),        # 3 display pixels a proxy pixel: [9, 21)
    (9, 21, 1920, 640, (3, 7)),
    (100, 200, 2048, 640, (30, 65)),    # 16/5: multiples of 5 proxy pixels, [96, 208)
    (0, 2048, 2048, 640, (0, 640)),
    (2000, 2048, 2048, 640, (625, 640)),
    (500, 501, 1000, 640, (320, 336)),  # 25/16: multiples of 16, [500, 525)
    (5, 6, 640, 640, (5, 6)),           # no downscale
])
def test_a_changed_area_maps_to_proxy_pixels_whose_edges_fall_on_display_pixels(
        lo, hi, size, out, expected):
    a, b = _aligned(lo, hi, size, out)
    assert (a, b) == expected
    assert a * size % out == 0 and b * size % out == 0
    assert a * size // out <= lo and b * size // out >= hi


def test_the_plates_proxy_of_a_float_rgba_frame_is_its_rgbs_downscale():
    """A plate with a fourth channel (alpha) after its RGB: the proxy is the area downscale of
    the RGB alone, band by band as for three channels."""
    from faceplate.pipeline.stage_files.proxies import downscaled
    rng = np.random.default_rng(5)
    pixels = rng.uniform(0.0, 2.0, (120, 96, 4)).astype(np.float16)
    box = Box(0, 0, 96, 120)
    frame = SimpleNamespace(pixels=pixels, rgb=(0, 1, 2), data_box=box,
                            rgb_region=lambda b: pixels[b.y0:b.y1, b.x0:b.x1, :3]
                            .astype(np.float32))
    expected = cv2.resize(pixels[..., :3].astype(np.float32), (48, 60),
                          interpolation=cv2.INTER_AREA)
    assert np.array_equal(downscaled(frame, box, (48, 60)), expected)  # type: ignore[arg-type]


def test_the_plates_proxy_leaves_a_float32_plates_nan_and_inf_in_the_frame(tmp_path):
    """A float32 plate's proxy is made from its own pixels (no copy); cleaning a band that
    holds NaN or Inf for the proxy must not clean the frame the swap then writes."""
    import OpenImageIO as oiio

    from faceplate.pipeline.stage_files.proxies import downscaled
    from faceplate.plateio.frame import read_frame
    from faceplate.plateio.write import write_image
    rgb = np.full((48, 64, 3), 0.5, np.float32)
    rgb[10, 20] = [np.nan, np.inf, 1.0]
    write_image(tmp_path / "p.exr", oiio.ImageSpec(64, 48, 3, "float"), rgb)
    frame = read_frame(tmp_path / "p.exr", 1)
    assert frame.pixels.dtype == np.float32
    small = downscaled(frame, Box(0, 0, 64, 48), (32, 24))
    assert np.isnan(frame.pixels[10, 20, 0]) and np.isposinf(frame.pixels[10, 20, 1])
    # the proxy's pixel over them: (0 + 3 × 0.5) / 4 twice, (1 + 3 × 0.5) / 4
    assert small[5, 10].tolist() == pytest.approx([0.375, 0.375, 0.625])


def test_a_proxys_look_changes_with_each_thing_its_pixels_depend_on():
    base = ("config.ocio", "ACEScg", "sRGB", "ACES 1.0")
    look = proxy_look(*base)
    assert len(look) == 32 and int(look, 16) >= 0
    assert proxy_look(*base) == look
    others = {proxy_look(*base[:i], "x", *base[i + 1:]) for i in range(4)}
    assert len(others) == 4 and look not in others


def test_window_rgb_is_the_box_with_zeros_outside_the_data_window_and_no_nan():
    data = np.arange(4 * 6 * 3, dtype=np.float32).reshape(4, 6, 3)
    data[1, 2] = [np.nan, np.inf, -np.inf]
    d = Box(-2, -1, 4, 3)  # 6 × 4 from one row above and two columns left of the display

    def region(b: Box) -> np.ndarray:
        return data[b.y0 - d.y0:b.y1 - d.y0, b.x0 - d.x0:b.x1 - d.x0]
    frame = SimpleNamespace(data_box=d, pixels=data, rgb=(0, 1, 2), rgb_region=region)
    out = window_rgb(frame, Box(0, 0, 5, 4))  # type: ignore[arg-type]
    assert out.shape == (4, 5, 3) and out.dtype == np.float32
    expected = np.zeros((4, 5, 3), np.float32)
    expected[:3, :4] = data[1:4, 2:6]
    expected[0, 0] = 0.0  # the NaN/Inf pixel at data (1, 2)
    assert np.array_equal(out, expected)
    assert np.array_equal(window_rgb(frame, Box(10, 10, 12, 11)),  # type: ignore[arg-type]
                          np.zeros((1, 2, 3), np.float32)), "wholly outside: zeros"
    whole = window_rgb(frame, d)  # type: ignore[arg-type]
    assert whole is data, "float RGB over exactly the box: cleaned in place"
    assert np.isfinite(data).all() and data[1, 2].tolist() == [0.0, 0.0, 0.0]


def test_window_rgb_of_other_channels_or_types_reads_the_frames_rgb():
    data = np.ones((2, 2, 4), np.float16)
    d = Box(0, 0, 2, 2)
    frame = SimpleNamespace(data_box=d, pixels=data, rgb=(2, 1, 0),
                            rgb_region=lambda b: np.full((b.height, b.width, 3), 0.5,
                                                         np.float32))
    out = window_rgb(frame, d)  # type: ignore[arg-type]
    assert out is not data and out.shape == (2, 2, 3) and (out == 0.5).all()


def test_the_changed_box_is_the_mattes_nonzero_extent_in_display_pixels_cut_to_it():
    d = Box(-8, -6, 12, 10)
    frame = SimpleNamespace(data_box=d, display_size=(10, 8))
    matte = np.zeros((16, 20), np.float32)
    assert _changed_box(frame, matte) is None  # type: ignore[arg-type]
    matte[9, 11] = 0.25
    matte[12, 13] = 1.0
    assert _changed_box(frame, matte) == Box(3, 3, 6, 7)  # type: ignore[arg-type]
    matte[0, 0] = 0.5  # display (-8, -6): cut to the display window
    assert _changed_box(frame, matte) == Box(0, 0, 6, 7)  # type: ignore[arg-type]
    outside = np.zeros((16, 20), np.float32)
    outside[2, 3] = 1.0  # display (-5, -4): outside it
    assert _changed_box(frame, outside) is None  # type: ignore[arg-type]


def test_the_pixel_aspect_is_the_plates_and_1_where_it_says_0_or_nothing():
    for stored, expected in ((2.0, 2.0), (0.0, 1.0), (None, 1.0)):
        attrs = {} if stored is None else {"PixelAspectRatio": stored}
        frame = SimpleNamespace(spec=SimpleNamespace(
            get_float_attribute=lambda name, default, a=attrs: a.get(name, default)))
        assert _aspect(frame) == expected  # type: ignore[arg-type]


def test_a_proxy_without_a_display_transform_is_clipped_and_rounded_to_8_bits():
    small = np.array([[[-1.0, 0.5, 2.0], [0.2, 1.0, 0.0]]], np.float32)
    assert shown(small, None).tolist() == [[[0, 128, 255], [51, 255, 0]]]


def test_a_proxy_jpeg_is_rgb_at_quality_85():
    rgb8 = np.zeros((16, 16, 3), np.uint8)
    rgb8[..., 0] = 200  # red
    rgb8[8:, :, 2] = 90
    data = encode_jpeg(rgb8)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).astype(int)
    assert abs(bgr[..., 2] - 200).max() <= 3 and abs(bgr[:6, :, 0]).max() <= 3
    expected = cv2.imencode(".jpg", np.ascontiguousarray(rgb8[..., ::-1]),
                            [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
    assert data == expected
    assert encode_jpeg(rgb8, 20) == cv2.imencode(
        ".jpg", np.ascontiguousarray(rgb8[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 20])[1].tobytes()
