"""The README's promises that a test can hold it to."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _commands():
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", readme)


def test_ci_runs_the_readme_test_command_verbatim():
    commands = _commands()
    assert len(commands) >= 2
    test_command = commands[1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci


def test_readme_first_command_runs_the_demo():
    assert _commands()[0].endswith("faceplate demo --out demo_out")


def test_documented_exit_codes_match_the_error_classes():
    from faceplate import errors
    readme = (ROOT / "README.md").read_text()
    documented = {int(c) for c in re.findall(r"^\| (\d+) \|", readme, flags=re.M)}
    used = {cls.exit_code for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.FaceplateError)}
    assert used <= documented
    assert {128 + 2, 128 + 15} <= documented  # SIGINT and SIGTERM (errors.RunStopped)
