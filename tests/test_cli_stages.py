"""The command line's boundary and its small commands, called in-process (click's CliRunner):
one ``ERROR:`` line and the README's exit codes (usage errors 2, SIGINT 130, SIGTERM 143), the
signals' handlers, the progress bars, ``plugins``, ``plugin-path``, ``submit --list``, ``spec``.
Expected lines are written out by hand from the README and click's own messages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import OBAMA, make_shot, spec_dict, write_spec

from faceplate import __version__
from faceplate.cli import main
from faceplate.cli.main import _Boundary
from faceplate.cli.progress_bar import StageBars
from faceplate.cli.signals import stop_on_signals
from faceplate.errors import RunStopped, SpecError, SpecErrors
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.stop import StopFlag
from faceplate.registry import plugins as registered


def invoke(*args: str, group: click.Group = main) -> Result:
    return CliRunner().invoke(group, list(args))


def _group(command: click.Command) -> click.Group:
    """A group of the boundary's class holding only ``command`` (named ``cmd``)."""
    @click.group(cls=_Boundary)
    def group() -> None:
        pass
    group.add_command(command, "cmd")
    return group


def _spec(folder: Path) -> Path:
    """A valid spec (1001-1008, shot tst010) whose source exists; its plate is never read."""
    (folder / "refs").mkdir(parents=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    return write_spec(folder, spec_dict())


# --- the boundary: one ERROR line, the README's exit codes -----------------------------------

@pytest.mark.parametrize("args, line", [
    (["render"], "ERROR: SPEC: Missing argument 'SPEC'."),
    (["submit", "--chunk", "ten"], "ERROR: --chunk: 'ten' is not a valid integer."),
    (["run", "s.yaml", "--only", "all"],
     "ERROR: --only: 'all' is not one of 'flagged', 'overridden'."),
    (["probe", "--jsn", "x"], "ERROR: --jsn: No such option '--jsn'. Did you mean '--json'?"),
    (["nosuch"], "ERROR: main: No such command 'nosuch'."),
    (["spec", "check", "a", "b"], "ERROR: main spec check: Got unexpected extra argument (b)"),
])
def test_a_usage_error_is_one_error_line_naming_where_and_exit_2(args, line) -> None:
    done = invoke(*args)
    assert (done.exit_code, done.stdout, done.stderr) == (2, "", line + "\n")


def test_an_argument_a_required_option_and_a_bare_click_error_each_say_where() -> None:
    @click.command()
    @click.argument("count", type=int)
    @click.option("--name", required=True)
    def cmd(count: int, name: str) -> None:
        raise click.ClickException(f"{name} {count}")  # no option, no argument: the text alone
    group = _group(cmd)
    argument = invoke("cmd", "x", "--name", "a", group=group)
    assert (argument.exit_code, argument.stderr) == (
        2, "ERROR: COUNT: 'x' is not a valid integer.\n")
    option = invoke("cmd", "3", group=group)
    assert (option.exit_code, option.stderr) == (2, "ERROR: --name: Missing option '--name'.\n")
    bare = invoke("cmd", "3", "--name", "a", group=group)
    assert (bare.exit_code, bare.stdout, bare.stderr) == (1, "", "ERROR: a 3\n")


def test_every_command_is_listed_in_order() -> None:
    names = ["analyse", "demo", "doctor", "models", "plugin-path", "plugins", "probe", "render",
             "report", "review", "run", "solve", "spec", "submit"]
    assert main.list_commands(click.Context(main)) == names
    assert main.get_command(click.Context(main), "nosuch") is None
    listed = invoke("--help")
    assert listed.exit_code == 0
    commands = listed.stdout.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in commands] == names


def test_version_and_the_demos_folder_option() -> None:
    version = invoke("--version")
    assert (version.exit_code, version.stdout) == (0, f"faceplate, version {__version__}\n")
    demo = invoke("demo", "--help")
    assert demo.exit_code == 0
    assert "--out PATH Folder for the demo shot and its results. [default: demo_out]" in (
        " ".join(demo.stdout.split()))


def test_a_faceplate_error_is_a_line_per_part_and_its_exit_code() -> None:
    @click.command()
    def cmd() -> None:
        raise SpecErrors([SpecError("no such file", key="plate.path"),
                          SpecError("not a number", key="plate.fps")])
    done = invoke("cmd", group=_group(cmd))
    assert (done.exit_code, done.stdout) == (2, "")
    assert done.stderr == "ERROR: plate.path: no such file\nERROR: plate.fps: not a number\n"


@pytest.mark.parametrize("raised", [KeyboardInterrupt, click.Abort])
def test_an_interrupt_is_one_line_and_exit_130(raised) -> None:
    @click.command()
    def cmd() -> None:
        raise raised()
    done = invoke("cmd", group=_group(cmd))
    assert (done.exit_code, done.stdout, done.stderr) == (130, "", "ERROR: SIGINT: interrupted\n")


def test_a_command_ends_0_and_its_value_is_returned_outside_standalone_mode() -> None:
    @click.command()
    def cmd() -> None:
        click.echo("done")
    group = _group(cmd)
    done = invoke("cmd", group=group)
    assert (done.exit_code, done.stdout, done.stderr) == (0, "done\n", "")

    @click.command()
    def seven() -> int:
        return 7
    assert _group(seven).main(["cmd"], standalone_mode=False) == 7
    assert invoke("cmd", group=_group(seven)).exit_code == 7  # a whole number is the exit code


def test_the_stop_flag_is_the_contexts_and_signals_are_handled_only_while_it_runs() -> None:
    seen: list[object] = []

    @click.command()
    @click.pass_context
    def cmd(ctx: click.Context) -> None:
        seen.append(ctx.meta["faceplate.stop_flag"])
        seen.append(signal.getsignal(signal.SIGTERM))
        os.kill(os.getpid(), signal.SIGTERM)  # nobody watches the flag: stops at once

    before = signal.getsignal(signal.SIGTERM)
    done = invoke("cmd", group=_group(cmd))
    assert (done.exit_code, done.stdout) == (143, "")
    assert done.stderr == ("ERROR: SIGTERM: stopped at once on a signal while no frame was in "
                           "flight\n")
    assert isinstance(seen[0], StopFlag) and seen[0].signal == signal.SIGTERM
    assert seen[1] is not before and signal.getsignal(signal.SIGTERM) is before


# --- signals ---------------------------------------------------------------------------------

def test_a_watched_flag_takes_the_first_signal_and_stops_at_once_on_the_second() -> None:
    flag = StopFlag()
    flag.watched = True
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with stop_on_signals(flag) as given:
        assert given is flag
        os.kill(os.getpid(), signal.SIGINT)  # asked: the run stops after the frame in flight
        assert flag.signal == signal.SIGINT
        with pytest.raises(RunStopped) as err:
            os.kill(os.getpid(), signal.SIGTERM)
    assert err.value.exit_code == 143
    assert err.value.one_line() == "SIGTERM: stopped at once on a second signal"
    assert {s: signal.getsignal(s) for s in before} == before


def test_an_unwatched_flag_stops_at_once_on_sigint_with_130() -> None:
    flag = StopFlag()
    with pytest.raises(RunStopped) as err, stop_on_signals(flag):
        os.kill(os.getpid(), signal.SIGINT)
    assert err.value.exit_code == 130
    assert err.value.one_line() == ("SIGINT: stopped at once on a signal while no frame was in "
                                    "flight")


# --- progress bars ---------------------------------------------------------------------------

def test_one_bar_per_stage_follows_its_frames_and_closes_when_done(capsys) -> None:
    bars = StageBars(always=True)
    bars(Progress("analyse", 1, 3, frame=1001))
    bars(Progress("render", 0, 2))
    bars(Progress("analyse", 2, 3, frame=1002))
    analyse, render = bars._bars["analyse"], bars._bars["render"]
    assert (analyse.desc, analyse.unit, analyse.leave) == ("analyse", "frame", True)
    assert (analyse.n, analyse.total, render.n, render.total) == (2, 3, 0, 2)
    assert analyse.postfix == "frame 1002" and not analyse.disable
    assert render.postfix is None  # no frame given: none shown
    bars(Progress("analyse", 3, 3, frame=1003))
    assert analyse.n == 3 and analyse.disable  # closed (tqdm marks a closed bar disabled)
    assert not render.disable
    err = capsys.readouterr().err
    assert "analyse" in err and "render" in err and "3/3" in err
    bars(Progress("analyse", 3, 3))  # a report after the end: the same closed bar
    assert bars._bars["analyse"] is analyse
    bars.close()
    assert render.disable


def test_a_bar_redrawn_by_an_update_shows_that_updates_frame(capsys) -> None:
    bars = StageBars(always=True)
    bars(Progress("render", 1, 3, frame=1001))
    bar = bars._bars["render"]
    bar.mininterval, bar.miniters, bar.dynamic_miniters = 0, 1, False  # every update redraws
    capsys.readouterr()
    bars(Progress("render", 2, 3, frame=1002))
    drawn = [line for line in capsys.readouterr().err.split("\r") if "2/3" in line]
    assert drawn and all("frame 1002" in line for line in drawn)
    bars.close()


def test_bars_draw_only_on_a_terminal_unless_always(capsys) -> None:
    bars = StageBars()
    bars(Progress("solve", 1, 4))
    assert bars._bars["solve"].disable  # stderr is not a terminal here
    bars.close()
    assert capsys.readouterr().err == ""


# --- plugins, plugin-path, submit --list, spec -----------------------------------------------

def test_plugins_lists_each_with_where_it_comes_from() -> None:
    found = list(registered())
    farm = next(p for p in found if p.name == "local")
    done = invoke("plugins")
    assert done.exit_code == 0
    line = (f"{'faceplate.farms':16} {'local':10} {'faceplate.farm.local:submit':36} "
            f"{farm.distribution} {farm.version} ({farm.location})")
    assert line in done.stdout.splitlines()
    assert len(done.stdout.splitlines()) == len(found)
    as_json = json.loads(invoke("plugins", "--json").stdout)["plugins"]
    assert {"group": "faceplate.farms", "name": "local",
            "target": "faceplate.farm.local:submit", "distribution": farm.distribution,
            "version": farm.version, "location": farm.location,
            "origin": farm.origin} in as_json
    assert len(as_json) == len(found)


def test_plugin_path_prints_the_hosts_folder_or_refuses_a_host_without_one() -> None:
    import faceplate.hosts.nuke as nuke
    folder = Path(nuke.__file__).parent / "nuke_path"
    done = invoke("plugin-path", "nuke", "--json")
    assert done.exit_code == 0
    assert json.loads(done.stdout) == {"host": "nuke", "path": str(folder)}
    assert invoke("plugin-path", "nuke").stdout == f"{folder}\n"
    missing = invoke("plugin-path", "houdini")
    assert missing.exit_code == 2 and missing.stderr.startswith("ERROR: HOST: ")


def test_submit_list_names_every_farm_and_submit_needs_a_spec() -> None:
    farms = sorted(p.name for p in registered(("faceplate.farms",)))
    done = invoke("submit", "--list")
    assert done.exit_code == 0
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == farms
    local = next(p for p in registered(("faceplate.farms",)) if p.name == "local")
    assert (f"local: faceplate.farm.local:submit ({local.distribution} {local.version}, "
            f"{local.location})") in done.stdout.splitlines()
    as_json = json.loads(invoke("submit", "--list", "--json").stdout)["farms"]
    assert [f["name"] for f in as_json] == farms
    assert {"name": "local", "target": "faceplate.farm.local:submit",
            "distribution": local.distribution, "version": local.version,
            "location": local.location} in as_json
    bare = invoke("submit")
    assert (bare.exit_code, bare.stdout) == (2, "")
    assert bare.stderr == "ERROR: main submit: missing argument SPEC\n"


def test_a_real_submit_names_its_jobs_and_does_not_say_to_submit_again(tmp_path: Path,
                                                                       monkeypatch) -> None:
    # deadlinecommand is not installed here: a stand-in answering as Deadline does
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "deadlinecommand"
    exe.write_text('#!/bin/bash\nn=$(( $(cat "$COUNT" 2>/dev/null || echo 0) + 1 ))\n'
                   'echo "$n" > "$COUNT"; echo "Result=Success"; echo "JobID=job$n"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("COUNT", str(tmp_path / "count"))
    spec = _spec(tmp_path / "shot")
    farm = tmp_path / "shot" / "farm"  # the default: beside the spec
    done = invoke("submit", str(spec), "--farm", "deadline")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [f"job files: {farm}", "submitted: job1",
                                        "submitted: job2", "submitted: job3", "submitted: job4"]
    as_json = invoke("submit", str(spec), "--farm", "deadline", "--json")
    assert json.loads(as_json.stdout) == {
        "farm": "deadline", "job_files": str(farm), "dry_run": False,
        "submit_script": str(farm / "submit.sh"), "jobs": ["job5", "job6", "job7", "job8"]}
    dry = invoke("submit", str(spec), "--farm", "deadline", "--dry-run", str(tmp_path / "d"))
    assert dry.stdout.splitlines() == [f"job files: {tmp_path / 'd'}",
                                       f"submit with: bash {tmp_path / 'd' / 'submit.sh'}"]


def test_submits_options_show_their_defaults() -> None:
    shown = " ".join(invoke("submit", "--help").stdout.split())
    assert "--farm TEXT Farm backend: local, slurm, opencue, deadline (see --list). " \
           "[default: local]" in shown
    assert "--chunk INTEGER Frames per render task. [default: 10]" in shown


def test_spec_check_says_ok_naming_the_shot_and_its_frame_count(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "shot")
    done = invoke("spec", "check", str(spec))
    assert (done.exit_code, done.stdout) == (0, f"{spec}: ok (shot tst010, 8 frames)\n")
    assert json.loads(invoke("spec", "check", str(spec), "--json").stdout) == {
        "spec": str(spec), "shot": "tst010", "ok": True, "frames": 8}


def test_spec_schema_prints_the_schema_indented() -> None:
    done = invoke("spec", "schema")
    assert done.exit_code == 0
    schema = json.loads(done.stdout)
    assert schema["type"] == "object" and "plate" in schema["properties"]
    assert done.stdout.startswith('{\n  "')


# --- the stage commands on a small shot ------------------------------------------------------

def test_the_stage_commands_say_what_they_did_and_exit_3_naming_the_frames_not_written(
        tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    spec = str(shot.spec_path)
    qc = shot.qc_json
    analysed = invoke("analyse", spec)
    assert (analysed.exit_code, analysed.stdout) == (0, "analysed 3 frames\n")
    assert json.loads(invoke("analyse", spec, "--json").stdout) == {
        "analysed": "1001-1003", "faces": {"1001": 1, "1002": 1, "1003": 1}}
    solved = invoke("solve", spec)
    assert (solved.exit_code, solved.stdout) == (0, "swap 0 (actor_a): track 0, 3 frames\n")
    assert json.loads(invoke("solve", spec, "--json").stdout) == {
        "swaps": [{"swap": 0, "source": "actor_a", "track": 0, "frames": "1001-1003"}]}
    rendered = invoke("render", spec, "--frames", "1001", "--json")
    assert rendered.exit_code == 0
    assert json.loads(rendered.stdout) == {"rendered": "1001", "reused": "", "failed": ""}
    # 1002 is never rendered: report writes qc.json and index.html all the same, exits 3
    report = invoke("report", spec)
    assert report.exit_code == 3
    assert report.stdout == (f"qc: {qc}\nreport: {qc.parent / 'index.html'}\n"
                             f"timeline: {qc.parent / 'review.otio'}\n")
    assert report.stderr == f"ERROR: 2 frame(s) not written: 1002-1003; see {qc}\n"
    forced = invoke("render", spec, "--frames", "1001", "--force", "--json")
    assert json.loads(forced.stdout) == {"rendered": "1001", "reused": "", "failed": ""}
    for version in ("v1", "v2"):  # two versions of the shot's QC, compared in that order
        (tmp_path / version).mkdir()
        shutil.copyfile(qc, tmp_path / version / "qc.json")
    compared = invoke("report", spec, "--compare", str(tmp_path / "v1"), str(tmp_path / "v2"))
    page = qc.parent / "compare_v1_v2" / "index.html"
    assert (compared.exit_code, compared.stdout) == (0, f"compare: {page}\n")
    assert page.is_file()
    back = invoke("report", spec, "--json", "--compare", str(tmp_path / "v2"),
                  str(tmp_path / "v1"))
    assert json.loads(back.stdout) == {"compare": str(qc.parent / "compare_v2_v1" / "index.html")}
    (tmp_path / "shot" / "plates" / "tst010.1002.exr").unlink()  # 1002 now fails to render
    again = invoke("render", spec, "--frames", "1001-1002")
    assert again.exit_code == 3
    assert again.stdout == "rendered 1 frames; already complete: 1\n"
    assert again.stderr == "ERROR: 1 frame(s) not written: 1002\n"
    failed = invoke("render", spec, "--frames", "1001-1002", "--json")
    assert failed.exit_code == 3  # the document still goes out, naming the failed frame
    assert json.loads(failed.stdout) == {"rendered": "1002", "reused": "1001", "failed": "1002"}
    # 1002 failed, 1003 never rendered: both named, in order
    both = invoke("report", spec, "--json")
    assert (both.exit_code, both.stderr) == (
        3, f"ERROR: 2 frame(s) not written: 1002-1003; see {qc}\n")
    document = json.loads(both.stdout)
    assert (document["qc"], document["report"], document["timeline"]) == (
        str(qc), str(qc.parent / "index.html"), str(qc.parent / "review.otio"))
    assert (document["summary"]["failed_frames"], document["summary"]["not_rendered"]) == (
        "1002", "1003")
    # run: the run's lines and document go out before the error, as render's do
    run = invoke("run", spec, "--json")
    assert (run.exit_code, run.stderr) == (3, f"ERROR: 1 frame(s) not written: 1002; see {qc}\n")
    document = json.loads(run.stdout)
    assert (document["failed"], document["qc"]) == ("1002", str(qc))
    text = invoke("run", spec, "--frames", "1001-1002")
    assert text.exit_code == 3
    assert text.stdout.splitlines()[1:] == [f"qc: {qc}", f"report: {qc.parent / 'index.html'}"]
