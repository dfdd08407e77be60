"""The rez package (package.py) read as rez reads it, without rez: its fields parsed with ast
and checked against pyproject.toml, its ``commands()`` run against a stand-in ``env`` that
records what it sets, and its build command's pip step run for real into a temporary folder,
so the paths the commands name exist in the installed package."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import faceplate

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "package.py"


def _fields() -> dict[str, Any]:
    """The package's top-level assignments, as literals (rez reads them the same way)."""
    tree = ast.parse(PACKAGE.read_text())
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.FunctionDef):
            found[node.name] = node
    return found


def _rez_name(distribution: str) -> str:
    return re.sub(r"[-.]", "_", distribution.lower())


def _pyproject() -> dict[str, Any]:
    """The fields of pyproject.toml's [project] table this test needs (read without tomllib,
    which Python 3.10 lacks)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
    python = re.search(r'^requires-python = "([^"]+)"', text, re.M)
    scripts = re.search(r"^\[project\.scripts\]\n(.*?)(?:^\[|\Z)", text, re.S | re.M)
    assert block and python and scripts
    return {"dependencies": re.findall(r'"([^"]+)"', block.group(1)),
            "requires-python": python.group(1),
            "scripts": re.findall(r"^(\S+) =", scripts.group(1), re.M)}


def test_name_version_and_tools_match_the_python_package() -> None:
    fields = _fields()
    assert fields["name"] == "faceplate"
    assert fields["version"] == faceplate.__version__
    assert fields["tools"] == list(_pyproject()["scripts"])


def test_requires_are_the_distributions_pyproject_names() -> None:
    requires = _fields()["requires"]
    rez = dict(r.split("-", 1) for r in requires)
    project = _pyproject()
    low, high = re.fullmatch(r">=(\d+\.\d+),<(\d+\.\d+)", project["requires-python"]).groups()
    assert rez.pop("python") == f"{low}+<{high}"
    wanted = {}
    for dependency in project["dependencies"]:
        name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([\d.]+)", dependency).groups()
        wanted[_rez_name(name)] = f"{bound}+"
    assert rez == wanted


class Var:
    def __init__(self, log: list[tuple[str, str, str]], name: str) -> None:
        self.log, self.name = log, name

    def prepend(self, value: str) -> None:
        self.log.append((self.name, "prepend", value))

    def append(self, value: str) -> None:
        self.log.append((self.name, "append", value))


class Env:
    """rez's ``env`` as far as ``commands()`` uses it; records every change."""

    def __init__(self) -> None:
        object.__setattr__(self, "log", [])

    def __getattr__(self, name: str) -> Var:
        return Var(self.log, name)

    def __setattr__(self, name: str, value: str) -> None:
        self.log.append((name, "set", value))


def _commands() -> list[tuple[str, str, str]]:
    function = _fields()["commands"]
    module = ast.Module(body=[function], type_ignores=[])
    namespace: dict[str, Any] = {"env": Env()}
    exec(compile(module, str(PACKAGE), "exec"), namespace)  # only the commands function
    namespace["commands"]()
    return namespace["env"].log


def test_commands_set_path_nuke_path_and_the_resolve_scripts_folder() -> None:
    log = _commands()
    assert log == [
        ("PYTHONPATH", "prepend", "{root}/python"),
        ("PATH", "prepend", "{root}/bin"),
        ("NUKE_PATH", "append", "{root}/python/faceplate/hosts/nuke/nuke_path"),
        ("FACEPLATE_RESOLVE_SCRIPTS", "set", "{root}/python/faceplate/hosts/resolve/scripts")]


@pytest.mark.slow
def test_the_build_installs_the_files_the_commands_name(tmp_path: Path) -> None:
    """The pip step of ``build_command``, run for real: every folder the commands put on a
    path exists in the installed package, with the files the hosts load from it."""
    source = tmp_path / "source"  # a copy: the build leaves build/ in its source folder
    shutil.copytree(ROOT / "faceplate", source / "faceplate",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    command = _fields()["build_command"].split(" && ")[0]
    args = command.format(install_path=tmp_path, root=source).split()
    assert args[:3] == ["python", "-m", "pip"]
    done = subprocess.run([sys.executable, *args[1:], "--quiet"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for name, _, value in _commands():
        folder = Path(value.format(root=tmp_path))
        if name != "PATH":
            assert folder.is_dir(), (name, folder)
    assert (tmp_path / "python" / "bin" / "faceplate").is_file()  # moved to bin/ by the build
    nuke = tmp_path / "python" / "faceplate" / "hosts" / "nuke" / "nuke_path"
    assert (nuke / "init.py").is_file() and (nuke / "menu.py").is_file()
    resolve = tmp_path / "python" / "faceplate" / "hosts" / "resolve" / "scripts"
    assert (resolve / "Faceplate Swap.py").is_file()
