"""The farms' dependency chains as their own files say them: the ``submit.sh`` a dry run
writes (run against stand-in ``sbatch`` and ``deadlinecommand`` that record what they were
given), Deadline's keys and stepped ranges, OpenCue's XML against Cuebot's DTD, resource
options from the spec, the studio's ``faceplate.yaml`` and the command line, and the exit codes
of what ``submit`` refuses. The real Slurm cluster runs the chain in test_farm_slurm.py."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import OBAMA, run_cli, spec_dict, write_spec
from lxml import etree

from faceplate.errors import FarmError, SpecError
from faceplate.farm import deadline, opencue, slurm
from faceplate.farm.plan import CHAIN, STAGES, plan_shot
from faceplate.frames import parse_frames
from faceplate.spec.farm_section import DeadlineOptions, OpenCueOptions, SlurmOptions

FACEPLATE = Path("/opt/fp/bin/faceplate")
DTD = Path(__file__).parent / "data" / "opencue" / "cjsl-1.15.dtd"
ARTIST = OpenCueOptions(user="artist", uid=1000)


def _plan(folder: Path, frames=range(1001, 1026), chunk: int = 10, **kw):
    return plan_shot("sh010", folder / "shot.yaml", list(frames), chunk, faceplate=FACEPLATE,
                     **kw)


def _standin(folder: Path, name: str, body: str) -> Path:
    """An executable ``name`` in ``folder/bin`` running ``body`` (bash)."""
    bindir = folder / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / name
    exe.write_text("#!/bin/bash\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return bindir


def _bash_n(folder: Path) -> list[Path]:
    """``bash -n`` on every script written into ``folder``; returns them."""
    scripts = sorted([*folder.glob("*.sh"), *folder.glob("*.sbatch")])
    for path in scripts:
        subprocess.run(["bash", "-n", str(path)], check=True)
    return scripts


def _spec(folder: Path, **overrides) -> Path:
    """A valid spec (no plate rendered: submitting reads only the spec and the sources)."""
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    return write_spec(folder, spec_dict(**overrides))


# --- Slurm -------------------------------------------------------------------------------

SBATCH = ('n=$(( $(wc -l < "$LOG" 2>/dev/null || echo 0) + 1 ))\n'
          'printf "%s\\n" "$(printf "%s|" "$@")" >> "$LOG"\n'
          'echo "$n;ci"\n')


def test_slurm_dry_run_writes_a_submit_script_that_submits_the_chain(tmp_path: Path,
                                                                     monkeypatch) -> None:
    plan = _plan(tmp_path, max_parallel=2)
    assert slurm.submit(plan, tmp_path / "job", dry_run=True) == []
    scripts = _bash_n(tmp_path / "job")
    assert tmp_path / "job" / "submit.sh" in scripts and len(scripts) == 5
    log = tmp_path / "sbatch.log"
    bindir = _standin(tmp_path, "sbatch", SBATCH)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LOG", str(log))
    done = subprocess.run(["bash", str(tmp_path / "job" / "submit.sh")], capture_output=True,
                          text=True, cwd=tmp_path, check=True)
    assert done.stdout.split() == ["analyse=1", "solve=2", "render=3", "report=4"]
    calls = [line.rstrip("|").split("|") for line in log.read_text().splitlines()]
    for args, stage in zip(calls, STAGES):
        assert args[0] == "--parsable" and args[-1] == str(tmp_path / "job" /
                                                           f"sh010_{stage}.sbatch")
        assert args[1].startswith(f"--output={tmp_path / 'job' / 'logs'}/{stage}_")
    dependencies = [[a for a in args if a.startswith("--dependency=")] for args in calls]
    assert dependencies == [[], ["--dependency=afterok:1"], ["--dependency=afterok:2"],
                            ["--dependency=afterok:2,afterany:3"]]
    assert all(("--kill-on-invalid-dep=yes" in args) == bool(deps)
               for args, deps in zip(calls, dependencies))
    assert "#SBATCH --array=0-2%2\n" in (tmp_path / "job" / "sh010_render.sbatch").read_text()


def test_slurm_submit_runs_the_same_script(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "sbatch.log"
    bindir = _standin(tmp_path, "sbatch", SBATCH)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LOG", str(log))
    assert slurm.submit(_plan(tmp_path), tmp_path / "job") == ["1", "2", "3", "4"]
    assert "afterok:2,afterany:3" in log.read_text().splitlines()[-1]


def test_slurm_refusing_a_stage_is_a_farm_error(tmp_path: Path, monkeypatch) -> None:
    bindir = _standin(tmp_path, "sbatch", 'echo "sbatch: error: Invalid partition" >&2; exit 1\n')
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(Exception, match="Invalid partition") as caught:
        slurm.submit(_plan(tmp_path), tmp_path / "job")
    assert caught.value.exit_code == 6


def test_slurm_options_become_sbatch_lines(tmp_path: Path) -> None:
    options = SlurmOptions(partition="gpu", account="vfx", time="02:00:00", mem="16G", cpus=4,
                           gres="gpu:1")
    slurm.submit(_plan(tmp_path, options=options), tmp_path / "job", dry_run=True)
    for stage in STAGES:
        lines = (tmp_path / "job" / f"sh010_{stage}.sbatch").read_text().splitlines()
        for expected in ("--partition=gpu", "--account=vfx", "--time=02:00:00", "--mem=16G",
                         "--cpus-per-task=4", "--gres=gpu:1"):
            assert f"#SBATCH {expected}" in lines, (stage, expected)
    _bash_n(tmp_path / "job")


def test_options_come_from_command_line_spec_and_studio_file_in_that_order(
        tmp_path: Path, monkeypatch) -> None:
    studio = tmp_path / "faceplate.yaml"
    studio.write_text("farm:\n  slurm: {partition: studio, account: vfx, cpus: 2}\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(studio))
    spec = _spec(tmp_path / "shot", farm={"slurm": {"partition": "shotpart", "time": "10"}})
    done = run_cli("submit", str(spec), "--farm", "slurm", "--dry-run", str(tmp_path / "job"),
                   "-o", "cpus=8")
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "job" / "tst010_render.sbatch").read_text().splitlines()
    assert [line for line in lines if line.startswith("#SBATCH --") and "array" not in line
            and "job-name" not in line] == [
        "#SBATCH --partition=shotpart", "#SBATCH --account=vfx", "#SBATCH --time=10",
        "#SBATCH --cpus-per-task=8"]


def test_bad_options_are_each_named_and_exit_2(tmp_path: Path, monkeypatch) -> None:
    studio = tmp_path / "faceplate.yaml"
    studio.write_text("farm:\n  slurm: {cpus: many}\n")
    spec = _spec(tmp_path / "shot")
    done = run_cli("submit", str(spec), "--farm", "slurm", "--dry-run", str(tmp_path / "job"),
                   "-o", "cpus=0", "-o", "time=2h", "-o", "partiton=gpu", "-o", "nokey")
    assert done.returncode == 2
    errors = done.stderr.strip().splitlines()
    assert errors[0] == "ERROR: -o: expected KEY=VALUE, got 'nokey'", done.stderr
    monkeypatch.setenv("FACEPLATE_CONFIG", str(studio))
    done = run_cli("submit", str(spec), "--farm", "slurm", "--dry-run", str(tmp_path / "job"),
                   "-o", "cpus=0", "-o", "time=2h", "-o", "partiton=gpu")
    assert done.returncode == 2
    errors = done.stderr.strip().splitlines()
    assert errors[0].startswith("ERROR: farm.slurm.cpus: ") and str(studio) in errors[0]
    monkeypatch.delenv("FACEPLATE_CONFIG")
    done = run_cli("submit", str(spec), "--farm", "slurm", "--dry-run", str(tmp_path / "job"),
                   "-o", "cpus=0", "-o", "time=2h", "-o", "partiton=gpu")
    errors = done.stderr.strip().splitlines()
    assert [e.split(":")[1].strip() for e in errors] == ["-o cpus", "-o time", "-o partiton"]
    assert "greater than or equal to 1" in errors[0]
    assert "'2h' is not valid (sbatch --time" in errors[1]
    assert errors[2].startswith("ERROR: -o partiton: unknown key (allowed: account, cpus, ")
    assert not (tmp_path / "job").exists()


def test_a_spec_farm_section_is_checked_with_the_rest_of_the_spec(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "shot", farm={"deadline": {"priority": 500, "pool": "a b"}})
    done = run_cli("submit", str(spec), "--farm", "deadline", "--dry-run",
                   str(tmp_path / "job"))
    assert done.returncode == 2
    keys = [line.split(":")[1].strip() for line in done.stderr.strip().splitlines()]
    assert keys == ["farm.deadline.pool", "farm.deadline.priority"]


# --- Deadline ----------------------------------------------------------------------------

def _keys(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def split_arguments(text: str) -> list[str]:
    """Arguments as a process started from Deadline's command line gets them: split on
    whitespace outside double quotes, the quotes removed (the rules of .NET's
    ProcessStartInfo.Arguments and Windows' CommandLineToArgvW for text without backslashes
    before quotes)."""
    args, current, quoted, started = [], "", False, False
    for char in text:
        if char == '"':
            quoted, started = not quoted, True
        elif char.isspace() and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + char, True
    if started:
        args.append(current)
    return args


def test_deadline_plugin_info_uses_shell_execute(tmp_path: Path) -> None:
    deadline.submit(_plan(tmp_path), tmp_path / "job", dry_run=True)
    for stage in STAGES:
        plugin = _keys(tmp_path / "job" / f"sh010_{stage}_plugin_info.job")
        assert plugin["ShellExecute"] == "False" and "Shell" not in plugin


def test_deadline_takes_stepped_ranges_and_each_task_gets_its_chunk(tmp_path: Path) -> None:
    frames = parse_frames("1001-1019x2")
    deadline.submit(_plan(tmp_path, frames, chunk=3, max_parallel=2), tmp_path / "job",
                    dry_run=True)
    job = _keys(tmp_path / "job" / "sh010_render_job_info.job")
    plugin = _keys(tmp_path / "job" / "sh010_render_plugin_info.job")
    assert (job["Frames"], job["ChunkSize"], job["MachineLimit"]) == ("1001-1019x2", "3", "2")
    assert plugin["Arguments"].endswith("--frames <STARTFRAME>-<ENDFRAME>x2 --workers 1")
    # Deadline makes tasks of ChunkSize consecutive frames of its list, and gives each its
    # first and last frame.
    listed = parse_frames(job["Frames"])
    size = int(job["ChunkSize"])
    for i in range(0, len(listed), size):
        task = listed[i:i + size]
        args = plugin["Arguments"].replace("<STARTFRAME>", str(task[0])).replace(
            "<ENDFRAME>", str(task[-1]))
        assert parse_frames(split_arguments(args)[-3]) == task


def test_holed_ranges_are_refused_with_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="has holes") as caught:
        deadline.submit(_plan(tmp_path, [1001, 1002, 1005]), tmp_path / "job", dry_run=True)
    assert caught.value.exit_code == 2
    spec = _spec(tmp_path / "shot", plate={"path": "plates/tst010.####.exr",
                                           "frames": "1001-1003,1007"})
    done = run_cli("submit", str(spec), "--farm", "deadline", "--dry-run", str(tmp_path / "j"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("ERROR: --farm: Deadline gives each task a first and a last")
    stepped = _spec(tmp_path / "stepped", plate={"path": "plates/tst010.####.exr",
                                                 "frames": "1001-1011x2"})
    done = run_cli("submit", str(stepped), "--farm", "deadline", "--dry-run",
                   str(tmp_path / "j2"))
    assert done.returncode == 0, done.stderr


DEADLINECOMMAND = ('n=$(( $(wc -l < "$LOG" 2>/dev/null || echo 0) + 1 ))\n'
                   '[ "$1" = -SubmitJob ] && [ -f "$2" ] && [ -f "$3" ] || exit 9\n'
                   'dep=$(grep ^JobDependencies= "$2" | cut -d= -f2)\n'
                   'resume=$(grep ^ResumeOnFailedDependencies= "$2" | cut -d= -f2)\n'
                   'stage=$(sed -n "s/^ExtraInfoKeyValue1=faceplate.stage=//p" "$2")\n'
                   'echo "$stage dep=$dep resume=$resume" >> "$LOG"\n'
                   'echo "Result=Success"; printf "JobID=job%s\\r\\n" "$n"\n')


def test_deadline_submit_script_and_submit_give_the_same_chain(tmp_path: Path,
                                                               monkeypatch) -> None:
    folder = tmp_path / "my shots"
    plan = _plan(folder)
    deadline.submit(plan, folder / "farm job", dry_run=True)
    _bash_n(folder / "farm job")
    bindir = _standin(tmp_path, "deadlinecommand", DEADLINECOMMAND)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    expected = ["analyse dep= resume=", "solve dep=job1 resume=", "render dep=job2 resume=",
                "report dep=job2,job3 resume=True"]
    monkeypatch.setenv("LOG", str(tmp_path / "script.log"))
    done = subprocess.run(["bash", str(folder / "farm job" / "submit.sh")], check=True,
                          capture_output=True, text=True)
    assert done.stdout.split() == ["analyse=job1", "solve=job2", "render=job3", "report=job4"]
    assert (tmp_path / "script.log").read_text().splitlines() == expected
    monkeypatch.setenv("LOG", str(tmp_path / "python.log"))
    assert deadline.submit(plan, folder / "farm job") == ["job1", "job2", "job3", "job4"]
    assert (tmp_path / "python.log").read_text().splitlines() == expected


def test_a_spec_path_with_spaces_survives_deadlines_job_files(tmp_path: Path) -> None:
    folder = tmp_path / "my shots" / "sh 010"
    options = DeadlineOptions(pool="gpu", group="gpu_24g", priority=60)
    plan = plan_shot("sh010", folder / "sh010 v2.yaml", list(range(1001, 1011)), 4,
                     faceplate=Path("/opt/fp 1/bin/faceplate"), options=options)
    deadline.submit(plan, folder / "farm", dry_run=True)
    for stage in STAGES:
        job = _keys(folder / "farm" / f"sh010_{stage}_job_info.job")
        plugin = _keys(folder / "farm" / f"sh010_{stage}_plugin_info.job")
        assert (job["Pool"], job["Group"], job["Priority"]) == ("gpu", "gpu_24g", "60")
        assert job["ExtraInfoKeyValue2"] == f"faceplate.spec={folder / 'sh010 v2.yaml'}"
        assert plugin["Executable"] == "/opt/fp 1/bin/faceplate"
        assert plugin["StartupDirectory"] == str(folder)
        args = split_arguments(plugin["Arguments"])
        assert args[:2] == [stage, str(folder / "sh010 v2.yaml")]
        assert args[2:] == (["--frames", "<STARTFRAME>-<ENDFRAME>", "--workers", "1"]
                            if stage == "render" else [])


def test_deadline_without_deadlinecommand_is_a_farm_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Exception, match="deadlinecommand is not on PATH") as caught:
        deadline.submit(_plan(tmp_path), tmp_path / "job")
    assert caught.value.exit_code == 6


# --- OpenCue -----------------------------------------------------------------------------

def _cue_xml(path: Path) -> etree._Element:
    """The job XML, validated against the DTD Cuebot validates job specs with."""
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    tree = etree.parse(str(path), parser)
    assert tree.docinfo.system_url == "http://localhost:8080/spcue/dtd/cjsl-1.15.dtd"
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(tree), dtd.error_log.filter_from_errors()
    return tree.getroot()


def test_opencue_xml_holds_to_cuebots_dtd_and_the_chain(tmp_path: Path) -> None:
    options = OpenCueOptions(show="demo", user="artist", uid=1000, cores=4, memory="8g",
                             service="faceplate")
    opencue.submit(_plan(tmp_path, options=options), tmp_path / "job", dry_run=True)
    root = _cue_xml(tmp_path / "job" / "sh010.cue.xml")
    assert (root.findtext("show"), root.findtext("user"), root.findtext("uid")) == (
        "demo", "artist", "1000")
    for layer in root.iter("layer"):
        assert (layer.findtext("cores"), layer.findtext("memory")) == ("4.0", "8g")
        assert layer.findtext("services/service") == "faceplate"
    depends = [(d.findtext("deplayer"), d.findtext("onlayer"), d.get("type"))
               for d in root.iter("depend")]
    assert depends == [(s, w.stage, "LAYER_ON_LAYER") for s in STAGES for w in CHAIN[s]]
    assert root.findtext("job/autoeat") == "False"


def test_opencue_refuses_root_as_cuebot_does(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "getuid", lambda: 0)
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    with pytest.raises(SpecError, match="Cuebot refuses jobs from root") as caught:
        opencue.submit(_plan(tmp_path), tmp_path / "job", dry_run=True)
    assert caught.value.exit_code == 2 and caught.value.key == "farm.opencue.user"
    with pytest.raises(SpecError, match="uid 0"):
        opencue.submit(_plan(tmp_path, options=OpenCueOptions(user="artist")), tmp_path / "j",
                       dry_run=True)
    opencue.submit(_plan(tmp_path, options=ARTIST), tmp_path / "job", dry_run=True)
    root = _cue_xml(tmp_path / "job" / "sh010.cue.xml")
    assert (root.findtext("user"), root.findtext("uid")) == ("artist", "1000")


def test_opencue_show_defaults_to_the_show_cuebot_creates_and_follows_the_environment(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CUE_SHOW", raising=False)
    monkeypatch.delenv("SHOW", raising=False)
    spec = _spec(tmp_path / "shot", farm={"opencue": {"user": "artist", "uid": 1000}})
    done = run_cli("submit", str(spec), "--farm", "opencue", "--dry-run", str(tmp_path / "a"))
    assert done.returncode == 0, done.stderr
    assert _cue_xml(tmp_path / "a" / "tst010.cue.xml").findtext("show") == "testing"
    monkeypatch.setenv("SHOW", "envshow")
    run_cli("submit", str(spec), "--farm", "opencue", "--dry-run", str(tmp_path / "b"))
    assert _cue_xml(tmp_path / "b" / "tst010.cue.xml").findtext("show") == "envshow"
    done = run_cli("submit", str(spec), "--farm", "opencue", "--dry-run", str(tmp_path / "c"),
                   "-o", "show=cli_show", "-o", "autoeat=true")
    assert done.returncode == 0, done.stderr
    root = _cue_xml(tmp_path / "c" / "tst010.cue.xml")
    assert root.findtext("show") == "cli_show" and root.findtext("job/autoeat") == "True"


def test_opencue_takes_stepped_and_holed_ranges_through_framespec(tmp_path: Path) -> None:
    for frames, expected, token in (
            (range(1001, 1026), "1001-1025", "#FRAME_START#-#FRAME_END#"),
            (parse_frames("1001-1019x2"), "1001-1019x2", "#FRAMESPEC#"),
            ([1001, 1002, 1003, 1007], "1001-1003,1007", "#FRAMESPEC#")):
        opencue.submit(_plan(tmp_path, frames, chunk=2, options=ARTIST), tmp_path / "job",
                       dry_run=True)
        root = _cue_xml(tmp_path / "job" / "sh010.cue.xml")
        render = next(la for la in root.iter("layer") if la.get("name") == "render")
        assert parse_frames(render.findtext("range")) == parse_frames(expected)
        assert render.findtext("cmd").endswith(f"--frames {token} --workers 1")


def test_opencue_refuses_names_cuebot_refuses(tmp_path: Path) -> None:
    plan = plan_shot("s1", tmp_path / "shot.yaml", [1, 2], 1, faceplate=FACEPLATE,
                     options=ARTIST)
    with pytest.raises(SpecError, match="at least 3") as caught:
        opencue.submit(plan, tmp_path / "job", dry_run=True)
    assert caught.value.key == "shot"


def test_every_written_script_passes_bash_n_from_the_cli(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "shot")
    for farm in ("slurm", "deadline"):
        done = run_cli("submit", str(spec), "--farm", farm, "--dry-run", str(tmp_path / farm))
        assert done.returncode == 0, done.stderr
        assert (tmp_path / farm / "submit.sh").stat().st_mode & stat.S_IXUSR
        assert len(_bash_n(tmp_path / farm)) >= 1


# --- the plan's ranges and the ids submit reads back ----------------------------------------

def test_a_single_frame_is_a_range_of_step_one(tmp_path: Path) -> None:
    plan = _plan(tmp_path, frames=[1001], chunk=10)
    assert plan.stepped_range("Deadline") == (1001, 1001, 1)
    info = deadline.job_info(plan, "render")
    assert (info["Frames"], info["ChunkSize"]) == ("1001-1001", "1")
    pair = _plan(tmp_path, frames=[1001, 1003], chunk=1).stepped_range("Deadline")
    assert pair == (1001, 1003, 2)


def test_job_ids_read_stage_lines_among_other_output() -> None:
    """sbatch may print notes with '=' of their own: only ``<stage>=<id>`` lines count, and
    an id keeps everything after the first '='."""
    printed = ("note: x=1=2\nanalyse=11\nsolve=12\nrender=13\nreport=14;c=2\n")
    assert slurm.job_ids(printed) == {"analyse": "11", "solve": "12", "render": "13",
                                      "report": "14;c=2"}


def test_opencue_runs_each_single_task_stage_once_on_the_first_frame(tmp_path: Path) -> None:
    opencue.submit(_plan(tmp_path, options=ARTIST), tmp_path / "job", dry_run=True)
    root = _cue_xml(tmp_path / "job" / "sh010.cue.xml")
    ranges = {la.get("name"): (la.findtext("range"), la.findtext("chunk"))
              for la in root.iter("layer")}
    assert ranges == {"analyse": ("1001", "1"), "solve": ("1001", "1"),
                      "report": ("1001", "1"), "render": ("1001-1025", "10")}


def test_opencue_refusing_the_job_says_the_first_line_of_why(tmp_path: Path,
                                                               monkeypatch) -> None:
    """pycue's errors run over many lines (gRPC details); the one-line error keeps the
    first, which says what happened."""
    import opencue as pycue

    def refuse(xml: str) -> None:
        raise RuntimeError("failed to launch: show 'demo' does not exist\ndetails = ...\n"
                           "debug_error_string = {...}")
    monkeypatch.setattr(pycue.api, "launchSpecAndWait", refuse)
    with pytest.raises(FarmError) as caught:
        opencue.submit(_plan(tmp_path, options=ARTIST), tmp_path / "job")
    assert caught.value.message == ("OpenCue refused the job or is unreachable: failed to "
                                    "launch: show 'demo' does not exist")
    assert caught.value.exit_code == 6


def test_deadline_errors_keep_the_last_200_characters_of_what_it_said(tmp_path: Path,
                                                                     monkeypatch) -> None:
    said = "".join(f"{i:03d}" for i in range(100))  # 300 characters, each place its own
    for body, start in ((f'echo "{said}" >&2; exit 3\n', "deadlinecommand failed: "),
                        (f'echo "{said}"; exit 3\n', "deadlinecommand failed: "),  # no stderr
                        (f'echo "{said}"\n', "deadlinecommand gave no JobID: ")):
        bindir = _standin(tmp_path, "deadlinecommand", body)
        monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
        with pytest.raises(FarmError) as caught:
            deadline.submit(_plan(tmp_path), tmp_path / "job")
        assert caught.value.message == start + said[-200:]


def test_submit_scripts_are_executable_by_everyone_and_writable_by_the_owner(
        tmp_path: Path) -> None:
    for farm in (slurm, deadline):
        farm.submit(_plan(tmp_path), tmp_path / farm.__name__, dry_run=True)
        mode = (tmp_path / farm.__name__ / "submit.sh").stat().st_mode
        assert stat.S_IMODE(mode) == 0o755


def test_opencue_job_files_say_what_they_are_and_whose_they_are(tmp_path: Path,
                                                                monkeypatch) -> None:
    """The XML carries faceplate's schema comment, and the uid asked for even when this
    process runs as another (pyoutline writes its own), for any user but root."""
    import outline.util
    monkeypatch.setattr(outline.util, "get_uid", lambda: 2000)
    options = OpenCueOptions(user="svc_render", uid=1000)  # a name sorting after "root"
    opencue.submit(_plan(tmp_path, options=options), tmp_path / "deep" / "job", dry_run=True)
    path = tmp_path / "deep" / "job" / "sh010.cue.xml"
    assert "<!-- faceplate.farmjob/1 shot=sh010 --><spec>" in path.read_text()
    root = _cue_xml(path)
    assert (root.findtext("user"), root.findtext("uid")) == ("svc_render", "1000")


def test_opencue_submit_returns_the_names_of_the_launched_jobs(tmp_path: Path,
                                                                monkeypatch) -> None:
    import opencue as pycue

    class Job:
        def name(self) -> str:
            return "testing-sh010-fp_sh010"
    monkeypatch.setattr(pycue.api, "launchSpecAndWait", lambda xml: [Job()])
    assert opencue.submit(_plan(tmp_path, options=ARTIST), tmp_path / "job") == [
        "testing-sh010-fp_sh010"]


def test_slurm_refusals_say_sbatchs_last_line_and_logs_are_named_by_task(
        tmp_path: Path, monkeypatch) -> None:
    for body, said in (('echo "sbatch: warning: old option" >&2\n'
                        'echo "sbatch: error: Invalid account" >&2; exit 1\n',
                        "sbatch: error: Invalid account"),
                       ("exit 1\n", "no output")):
        bindir = _standin(tmp_path, "sbatch", body)
        monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
        with pytest.raises(FarmError) as caught:
            slurm.submit(_plan(tmp_path), tmp_path / "job")
        assert caught.value.message == f"sbatch failed after 0 of 4 stages: {said}"
    text = (tmp_path / "job" / "submit.sh").read_text()
    for stage in STAGES:
        log = "render_%A_%a.log" if stage == "render" else f"{stage}_%j.log"
        assert f'--output="$here/logs/{log}"' in text


def test_each_render_task_runs_faceplate_on_the_spec_with_its_chunk(tmp_path: Path) -> None:
    slurm.submit(_plan(tmp_path), tmp_path / "job", dry_run=True)
    lines = (tmp_path / "job" / "sh010_render.sbatch").read_text().splitlines()
    assert lines[-3:] == ["RANGES=(1001-1010 1011-1020 1021-1025)",
                          'FRAMES="${RANGES[$SLURM_ARRAY_TASK_ID]}"',
                          f'{FACEPLATE} render {tmp_path / "shot.yaml"} --frames "$FRAMES" '
                          '--workers 1']
