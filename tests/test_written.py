"""The pieces under docs/safety.md, one by one: the written-files manifest, temporaries and their
cleanup, errors told by number, bounded YAML, frame headers held to limits, frame ranges."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import OpenImageIO as oiio
import pytest

from faceplate import written
from faceplate.errors import DiskFullError, FrameRefusedError, OutputError, SpecError
from faceplate.frames import parse_frames
from faceplate.plateio.limits import FrameLimits, check_header
from faceplate.spec.yamlfile import MAX_YAML_BYTES, load_yaml
from faceplate.written import (
    MANIFEST_NAME,
    STALE_AFTER_S,
    TEMPORARY_EXTRA,
    Manifest,
    atomic_write,
    foreign_entries,
    nearly_full,
    remove_written,
    temporary_name,
    write_bytes,
    write_error,
)


def listed(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def test_only_files_the_manifest_lists_are_removed(tmp_path):
    (tmp_path / "user.png").write_bytes(b"theirs")
    write_bytes(tmp_path / "ours.png", b"ours", record=True)
    write_bytes(tmp_path / "kept.png", b"ours too", record=True)
    write_bytes(tmp_path / "frame.exr", b"not recorded")
    assert listed(tmp_path)["files"] == ["kept.png", "ours.png"]
    assert remove_written(tmp_path, keep=lambda name: name == "kept.png") == ["ours.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, "frame.exr", "kept.png",
                                                          "user.png"]
    assert listed(tmp_path)["files"] == ["kept.png"]


def test_a_damaged_or_hostile_manifest_removes_nothing(tmp_path):
    # Every name here lies inside tmp_path: a broken filter must never reach a real file.
    folder = tmp_path / "qc"
    folder.mkdir()
    (folder / "user.png").write_bytes(b"theirs")
    (tmp_path / "outside.png").write_bytes(b"theirs")
    (tmp_path / "absolute.png").write_bytes(b"theirs")
    names = ["../outside.png", str(tmp_path / "absolute.png"), ".."]
    (folder / MANIFEST_NAME).write_text(json.dumps({"files": names}))
    assert remove_written(folder) == []
    (folder / MANIFEST_NAME).write_bytes(b"\x00 not json")
    assert remove_written(folder) == []
    assert all(p.exists() for p in (folder / "user.png", tmp_path / "outside.png",
                                    tmp_path / "absolute.png"))


def test_a_folder_is_faceplates_when_empty_or_holding_its_manifest(tmp_path):
    assert foreign_entries(tmp_path / "absent") == []
    assert foreign_entries(tmp_path) == []
    (tmp_path / "frames").mkdir()
    write_bytes(tmp_path / "frames" / "1001.json", b"{}")  # a first run that stopped early
    assert foreign_entries(tmp_path) == []
    (tmp_path / "notes.txt").write_text("theirs")
    assert foreign_entries(tmp_path) == ["notes.txt"]
    write_bytes(tmp_path / "qc.json", b"{}", record=True)  # faceplate's: others' files stay
    assert foreign_entries(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_lists_no_temporary(tmp_path):
    final = tmp_path / "frame.1001.exr"
    write_bytes(final, b"old frame")
    with pytest.raises(RuntimeError, match="half-way"), atomic_write(final) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".frame.1001.fptmp-")
        assert tmp.suffix == ".exr" and listed(tmp_path)["temporaries"] == [tmp.name]
        tmp.write_bytes(b"half a fr")
        raise RuntimeError("half-way")
    assert final.read_bytes() == b"old frame"
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, final.name]
    assert listed(tmp_path)["temporaries"] == []


def _listed_temporary(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"partial")
    with Manifest(folder)._locked() as body:
        body["temporaries"].append(name)
    return path


def test_stale_temporaries_are_those_whose_writer_is_gone(tmp_path):
    final = tmp_path / "frame.1001.exr"
    ours = temporary_name(final)
    host = ours.split(".fptmp-")[1][:4]
    other_host = "ffff" if host != "ffff" else "eeee"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-{gone.stdout.strip()}-aa.exr")
    live = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-{os.getppid()}-bb.exr")
    locked = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-{gone.stdout.strip()}-cc.exr")
    young = _listed_temporary(tmp_path, f".frame.1001.fptmp-{other_host}-1-dd.exr")
    old = _listed_temporary(tmp_path, f".frame.1001.fptmp-{other_host}-1-ee.exr")
    # this process's own, not locked: another thread's, between creating and locking it
    mine = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-{os.getpid()}-gg.exr")
    mine_old = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-{os.getpid()}-hh.exr")
    unlisted = tmp_path / f".frame.1001.fptmp-{host}-{gone.stdout.strip()}-ff.exr"
    unlisted.write_bytes(b"not in the manifest: not faceplate's to remove")
    long_ago = time.time() - STALE_AFTER_S - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(mine_old, (long_ago, long_ago))
    fd = os.open(locked, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer still at work, whatever its pid says
    try:
        removed = Manifest(tmp_path).remove_stale_temporaries()
    finally:
        os.close(fd)
    assert sorted(removed) == sorted([dead.name, old.name, mine_old.name])
    assert not dead.exists() and not old.exists() and not mine_old.exists()
    assert live.exists() and locked.exists() and young.exists() and unlisted.exists()
    assert mine.exists()
    assert sorted(listed(tmp_path)["temporaries"]) == sorted([live.name, locked.name, young.name,
                                                              mine.name])


def test_names_not_made_by_temporary_name_are_never_taken_for_stale_temporaries(tmp_path):
    """A listed name with a host tag of another length, or without the random tail, is not a
    temporary faceplate names: kept however old, whatever its pid."""
    host = temporary_name(tmp_path / "frame.1001.exr").split(".fptmp-")[1][:4]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    odd = [_listed_temporary(tmp_path, name) for name in (
        f".frame.1001.fptmp-{host}x-{gone}-aa.exr",  # five characters of host
        f".frame.1001.fptmp-{host}-{gone}.exr")]  # no random tail
    long_ago = time.time() - STALE_AFTER_S - 60
    for path in odd:
        os.utime(path, (long_ago, long_ago))
    assert Manifest(tmp_path).remove_stale_temporaries() == []
    assert all(path.exists() for path in odd)


def test_a_manifest_that_cannot_be_written_is_an_output_error_naming_it(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    Manifest(tmp_path).add(["a.exr"])
    monkeypatch.setattr(written.os, "write", full)
    with pytest.raises(DiskFullError, match="no space left") as caught:
        Manifest(tmp_path).add(["b.exr"])
    assert caught.value.path == str(tmp_path / MANIFEST_NAME)


def test_write_errors_are_told_by_their_number():
    path = Path("/x/frame.exr")
    full = write_error(OSError(errno.ENOSPC, "No space left on device"), path, 1001)
    quota = write_error(OSError(errno.EDQUOT, "Disk quota exceeded"), path)
    denied = write_error(OSError(errno.EACCES, "No space left on device"), path)  # text lies
    assert isinstance(full, DiskFullError) and full.frame == 1001
    assert isinstance(quota, DiskFullError)
    assert type(denied) is OutputError


def test_an_unwritable_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="cannot write"):
        write_bytes(blocker / "qc.json", b"{}")
    with pytest.raises(OutputError, match="cannot write"):
        Manifest(blocker / "frames").add(["frame.1001.exr"])  # the manifest's own folder


# --- bounded YAML ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("a: &a [1, *a]\n", "an alias refers to a node that contains it"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("a: [1, 2\n", "not valid YAML at line 2"),
])
def test_hostile_yaml_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "shot.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message) as err:
        load_yaml(path, "shot spec")
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


def test_large_and_binary_yaml_files_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_YAML_BYTES)
    with pytest.raises(SpecError, match="larger than 1048576 bytes"):
        load_yaml(big, "shot spec")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"a: \xff\xfe")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_yaml(binary, "shot spec")
    fine = tmp_path / "fine.yaml"
    fine.write_text("a: &x [1, 2]\nb: *x\n")
    assert load_yaml(fine, "shot spec") == {"a": [1, 2], "b": [1, 2]}


# --- frame headers -----------------------------------------------------------------------------

def _spec(width: int, height: int, channels: int = 3, fmt=oiio.HALF) -> oiio.ImageSpec:
    spec = oiio.ImageSpec(width, height, channels, fmt)
    spec.full_width, spec.full_height = 640, 360
    return spec


@pytest.mark.parametrize("spec,limits,message", [
    (_spec(640, 360), FrameLimits(max_bytes=1000), "its pixels need 1 MiB decoded, more than "
                                                  "the 0 MiB"),
    (_spec(640, 360, 9), FrameLimits(max_channels=8, max_bytes=1 << 30), "9 channels, more "
                                                                          "than 8"),
    (_spec(64, 64, 3, oiio.INT16), FrameLimits(max_bytes=1 << 30), "sample type int16"),
    (_spec(1921, 360), FrameLimits(display=(640, 360), max_bytes=1 << 30),
     "data window 1921x360 is far larger than the display window 640x360"),
])
def test_a_header_outside_the_limits_is_refused(spec, limits, message):
    with pytest.raises(FrameRefusedError, match=message) as err:
        check_header([spec], limits, Path("p.1001.exr"), 1001)
    assert err.value.frame == 1001


def test_a_header_inside_the_limits_passes():
    check_header([_spec(1920, 1080)], FrameLimits(display=(640, 360), max_bytes=1 << 30),
                 Path("p.1001.exr"), 1001)  # overscan up to three times each way


# --- frame ranges ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("1010-1001", "reversed range 1010-1001"),
    ("1001-1010x0", "step 0 in 1001-1010x0"),
    ("1001,abc", "not a frame range: 'abc' in '1001,abc'"),
    ("1-5000000", "5000000 frames in '1-5000000': more than the 100000"),
    (True, "expected a frame range such as 1001-1048, got True"),
])
def test_bad_ranges_say_why_in_one_line(text, message):
    with pytest.raises(SpecError, match=message) as err:
        parse_frames(text)
    assert "\n" not in str(err.value)


def test_the_range_bound_counts_before_expanding():
    assert parse_frames(" 1001-1004 , 1010 ", limit=5) == [1001, 1002, 1003, 1004, 1010]
    with pytest.raises(SpecError, match="6 frames"):
        parse_frames("1001-1004,1010-1011", limit=5)
    with pytest.raises(SpecError, match="1000000000000 frames"):
        parse_frames("1-1000000000000")  # refused at once, never listed


def test_another_hosts_temporary_is_stale_after_six_hours(tmp_path):
    """docs/safety.md: a temporary whose writer runs on another host is removed once it is
    older than six hours, not before, whatever its pid means here."""
    ours = temporary_name(tmp_path / "frame.1001.exr")
    other_host = "ffff" if ours.split(".fptmp-")[1][:4] != "ffff" else "eeee"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    young = _listed_temporary(tmp_path, f".frame.1001.fptmp-{other_host}-{gone}-aa.exr")
    old = _listed_temporary(tmp_path, f".frame.1001.fptmp-{other_host}-1-bb.exr")
    for path, seconds in ((young, 6 * 3600 - 360), (old, 6 * 3600 + 3)):
        then = time.time() - seconds
        os.utime(path, (then, then))
    assert Manifest(tmp_path).remove_stale_temporaries() == [old.name]
    assert young.exists() and not old.exists()


def test_a_temporarys_name_adds_at_most_temporary_extra_characters(tmp_path, monkeypatch):
    """The output-name length check (pipeline/targets) adds TEMPORARY_EXTRA to each name: the
    most a temporary adds, with the longest pid (7 digits)."""
    monkeypatch.setattr(os, "getpid", lambda: 9_999_999)
    final = tmp_path / "frame.1001.exr"
    assert len(temporary_name(final)) - len(final.name) == TEMPORARY_EXTRA


def test_a_full_file_system_is_one_with_under_a_mebibyte_free(tmp_path, monkeypatch):
    class Free:
        f_frsize = 4096

        def __init__(self, free: int) -> None:
            self.f_bavail = free // self.f_frsize
    for free, full in ((2**20 - 4096, True), (2**20, False), (2**21 - 4096, False)):
        monkeypatch.setattr(written.os, "statvfs", lambda folder, free=free: Free(free))
        assert nearly_full(tmp_path) is full, free

    def fails(folder):
        raise OSError(errno.EIO, "statvfs failed")
    monkeypatch.setattr(written.os, "statvfs", fails)
    assert nearly_full(tmp_path) is False  # unknown: the write's own error is reported


def test_foreign_entries_are_all_but_the_manifest_and_sub_folders_with_their_own(tmp_path):
    (tmp_path / ".a_dotfile").write_text("someone's")  # sorts before the manifest's name
    (tmp_path / "plain").mkdir()  # a folder without a manifest is not faceplate's
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / MANIFEST_NAME).write_text("{}")
    assert foreign_entries(tmp_path) == [".a_dotfile", "plain"]


def test_remove_written_removes_every_listed_file_unless_told_to_keep(tmp_path):
    for name in ("a.exr", "b.exr"):
        write_bytes(tmp_path / name, b"x", record=True)
    (tmp_path / "theirs.exr").write_bytes(b"not listed")
    assert sorted(remove_written(tmp_path)) == ["a.exr", "b.exr"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, "theirs.exr"]
    write_bytes(tmp_path / "c.exr", b"x", record=True)
    assert Manifest(tmp_path).remove() == ["c.exr"]


def test_the_manifest_names_what_was_written_and_an_unlisted_folder_nothing(tmp_path):
    assert Manifest(tmp_path / "none").names() == set()
    assert not (tmp_path / "none").exists()  # asking creates nothing
    write_bytes(tmp_path / "a.exr", b"x", record=True)
    write_bytes(tmp_path / "b.exr", b"x")
    assert Manifest(tmp_path).names() == {"a.exr"}


def test_a_rename_that_fails_is_an_output_error_and_leaves_no_temporary(tmp_path):
    final = tmp_path / "frame.1001.exr"
    final.mkdir()
    (final / "inside").write_text("a folder where the frame should go")
    with pytest.raises(OutputError) as caught:
        write_bytes(final, b"frame")
    assert caught.value.path == str(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, "frame.1001.exr"]
    assert listed(tmp_path)["temporaries"] == []


@pytest.mark.parametrize("age, removed", [(21600.0, False), (21601.0, True)])
def test_another_hosts_temporary_is_kept_at_six_hours_and_removed_a_second_later(
        tmp_path, age, removed):
    """docs/safety.md's six hours (21 600 s), at the second: at exactly six hours old another
    host's temporary is kept, one second older it is removed (a clock given, not read)."""
    ours = temporary_name(tmp_path / "frame.1001.exr")
    other_host = "ffff" if ours.split(".fptmp-")[1][:4] != "ffff" else "eeee"
    path = _listed_temporary(tmp_path, f".frame.1001.fptmp-{other_host}-1-cc.exr")
    written = 1_700_000_000.0
    os.utime(path, (written, written))
    assert Manifest(tmp_path)._remove_if_stale(path.name, now=written + age) is removed
    assert path.exists() is not removed


def test_a_listed_temporary_already_gone_is_dropped_from_the_manifest(tmp_path):
    """Its writer renamed or removed it: nothing to remove, and the manifest stops listing it
    (another host's, so only its absence tells)."""
    path = _listed_temporary(tmp_path, ".frame.1001.fptmp-ffff-1-dd.exr")
    path.unlink()
    assert Manifest(tmp_path).remove_stale_temporaries() == [path.name]
    with Manifest(tmp_path)._locked() as body:
        assert body["temporaries"] == []


def test_the_manifest_adds_names_to_those_it_lists_in_a_new_nested_folder(tmp_path):
    folder = tmp_path / "renders" / "v002"  # neither exists yet
    Manifest(folder).add(["b.1001.exr", "a.1001.exr"])
    Manifest(folder).add(["c.1001.exr", "a.1001.exr"])
    assert Manifest(folder).names() == {"a.1001.exr", "b.1001.exr", "c.1001.exr"}


def test_a_temporary_of_another_live_process_here_is_kept(tmp_path):
    """Same host, pid 1 (always running, and below ours): its writer is alive, it is not ours,
    and it is young: kept."""
    ours = temporary_name(tmp_path / "frame.1001.exr")
    host = ours.split(".fptmp-")[1][:4]
    path = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-1-ee.exr")
    assert Manifest(tmp_path).remove_stale_temporaries() == []
    assert path.exists()


def test_a_manifest_that_cannot_be_opened_is_an_output_error(tmp_path):
    """A folder stands where the manifest should be: opening it for writing fails."""
    (tmp_path / MANIFEST_NAME).mkdir()
    with pytest.raises(OutputError, match="cannot write"):
        Manifest(tmp_path).add(["frame.1001.exr"])


def test_a_write_keeps_listing_another_writers_live_temporary(tmp_path):
    """A frame written next to another host's young temporary: that one stays listed (its
    writer may still rename it), only the write's own temporary leaves the list."""
    path = _listed_temporary(tmp_path, ".frame.1002.fptmp-ffff-1-ff.exr")
    write_bytes(tmp_path / "frame.1001.exr", b"pixels", record=True)
    with Manifest(tmp_path)._locked() as body:
        assert body["temporaries"] == [path.name]
        assert body["files"] == ["frame.1001.exr"]
    assert path.exists()


def test_the_manifest_is_the_text_json_writes_with_indent_0_a_name_a_line(tmp_path):
    """Made by the C encoder a list at a time, the text is ``json.dumps(indent=0)``'s to the
    byte (what older faceplates wrote; people read it): names escaped alike, non-ASCII ones
    too, an empty list as ``[]``."""
    names = ['b "quoted".png', "a\\back.png", "é.png", "tab\t.png", "😀.jpg"]
    Manifest(tmp_path).add(names)
    expected = {"schema": "faceplate.written/1", "files": sorted(names), "temporaries": []}
    assert (tmp_path / MANIFEST_NAME).read_bytes() == json.dumps(expected, indent=0).encode()
    with atomic_write(tmp_path / "c.png") as tmp:
        expected["temporaries"] = [tmp.name]
        assert (tmp_path / MANIFEST_NAME).read_bytes() == json.dumps(expected,
                                                                     indent=0).encode()


def test_a_manifest_is_rewritten_only_when_what_it_lists_changes(tmp_path):
    """One written by another writer (compact JSON here) is read as it stands and left byte
    for byte while nothing it lists changes; the first change writes it in faceplate's
    layout."""
    text = json.dumps({"schema": "faceplate.written/1", "files": ["a.png"], "temporaries": []})
    (tmp_path / MANIFEST_NAME).write_text(text)
    (tmp_path / "a.png").write_bytes(b"ours")
    manifest = Manifest(tmp_path)
    assert manifest.names() == {"a.png"}
    manifest.add(["a.png"])
    assert manifest.remove_stale_temporaries() == []
    assert manifest.remove(keep=lambda name: True) == []
    assert (tmp_path / MANIFEST_NAME).read_text() == text
    manifest.add(["b.png"])
    assert listed(tmp_path) == {"schema": "faceplate.written/1", "files": ["a.png", "b.png"],
                                "temporaries": []}
    assert (tmp_path / MANIFEST_NAME).read_text() != text


@pytest.mark.parametrize("bad", [3, None, ["x"], "a/b.png", "", ".", "..", MANIFEST_NAME])
def test_each_name_a_manifest_may_not_list_is_dropped_alone(tmp_path, bad):
    """One bad entry among good names (the list is checked whole first, then name by name):
    only it is dropped, whatever it is."""
    for key in ("files", "temporaries"):
        (tmp_path / MANIFEST_NAME).write_text(json.dumps({key: ["a.png", bad, "b.png"]}))
        with Manifest(tmp_path)._locked() as body:
            assert body[key] == ["a.png", "b.png"]


def test_a_temporary_is_in_use_only_while_another_open_file_holds_its_lock(tmp_path):
    """Held by a writer's lock: in use; unlocked: not; gone before its lock is tried (its
    writer renamed it after the manifest looked at its age): not in use, and no error."""
    path = tmp_path / ".frame.1001.fptmp-ffff-1-aa.exr"
    path.write_bytes(b"half written")
    assert written._in_use(path) is False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another open file's lock, as the writer's
        assert written._in_use(path) is True
    finally:
        os.close(fd)
    assert written._in_use(path) is False
    path.unlink()
    assert written._in_use(path) is False


def test_a_temporary_is_judged_by_its_last_mark_when_the_file_name_holds_one_too(tmp_path):
    """The final name may itself hold ``.fptmp-``: the writer is named after the last mark
    (another host's here, seven hours old: stale, removed)."""
    ours = temporary_name(tmp_path / "x.fptmp-1.exr")
    assert ours.count(".fptmp-") == 2
    path = _listed_temporary(tmp_path, ".x.fptmp-1.fptmp-ffff-1-aa.exr")
    long_ago = time.time() - 7 * 3600
    os.utime(path, (long_ago, long_ago))
    assert Manifest(tmp_path).remove_stale_temporaries() == [path.name]
    assert not path.exists()


def _dead_pid_below(pid: int) -> int:
    for candidate in range(pid - 1, 1, -1):
        try:
            os.kill(candidate, 0)
        except ProcessLookupError:
            return candidate
        except PermissionError:
            pass
    pytest.fail(f"no free pid below {pid}")


def test_a_young_temporary_of_a_dead_process_here_with_a_lower_pid_is_removed(tmp_path):
    """Same host, a pid below ours that no process holds: its writer is gone, so it is stale
    however young (the pid only has to differ from ours)."""
    host = temporary_name(tmp_path / "frame.1001.exr").split(".fptmp-")[1][:4]
    dead = _dead_pid_below(os.getpid())
    path = _listed_temporary(tmp_path, f".frame.1001.fptmp-{host}-{dead}-aa.exr")
    assert Manifest(tmp_path).remove_stale_temporaries() == [path.name]
    assert not path.exists()


def test_a_failed_write_whose_temporary_is_already_gone_reports_its_own_error(tmp_path):
    """The write stopped by its own error after its temporary went (removed by the writer
    itself): that error is the one raised, and the manifest lists nothing."""
    with pytest.raises(RuntimeError, match="the encoder gave up"), \
            atomic_write(tmp_path / "frame.1001.exr") as tmp:
        tmp.unlink()
        raise RuntimeError("the encoder gave up")
    assert listed(tmp_path)["temporaries"] == [] and listed(tmp_path)["files"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME]
