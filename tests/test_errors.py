"""The exception tree (faceplate.errors): what each error says, on one line for the CLI, with its
key, path and frame; the exit code of each kind; several spec errors at once; errors pickled
whole (a render worker's error reaches its parent)."""

from __future__ import annotations

import pickle
import signal
from pathlib import Path

import pytest

from faceplate.errors import (
    ONE_LINE_LIMIT,
    ColourError,
    DiskFullError,
    FaceplateError,
    FarmError,
    FrameRefusedError,
    IncompleteShotError,
    LicenceRefusedError,
    ModelError,
    ModelHashError,
    ModelNotFoundError,
    OutputError,
    PlateError,
    PlateMissingError,
    RunStopped,
    SpecError,
    SpecErrors,
    StageError,
    one_line,
    raise_spec_errors,
)


def test_one_line_folds_breaks_and_runs_of_spaces_and_cuts_at_the_limit() -> None:
    assert one_line("  a\n\tb   c \r\n") == "a b c"
    assert one_line("abcdef", limit=6) == "abcdef"       # exactly the limit: whole
    assert one_line("abcdefg", limit=6) == "abc..."      # one past it: cut, 6 in all
    assert ONE_LINE_LIMIT == 1000
    long = one_line("x" * 1001)
    assert long == "x" * 997 + "..." and len(long) == 1000
    assert one_line("x" * 1000) == "x" * 1000


def test_an_error_names_its_frame_and_a_path_its_message_does_not_hold() -> None:
    assert str(FaceplateError("bad")) == "bad"
    assert str(FaceplateError("bad", frame=0)) == "bad (frame 0)"   # frame 0 is a frame
    assert str(FaceplateError("bad", path="/p/a.exr")) == "bad (/p/a.exr)"
    assert str(FaceplateError("bad", path="/p/a.exr", frame=7)) == "bad (frame 7, /p/a.exr)"
    said = FaceplateError("cannot read /p/a.exr", path="/p/a.exr", frame=7)
    assert str(said) == "cannot read /p/a.exr (frame 7)"
    error = FaceplateError("bad", path=Path("/p/a.exr"))
    assert error.path == "/p/a.exr" and error.message == "bad" and error.frame is None
    assert FaceplateError("bad").path is None and error.parts() == (error,)


def test_one_line_leads_with_the_file_then_the_frame() -> None:
    assert FaceplateError("bad").one_line() == "bad"
    assert FaceplateError("bad", frame=0).one_line() == "frame 0: bad"
    assert FaceplateError("bad", path="/p/a.exr").one_line() == "/p/a.exr: bad"
    assert FaceplateError("bad", path="/p/a.exr", frame=3).one_line() == \
        "/p/a.exr (frame 3): bad"
    # a path the message already names is not repeated; the frame still leads
    assert FaceplateError("cannot read /p/a.exr", path="/p/a.exr", frame=3).one_line() == \
        "frame 3: cannot read /p/a.exr"
    assert FaceplateError("no\n  space", path="/p").one_line() == "/p: no space"
    assert FaceplateError("abcdefgh", path="/p").one_line(limit=8) == "/p: a..."


def test_a_spec_error_leads_with_its_key() -> None:
    error = SpecError("not a number", key="plate.frames", path="/s/shot.yaml")
    assert error.key == "plate.frames" and error.exit_code == 2
    assert error.message == "plate.frames: not a number"
    assert str(error) == "plate.frames: not a number (/s/shot.yaml)"
    assert error.one_line() == "plate.frames: not a number (/s/shot.yaml)"
    assert error.one_line(limit=10) == "plate.f..."
    bare = SpecError("no spec", path="/s/shot.yaml")
    assert bare.key is None and bare.one_line() == "/s/shot.yaml: no spec"
    assert SpecError("empty key", key="").message == "empty key"


def test_several_spec_errors_are_one_error_of_many_lines() -> None:
    first = SpecError("missing", key="plate.path")
    second = SpecError("too large", key="plate.frames")
    both = SpecErrors([first, second])
    assert str(both) == "plate.path: missing\nplate.frames: too large"
    assert both.errors == (first, second) and both.parts() == (first, second)
    assert both.key == "plate.path" and both.exit_code == 2
    assert SpecErrors([]).key is None
    with pytest.raises(SpecErrors) as caught:
        raise_spec_errors([first, second])
    assert caught.value.errors == (first, second)
    with pytest.raises(SpecError) as alone:
        raise_spec_errors([second])
    assert alone.value is second
    assert raise_spec_errors([]) is None


@pytest.mark.parametrize("kind, code, base", [
    (FaceplateError, 1, Exception), (SpecError, 2, FaceplateError),
    (ColourError, 2, FaceplateError), (PlateError, 3, FaceplateError),
    (PlateMissingError, 3, PlateError), (FrameRefusedError, 3, PlateError),
    (OutputError, 3, FaceplateError), (DiskFullError, 3, OutputError),
    (ModelError, 4, FaceplateError), (ModelNotFoundError, 4, ModelError),
    (ModelHashError, 4, ModelError), (StageError, 5, FaceplateError),
    (FarmError, 6, FaceplateError), (IncompleteShotError, 3, FaceplateError),
    (LicenceRefusedError, 4, ModelError), (RunStopped, 130, FaceplateError)])
def test_each_kind_of_error_has_its_documented_exit_code(kind, code, base) -> None:
    assert kind.exit_code == code and issubclass(kind, base)


def test_a_stop_exits_128_plus_its_signal_and_says_which() -> None:
    stopped = RunStopped("stopped after frame 1001", signal=signal.SIGTERM, name="SIGTERM")
    assert stopped.exit_code == 143 and stopped.signal == signal.SIGTERM
    assert stopped.one_line() == "SIGTERM: stopped after frame 1001"
    assert stopped.one_line(limit=12) == "SIGTERM: ..."
    assert RunStopped("x", signal=2, name="SIGINT").exit_code == 130


def test_licence_refusals_are_each_their_own_line() -> None:
    one = LicenceRefusedError("a: non-commercial", licence="CC-BY-NC-4.0", path="/m/a.onnx")
    assert one.parts() == (one,) and one.licence == "CC-BY-NC-4.0" and one.path == "/m/a.onnx"
    two = LicenceRefusedError("b: not allowed", licence="GPL-3.0")
    both = LicenceRefusedError("2 models refused", licence="CC-BY-NC-4.0", refusals=[one, two])
    assert both.parts() == (one, two) and both.refusals == (one, two)


@pytest.mark.parametrize("error", [
    FaceplateError("bad", path="/p/a.exr", frame=3),
    SpecError("not a number", key="plate.frames", path="/s.yaml"),
    SpecErrors([SpecError("a", key="x"), SpecError("b", key="y")]),
    RunStopped("stopped", signal=15, name="SIGTERM"),
    IncompleteShotError("2 frames not written", frames=[1001, 1003], path="/out"),
    LicenceRefusedError("refused", licence="GPL-3.0", path="/m.onnx"),
    DiskFullError("no space", path="/out/a.exr", frame=9)])
def test_an_error_pickles_whole(error: FaceplateError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and back.args == error.args
    def state(e: FaceplateError) -> dict[str, object]:  # errors compare by identity
        return {k: [str(x) for x in v] if k == "errors" else v for k, v in vars(e).items()}
    assert state(back) == state(error) and str(back) == str(error)
    assert back.one_line() == error.one_line() and back.exit_code == error.exit_code
