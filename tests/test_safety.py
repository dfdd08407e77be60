"""Bad input, faults and hostile paths (docs/safety.md): one test per class, each run through
the real ``faceplate`` command and each asserting the README's exit code, one ``ERROR:`` line on
stderr and no traceback, every input byte-identical afterwards (sha256), every image left in the
output folders readable whole, and, where the shot runs, its good frames written with qc.json.

Faults are injected by ``fault_driver.py`` (the real command with one write paused or failing
half-way), synchronised through pipes: no sleeps.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
import yaml
from conftest import BIN, Shot, make_shot, run_cli, write_spec

from faceplate.frames import DEFAULT_MAX_FRAMES, parse_frames
from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image
from faceplate.written import MANIFEST_NAME

pytestmark = pytest.mark.slow
DRIVER = Path(__file__).parent / "fault_driver.py"
IMAGES = (".exr", ".png", ".tif", ".dpx")


# --- what every test asserts -------------------------------------------------------------------

def digests(shot: Shot) -> dict[str, str]:
    """sha256 of every input of the shot: plate frames, source stills, the spec."""
    files = [*sorted((shot.folder / "plates").iterdir()), *sorted((shot.folder / "refs").iterdir()),
             shot.spec_path]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The run's single stderr line, after checking its exit code and that nothing else (no
    traceback, no "Aborted!") was printed."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), result.stderr
    return lines[0]


def images_read_whole(*folders: Path, besides: tuple[Path, ...] = ()) -> list[Path]:
    """Every image under ``folders`` but ``besides`` (temporaries would be hidden: there must
    be none), each read back whole, every part; returns them."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.suffix.lower() not in IMAGES or path in besides:
                continue
            assert not path.name.startswith("."), f"a temporary was left: {path}"
            inp = oiio.ImageInput.open(str(path))
            assert inp is not None, oiio.geterror()
            part = 0
            while inp.seek_subimage(part, 0):
                assert inp.read_image(part, 0, 0, inp.spec().nchannels, oiio.FLOAT) is not None, \
                    (path, inp.geterror())
                part += 1
            inp.close()
            found.append(path)
    return found


def nothing_written(shot: Shot, *also: Path) -> None:
    for folder in (shot.folder / "out", *also):
        assert not folder.exists() or not any(folder.iterdir()), f"{folder} was written"


def qc_records(shot: Shot, qc: Path | None = None) -> dict[int, dict]:
    body = json.loads(((qc or shot.qc_json.parent) / "qc.json").read_text())
    return {r["frame"]: r for r in body["frames"]}


def spec_of(shot: Shot) -> dict:
    return yaml.safe_load(shot.spec_path.read_text())


def respec(shot: Shot, change) -> None:
    data = spec_of(shot)
    change(data)
    write_spec(shot.folder, data)


@pytest.fixture(scope="module")
def template(tmp_path_factory, colour) -> Shot:
    """A 3-frame shot to copy: each test gets its own folder without rendering a plate."""
    return make_shot(tmp_path_factory.mktemp("template"), colour, "1001-1003")


def copy_shot(template: Shot, folder: Path, frames: str | None = None) -> Shot:
    shutil.copytree(template.folder, folder)
    shot = Shot(folder, folder / "shot.yaml", list(template.frames))
    respec(shot, lambda d: None)  # the spec's paths are relative: rewrite it in place
    if frames is not None:
        respec(shot, lambda d: d["plate"].update(frames=frames))
        shot.frames = parse_frames(frames)
    return shot


@contextlib.contextmanager
def mounted(folder: Path, options: str) -> Iterator[None]:
    """A small tmpfs on ``folder`` for the block (as root); skips when none can be mounted."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): "
                    f"{done.stderr.strip() or done.returncode}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


class Paused:
    """``faceplate`` (fault_driver.py) paused half-way through writing the file whose temporary
    contains ``match``, until :meth:`go`."""

    def __init__(self, args: list[str], match: str) -> None:
        ready_r, ready_w = os.pipe()
        self._go_r, self._go_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if k != "OCIO"}
        env.update(FP_FAULT="pause", FP_FAULT_MATCH=match, FP_FAULT_READY_FD=str(ready_w),
                   FP_FAULT_GO_FD=str(self._go_r))
        self.proc = subprocess.Popen([sys.executable, str(DRIVER), *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     pass_fds=(ready_w, self._go_r))
        os.close(ready_w)
        os.close(self._go_r)
        with os.fdopen(ready_r) as ready:
            line = ready.readline()  # returns at once with "" if the driver died first
        if not line:
            _, err = self.proc.communicate()
            os.close(self._go_w)
            pytest.fail(f"the driver ended before the paused write: {err}")

    def go(self) -> subprocess.CompletedProcess[str]:
        os.close(self._go_w)
        out, err = self.proc.communicate(timeout=600)
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.communicate()
        os.close(self._go_w)


def faulty(args: list[str], match: str) -> subprocess.CompletedProcess[str]:
    """``faceplate`` whose write of ``match`` fails half-way."""
    env = {k: v for k, v in os.environ.items() if k != "OCIO"}
    env.update(FP_FAULT="raise", FP_FAULT_MATCH=match)
    return subprocess.run([sys.executable, str(DRIVER), *args], env=env, capture_output=True,
                          text=True, timeout=600)


# --- inputs are read-only by real path ---------------------------------------------------------

def _folder_link(shot: Shot) -> str:
    (shot.folder / "outlink").symlink_to(shot.folder / "plates")
    return "outlink/tst010.####.exr"


def _link_per_frame(shot: Shot) -> str:
    (shot.folder / "out").mkdir()
    # only the last frame is a link: the check must cover every frame of the range
    (shot.folder / "out" / "tst010_fp.1003.exr").symlink_to(shot.plate(1003))
    return "out/tst010_fp.####.exr"


def _dotdot_through_link(shot: Shot) -> str:
    (shot.folder / "plates" / "sub").mkdir()
    (shot.folder / "deep").symlink_to(shot.folder / "plates" / "sub")
    # by text deep/.. is the shot folder; by real path it is the plate folder
    return "deep/../tst010.####.exr"


def _dotdot_plain(shot: Shot) -> str:
    # the same file as the plate once normalised: fails if the check compares raw text
    return "out/../plates/./tst010.####.exr"


@pytest.mark.parametrize("make_path", [_folder_link, _link_per_frame, _dotdot_through_link,
                                       _dotdot_plain])
def test_an_output_that_is_the_plate_by_real_path_is_refused(template, tmp_path, make_path):
    shot = copy_shot(template, tmp_path / "shot")
    pattern = make_path(shot)
    respec(shot, lambda d: d["output"].update(path=pattern))
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    frame = 1003 if make_path is _link_per_frame else 1001
    plate = os.path.realpath(shot.plate(frame))
    assert line.startswith("ERROR: output.path: ") and "would overwrite the plate frame" in line
    assert plate in line and str(shot.folder / pattern.replace("####", f"{frame:04d}")) in line
    assert digests(shot) == before
    assert not (shot.folder / "out" / "qc").exists()


def test_a_qc_folder_holding_the_plate_is_refused(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    respec(shot, lambda d: d["output"].update(qc="plates"))
    before, listed = digests(shot), sorted((shot.folder / "plates").iterdir())
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line.startswith("ERROR: output.qc: the folder ") and "plate frame 1001" in line
    assert digests(shot) == before
    assert sorted((shot.folder / "plates").iterdir()) == listed


# --- delete only what faceplate wrote ----------------------------------------------------------

def test_a_qc_folder_holding_user_files_is_refused(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    user = shot.folder / "notes"
    user.mkdir()
    (user / "index.html").write_text("<p>the director's notes</p>")
    (user / "thumbs").mkdir()
    (user / "thumbs" / "frame.png").write_bytes(b"not faceplate's")
    respec(shot, lambda d: d["output"].update(qc="notes"))
    before = {**digests(shot), **{str(p): p.read_bytes() for p in user.rglob("*") if p.is_file()}}
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line.startswith("ERROR: output.qc: the folder ") and "index.html" in line
    assert {**digests(shot), **{str(p): p.read_bytes() for p in user.rglob("*")
                                if p.is_file()}} == before
    nothing_written(shot)


def test_files_added_to_faceplates_qc_and_cache_folders_are_never_removed(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot", "1001-1002")
    first = run_cli("run", str(shot.spec_path))
    assert first.returncode == 0, first.stderr
    qc = shot.qc_json.parent
    old_crops = sorted(p.name for p in (qc / "review" / "crop").glob("*.png"))
    assert old_crops
    mine = {qc / "notes.txt": b"review notes", qc / "review" / "crop" / "mine.png": b"my own",
            qc / "review" / "proxy" / "mine.jpg": b"my own proxy",
            qc / "cache" / "sources" / "mine.exr": b"my own texture"}
    for path, data in mine.items():
        path.write_bytes(data)
    before = digests(shot)
    # a re-render from a changed source: new review images, a new source texture, old ones
    # removed
    shutil.copyfile(shot.folder / "refs" / "actor_a.jpg", shot.folder / "refs" / "actor_b.jpg")
    respec(shot, lambda d: d["sources"]["actor_a"].update(images=["refs/actor_b.jpg"]))
    before = digests(shot)
    again = run_cli("run", str(shot.spec_path))
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert all(path.read_bytes() == data for path, data in mine.items())
    assert digests(shot) == before
    textures = [p.name for p in (qc / "cache" / "sources").glob("*.exr") if p.name != "mine.exr"]
    assert len(textures) == 1  # the old texture went, mine stayed
    crops = sorted(p.name for p in (qc / "review" / "crop").glob("*.png"))
    assert crops == sorted([*old_crops, "mine.png"])
    images_read_whole(shot.folder / "out", besides=tuple(mine))


# --- a bad frame is a flagged frame ------------------------------------------------------------

def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(path: Path, side: int) -> None:
    """A PNG whose header claims ``side`` x ``side`` RGB pixels (gigabytes decoded): the
    compressed start of its rows, and a MiB of private padding chunk, or OpenImageIO's own guard
    (a claim far beyond the file's size) would refuse it first."""
    row = b"\x00" + bytes(3 * side)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                     + _png_chunk(b"fpPd", bytes(1 << 20))
                     + _png_chunk(b"IDAT", zlib.compress(row * 4, 9)) + _png_chunk(b"IEND", b""))


def png_plate(template: Shot, folder: Path, colour) -> Shot:
    """The template's plate as 16-bit sRGB PNG frames, the output PNG too."""
    shot = copy_shot(template, folder)
    for f in shot.frames:
        frame = read_frame(shot.plate(f), f)
        rgb = colour.convert(frame.rgb_region(frame.data_box), "ACEScg",
                             "sRGB Encoded Rec.709 (sRGB)")
        pixels = np.clip(np.rint(np.clip(rgb, 0, 1) * 65535), 0, 65535).astype(np.uint16)
        write_image(shot.plate(f).with_suffix(".png"), oiio.ImageSpec(
            pixels.shape[1], pixels.shape[0], 3, oiio.UINT16), pixels)
        shot.plate(f).unlink()
    respec(shot, lambda d: (d["plate"].update(path="plates/tst010.####.png",
                                              colorspace="sRGB Encoded Rec.709 (sRGB)"),
                            d["output"].update(path="out/tst010_fp.####.png")))
    return shot


def test_a_decompression_bomb_frame_is_flagged_and_the_shot_carries_on(template, tmp_path,
                                                                       colour):
    shot = png_plate(template, tmp_path / "shot", colour)
    bomb_png(shot.folder / "plates" / "tst010.1002.png", 40_000)  # 4.8 GB of pixels decoded
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 3)
    assert "1 frame(s) not written: 1002" in line and "qc.json" in line
    records = qc_records(shot)
    assert records[1002]["status"] == "unreadable"
    assert "refused before decoding: data window 40000x40000" in \
        records[1002]["reasons"]["unreadable_frame"]
    assert [records[f]["status"] for f in (1001, 1003)] == ["swapped", "swapped"]
    written = images_read_whole(shot.folder / "out")
    assert {p.name for p in written if p.parent.name == "out"} == {
        "tst010_fp.1001.png", "tst010_fp.1003.png", "tst010_fp_matte.1001.exr",
        "tst010_fp_matte.1003.exr"}
    assert digests(shot) == before


def test_a_source_still_that_is_a_bomb_is_refused_by_its_header(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    bomb_png(shot.folder / "refs" / "bomb.png", 30_000)  # 10.8 GB as float
    respec(shot, lambda d: d["sources"]["actor_a"].update(images=["refs/bomb.png"]))
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line.startswith("ERROR: sources.actor_a.images[0]: refused before decoding: its "
                           "pixels need ")
    assert digests(shot) == before
    nothing_written(shot)


def enormous_data_window(path: Path, size: int) -> None:
    """An EXR with the plate's display window whose header claims a ``size`` x ``size`` data
    window: a small real EXR with its dataWindow attribute rewritten."""
    spec = oiio.ImageSpec(64, 32, 3, oiio.HALF)
    spec.full_width, spec.full_height = 640, 360
    spec.attribute("oiio:ColorSpace", "ACEScg")
    write_image(path, spec, np.zeros((32, 64, 3), np.float16))
    data = bytearray(path.read_bytes())
    at = data.index(b"dataWindow\x00box2i\x00") + len(b"dataWindow\x00box2i\x00") + 4
    data[at:at + 16] = struct.pack("<iiii", 0, 0, size - 1, size - 1)
    # a MiB of padding, or OpenImageIO's own guard (a claim far beyond the file's size) would
    # refuse it first
    path.write_bytes(bytes(data) + bytes(1 << 20))


def deep_exr(path: Path) -> None:
    """A deep EXR (one sample per pixel) with the plate's display window."""
    spec = oiio.ImageSpec(16, 8, 4, oiio.HALF)
    spec.channelnames = ("R", "G", "B", "Z")
    spec.channelformats = (oiio.HALF, oiio.HALF, oiio.HALF, oiio.FLOAT)
    spec.full_width, spec.full_height = 640, 360
    spec.deep = True
    deep = oiio.DeepData()
    deep.init(spec)
    for pixel in range(16 * 8):
        deep.set_samples(pixel, 1)
        for channel in range(4):
            deep.set_deep_value(pixel, channel, 0, 0.5)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec) and out.write_deep_image(deep) and out.close(), \
        out.geterror()


@pytest.mark.parametrize("damage,reason", [
    (lambda p: enormous_data_window(p, 20_000),
     "refused before decoding: data window 20000x20000 is far larger than the display window "
     "640x360"),
    (deep_exr, "refused before decoding: deep image"),
    # a file cut short mid-write elsewhere: unreadable by its error's type, not "missing"
    (lambda p: p.write_bytes(p.read_bytes()[:p.stat().st_size // 2]), "unreadable plate frame"),
])
def test_a_frame_refused_by_its_header_is_flagged_and_the_shot_carries_on(template, tmp_path,
                                                                          damage, reason):
    shot = copy_shot(template, tmp_path / "shot")
    damage(shot.plate(1002))
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 3)
    assert "1 frame(s) not written: 1002" in line
    records = qc_records(shot)
    assert records[1002]["status"] == "unreadable" and records[1002]["flags"] == \
        ["unreadable_frame"]
    assert reason in records[1002]["reasons"]["unreadable_frame"]
    assert [records[f]["status"] for f in (1001, 1003)] == ["swapped", "swapped"]
    assert {p.name for p in images_read_whole(shot.folder / "out") if p.parent.name == "out"} \
        == {f"tst010_fp{m}.{f}.exr" for f in (1001, 1003) for m in ("", "_matte")}
    assert digests(shot) == before


def test_a_full_disk_stops_the_shot_with_what_was_finished_recorded(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    out = shot.folder / "out"
    respec(shot, lambda d: d["output"].update(qc="qc"))  # the report on a disk with room
    # room for frame 1001 and its matte, not for 1002
    size = shot.plate(1001).stat().st_size + 400 * 1024
    before = digests(shot)
    with mounted(out, f"size={size}"):
        line = one_error_line(run_cli("run", str(shot.spec_path)), 3)
        assert line == (f"ERROR: {out / 'tst010_fp.1002.exr'} (frame 1002): no space left on "
                        "the device: the shot stopped; frames not rendered: 1003; see "
                        f"{shot.folder / 'qc' / 'qc.json'}")
        assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "tst010_fp.1001.exr",
                                                         "tst010_fp_matte.1001.exr"]
        assert json.loads((out / MANIFEST_NAME).read_text())["temporaries"] == []
        images_read_whole(out)
    records = qc_records(shot, shot.folder / "qc")
    assert records[1001]["status"] == "swapped"
    assert records[1002]["status"] == "unwritten"
    assert "no space left on the device" in records[1002]["reasons"]["unwritten_frame"]
    assert 1003 not in records
    summary = json.loads((shot.folder / "qc" / "qc.json").read_text())["summary"]
    assert summary["not_rendered"] == "1003"
    assert digests(shot) == before


# --- concurrent runs ---------------------------------------------------------------------------

def test_two_processes_rendering_the_same_frames_both_finish_whole(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    solved = run_cli("solve", str(shot.spec_path))
    assert solved.returncode == 0, solved.stderr
    before = digests(shot)
    args = ["render", str(shot.spec_path), "--frames", "1001-1003", "--force"]
    first = Paused(args, "_fp.1002.")  # half-way through writing frame 1002
    second = run_cli(*args)  # the whole range while the first holds its temporary
    assert second.returncode == 0 and second.stderr == "", second.stderr
    theirs = hashlib.sha256(shot.output(1002).read_bytes()).hexdigest()
    done = first.go()
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert hashlib.sha256(shot.output(1002).read_bytes()).hexdigest() == theirs  # same pixels
    for folder in (shot.folder / "out", shot.folder / "out" / "qc" / "frames"):
        assert not [p for p in folder.iterdir() if ".fptmp-" in p.name]
        assert json.loads((folder / MANIFEST_NAME).read_text())["temporaries"] == []
    assert len(images_read_whole(shot.folder / "out")) >= 6
    assert digests(shot) == before


# --- atomic writes -----------------------------------------------------------------------------

def test_a_writer_failing_half_way_leaves_the_old_frame(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot", "1001-1002")
    assert run_cli("run", str(shot.spec_path)).returncode == 0
    old = hashlib.sha256(shot.output(1002).read_bytes()).hexdigest()
    before = digests(shot)
    failed = faulty(["render", str(shot.spec_path), "--frames", "1002", "--force"], "_fp.1002.")
    assert failed.returncode == 1 and "injected: the writer failed half-way" in failed.stderr
    assert hashlib.sha256(shot.output(1002).read_bytes()).hexdigest() == old
    assert not [p for p in (shot.folder / "out").iterdir() if ".fptmp-" in p.name]
    assert json.loads((shot.folder / "out" / MANIFEST_NAME).read_text())["temporaries"] == []
    images_read_whole(shot.folder / "out")
    assert digests(shot) == before


def test_a_process_killed_half_way_leaves_no_partial_frame_and_resumes_bit_identical(
        template, tmp_path):
    clean = copy_shot(template, tmp_path / "clean")
    assert run_cli("run", str(clean.spec_path)).returncode == 0
    shot = copy_shot(template, tmp_path / "shot")
    before = digests(shot)
    paused = Paused(["run", str(shot.spec_path)], "_fp.1002.")
    temporaries = [p for p in (shot.folder / "out").iterdir() if ".fptmp-" in p.name]
    assert len(temporaries) == 1 and temporaries[0].stat().st_size > 0  # half a frame there
    assert not shot.output(1002).exists()  # never under its final name
    paused.kill()
    assert shot.output(1001).is_file() and not shot.output(1002).exists()
    again = run_cli("run", str(shot.spec_path))
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert "frames rendered: 2; already complete: 1" in again.stdout
    assert not [p for p in (shot.folder / "out").iterdir() if ".fptmp-" in p.name]
    for f in shot.frames:
        assert shot.output(f).read_bytes() == clean.output(f).read_bytes(), f
        assert shot.matte(f).read_bytes() == clean.matte(f).read_bytes(), f
    assert digests(shot) == before


# --- pre-flight refusals -----------------------------------------------------------------------

@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only for this process: a read-only mount as root (who may write
    anything a mode forbids), else the mode."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        with mounted(folder, "ro,size=64k"):
            yield
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


@pytest.mark.parametrize("key,folder", [("output.path", "out"), ("output.qc", "qc")])
def test_a_read_only_folder_is_refused_before_anything_is_written(template, tmp_path, key,
                                                                  folder):
    shot = copy_shot(template, tmp_path / "shot")
    respec(shot, lambda d: d["output"].update(qc="qc"))
    before = digests(shot)
    with read_only(shot.folder / folder):
        line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line.startswith(f"ERROR: {key}: the folder {shot.folder / folder} is not writable")
    nothing_written(shot, shot.folder / "qc")
    assert digests(shot) == before


def test_an_output_name_too_long_for_the_file_system_is_refused(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    limit = os.pathconf(shot.folder, "PC_NAME_MAX")
    stem = "x" * (limit - len(".1001.exr") - 5)  # fits, but its temporary does not
    respec(shot, lambda d: d["output"].update(path=f"out/{stem}.####.exr"))
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line.startswith("ERROR: output.path: the name xxxx") and f"allows {limit}" in line
    nothing_written(shot)  # found before the caches were written
    assert digests(shot) == before


def test_an_output_format_that_cannot_hold_the_plate_is_refused_unless_asked_by_name(
        template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot", "1001")
    respec(shot, lambda d: d["output"].update(path="out/tst010_fp.####.png"))
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line.startswith("ERROR: output.path: .png files cannot hold the plate's half "
                           "samples") and "output.pixel_type" in line
    nothing_written(shot)
    respec(shot, lambda d: d["output"].update(pixel_type="uint8"))
    before = digests(shot)
    done = run_cli("run", str(shot.spec_path))
    assert done.returncode == 0, done.stderr
    written = oiio.ImageInput.open(str(shot.folder / "out" / "tst010_fp.1001.png"))
    assert str(written.spec().format) == "uint8"
    written.close()
    respec(shot, lambda d: d["output"].update(pixel_type="uint16"))  # part of the render key
    before = digests(shot)
    again = run_cli("run", str(shot.spec_path))
    assert again.returncode == 0 and "frames rendered: 1; already complete: 0" in again.stdout
    written = oiio.ImageInput.open(str(shot.folder / "out" / "tst010_fp.1001.png"))
    assert str(written.spec().format) == "uint16"
    written.close()
    assert digests(shot) == before


def test_a_matte_channel_the_plate_has_is_refused_before_anything_is_written(template,
                                                                           tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    respec(shot, lambda d: d["output"].update(matte_channel="depth.Z"))
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path)), 2)
    assert line == ("ERROR: output.matte_channel: 'depth.Z' is already a channel of the plate "
                    "(frame 1001: R, G, B, depth.Z); name another")
    nothing_written(shot)
    assert digests(shot) == before


def test_an_alias_bomb_spec_is_refused_in_one_short_line(tmp_path):
    lines = ["version: 1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 12)]
    lines.append("shot: *a11")  # 8**12 strings once expanded
    spec = tmp_path / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\n")
    before = hashlib.sha256(spec.read_bytes()).hexdigest()
    line = one_error_line(run_cli("run", str(spec)), 2)
    assert line == (f"ERROR: {spec}: shot spec expands to more than 100000 values through its "
                    "aliases (&anchor, *alias): refused")
    assert hashlib.sha256(spec.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("where,value,expected", [
    ("plate.frames", "1-10000000", f"10000000 frames in '1-10000000': more than the "
                                   f"{DEFAULT_MAX_FRAMES} a shot may hold"),
    ("plate.frames", "1003-1001", "reversed range 1003-1001: the first frame comes after the last"),
    ("--frames", "1-10000000", "10000000 frames in '1-10000000'"),
    ("--frames", "1002-1001", "reversed range 1002-1001"),
    ("--frames", "abc", "not a frame range: 'abc' (expected e.g. 1001-1048"),
])
def test_huge_reversed_and_malformed_ranges_are_refused(template, tmp_path, where, value,
                                                        expected):
    shot = copy_shot(template, tmp_path / "shot")
    extra = []
    if where == "plate.frames":
        respec(shot, lambda d: d["plate"].update(frames=value))
    else:
        extra = ["--frames", value]
    before = digests(shot)
    line = one_error_line(run_cli("run", str(shot.spec_path), *extra), 2)
    assert line.startswith(f"ERROR: {where}: {expected}"), line
    nothing_written(shot)
    assert digests(shot) == before


def test_the_frame_bound_is_configurable(template, tmp_path):
    shot = copy_shot(template, tmp_path / "shot")
    env = {k: v for k, v in os.environ.items() if k != "OCIO"} | {"FACEPLATE_MAX_FRAMES": "2"}
    done = subprocess.run([str(BIN / "faceplate"), "analyse", str(shot.spec_path)],
                          capture_output=True, text=True, env=env)
    assert one_error_line(done, 2) == ("ERROR: plate.frames: 3 frames in '1001-1003': more "
                                       "than the 2 a shot may hold (set FACEPLATE_MAX_FRAMES to "
                                       "allow more)")


# --- signals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_after_the_frame_in_flight_and_writes_the_report(template, tmp_path,
                                                                        signum, code):
    shot = copy_shot(template, tmp_path / "shot")
    before = digests(shot)
    paused = Paused(["run", str(shot.spec_path)], "_fp.1002.")  # frame 1002 in flight
    paused.proc.send_signal(signum)
    done = paused.go()
    line = one_error_line(done, code)
    name = signal.Signals(signum).name
    assert line == (f"ERROR: {name}: stopped after frame 1002; frames not rendered: 1003; "
                    f"see {shot.qc_json}")
    assert {p.name for p in images_read_whole(shot.folder / "out") if p.parent.name == "out"} \
        == {f"tst010_fp{m}.{f}.exr" for f in (1001, 1002) for m in ("", "_matte")}
    records = qc_records(shot)
    assert sorted(records) == [1001, 1002]
    summary = json.loads(shot.qc_json.read_text())["summary"]
    assert summary["not_rendered"] == "1003" and summary["rendered"] == 2
    assert digests(shot) == before
