"""`faceplate probe`: the sequence on disk, its range, holes, windows, channels and colour."""

import json
import subprocess

import pytest
from conftest import run_cli, tool


@pytest.fixture(scope="module")
def sequence(tmp_path_factory):
    """Frames -2, -1, 0, 1, 3 (hole at 2) of a 64x48 half EXR with overscan and a depth AOV."""
    folder = tmp_path_factory.mktemp("probe")
    for f in (-2, -1, 0, 1, 3):
        subprocess.run([tool("oiiotool"), "--pattern", "constant:color=0.1,0.2,0.3,1,5",
                        "72x56", "5", "--chnames", "R,G,B,A,depth.Z", "--origin", "-4-4",
                        "--fullsize", "64x48+0+0", "-d", "half", "--compression", "piz",
                        "--attrib", "oiio:ColorSpace", "ACEScg",
                        "-o", str(folder / f"p.{f:04d}.exr")], check=True)
    return folder


def test_probe_json_reports_range_holes_windows_and_channels(sequence):
    for pattern in ("p.####.exr", "p.%04d.exr", "p.@@@@.exr", "p.$F4.exr"):
        result = run_cli("probe", str(sequence / pattern), "--json")
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert (info["first"], info["last"], info["count"]) == (-2, 3, 5)
        assert info["holes"] == "2"
        assert info["size"] == [64, 48]
        assert info["data_window"] == [-4, -4, 67, 51]
        assert info["display_window"] == [0, 0, 63, 47]
        assert info["channels"] == ["R", "G", "B", "A", "depth.Z"]
        assert info["compression"] == "piz"
        assert info["colorspace"] == "lin_ap1_scene"  # OIIO writes ACEScg's interop ID


def test_probe_table(sequence):
    result = run_cli("probe", str(sequence / "p.####.exr"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for expected in (["holes", "2"], ["data", "window", "(-4,-4)-(67,51)"],
                     ["display", "window", "(0,0)-(63,47)"],
                     ["channels", "R,", "G,", "B,", "A,", "depth.Z"]):
        assert expected in [line.split() for line in lines]


def test_probe_of_a_missing_sequence_is_one_line_error_exit_2(sequence):
    pattern = str(sequence / "q.####.exr")
    result = run_cli("probe", pattern)
    assert result.returncode == 2  # nothing matches what the command line names
    assert result.stderr == f"ERROR: {pattern}: no file on disk matches this sequence\n"
    assert result.stdout == ""
    nowhere = run_cli("probe", "/no/such/folder/q.####.exr", "--json")
    assert nowhere.returncode == 2 and len(nowhere.stderr.splitlines()) == 1
    assert nowhere.stdout == ""


def test_probe_shows_10_bit_dpx_as_10_bit(tmp_path):
    for f in (1, 2):
        subprocess.run([tool("oiiotool"), "--pattern", "constant:color=0.1,0.2,0.3", "64x48",
                        "3", "-d", "uint10", "-o", str(tmp_path / f"scan.{f:04d}.dpx")],
                       check=True)
    info = json.loads(run_cli("probe", str(tmp_path / "scan.####.dpx"), "--json").stdout)
    assert (info["pixel_type"], info["bits_per_sample"]) == ("uint16", 10)
    table = run_cli("probe", str(tmp_path / "scan.####.dpx")).stdout.splitlines()
    assert ["pixel", "type", "10-bit", "(uint16", "in", "memory)"] in [
        line.split() for line in table]


def test_probe_shows_half_exr_as_it_is(sequence):
    info = json.loads(run_cli("probe", str(sequence / "p.####.exr"), "--json").stdout)
    assert (info["pixel_type"], info["bits_per_sample"]) == ("half", 16)
    table = run_cli("probe", str(sequence / "p.####.exr"), "-q").stdout
    assert table == ""


def test_each_sample_type_at_its_own_width_is_shown_as_itself():
    """The widths are the types' own (IEEE half 16, float 32, double 64; uint 32 bits)."""
    from types import SimpleNamespace

    from faceplate.plateio.probe import _pixel_type
    for kind, bits in (("uint8", 8), ("uint16", 16), ("half", 16), ("uint", 32),
                       ("float", 32), ("double", 64)):
        assert _pixel_type(SimpleNamespace(pixel_type=kind, bits_per_sample=bits)) == kind
        assert _pixel_type(SimpleNamespace(pixel_type=kind, bits_per_sample=bits - 2)) == (
            f"{bits - 2}-bit ({kind} in memory)")
