"""The standard streams held while a library that prints what faceplate reports itself runs,
then written on less its lines (faceplate.streams), and never held while a process starts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from faceplate import streams


def test_what_others_write_while_held_is_written_on_less_the_dropped_lines(capfd):
    files = sorted(os.listdir("/proc/self/fd"))
    with streams.held_output(("/a.exr: (EXR_ERR_", "Warning: part")) as held:
        assert held is True
        os.write(2, b"/a.exr: (EXR_ERR_CORRUPT_CHUNK) dropped\n")
        os.write(2, b"another thread's line\n")
        os.write(2, b"/b.exr: (EXR_ERR_CORRUPT_CHUNK) about another file\n")
        print("Warning: part 0 - dropped")
        print("a print of another thread's")
        assert capfd.readouterr() == ("", "")  # held
    out, err = capfd.readouterr()
    assert err == "another thread's line\n/b.exr: (EXR_ERR_CORRUPT_CHUNK) about another file\n"
    assert out == "a print of another thread's\n"
    os.write(2, b"after\n")
    print("after")
    assert capfd.readouterr() == ("after\n", "after\n")  # the streams are back
    assert sorted(os.listdir("/proc/self/fd")) == files  # none left open


def test_python_s_own_standard_error_is_held_and_a_process_without_one_holds_the_rest():
    code = ("import os, sys\n"
            "from faceplate import streams\n"
            "with streams.held_output(('x',)):\n"
            "    sys.stderr.write('a progress bar\\r')\n"
            "    sys.stderr.flush()\n"
            "    os.write(2, b'xdropped\\n')\n"
            "    os.write(1, b'held? ' + os.fstat(2).st_size.to_bytes(1, 'big'))\n"
            "os.close(2)\n"
            "with streams.held_output(('x',)):\n"
            "    print('kept')\n"
            "    print('xdropped')\n"
            "sys.stdout.flush()\n"
            "sys.stdout = None\n"
            "with streams.held_output(('x',)):\n"
            "    print('nowhere')\n"
            "os.write(1, b'done')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"held? " + bytes([len("a progress bar\rxdropped\n")]) + b"kept\ndone"
    assert done.stderr == b"a progress bar\r"


def test_a_process_starts_only_when_no_stream_is_held():
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with streams.held_output(()):
            holding.set()
            release.wait()
            order.append("held")

    def start() -> None:
        with streams.as_they_are():
            order.append("started")
    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    holding.wait()
    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    starter.join(0.2)  # it waits for the hold
    seen = list(order)
    release.set()
    assert seen == []
    holder.join()
    starter.join()
    assert order == ["held", "started"]


def test_with_no_temporary_folder_nothing_is_held(tmp_path, capfd):
    import tempfile
    files = sorted(os.listdir("/proc/self/fd"))
    before, tempfile.tempdir = tempfile.tempdir, str(tmp_path / "gone")
    try:  # pytest's own capture makes temporary files too: put back at once
        with streams.held_output(("x",)) as held:
            os.write(2, b"xnot held\n")
    finally:
        tempfile.tempdir = before
    assert held is False
    assert capfd.readouterr().err == "xnot held\n"
    assert sorted(os.listdir("/proc/self/fd")) == files  # the saved descriptor closed
    with streams.as_they_are():  # and the lock let go
        pass
