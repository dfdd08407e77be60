"""The house rule: layers import only downward (docs/architecture.md draws it).

Two checks, as Gaffer's ``TestCase.assertModuleDoesNotImportUI`` does it and more:
- every ``import`` statement in every module, at module level, inside functions and under
  ``TYPE_CHECKING`` alike, is read from the source and held to the rule;
- each package and sub-package is imported alone in a fresh interpreter: it must import (no
  cycle) and leave no package above it in ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "faceplate"

#: Floor of each top-level module or package of faceplate: it may import lower floors only.
FLOORS = {
    "": 0, "errors": 0, "types": 0, "frames": 0, "registry": 0, "written": 0, "memory": 0,
    "streams": 0, "threads": 0,
    "spec": 1, "plateio": 1, "ocio": 1, "face": 1, "models": 1,
    "pipeline": 2,
    "nodes": 3,
    "demo": 4, "farm": 4,
    "hosts": 5,
    "cli": 6,
    "__main__": 7,
}
#: Imports between rooms of one floor that the rule allows, and why (docs/architecture.md).
SIDEWAYS = {
    ("", "errors"),  # the package root offers FaceplateError
    ("frames", "errors"), ("registry", "errors"),  # the ground floor raises faceplate errors
    ("written", "errors"),
    ("models", "face"),  # the learned swap returns face's SwapResult from its SourceFace
}
#: Stage sub-packages of the pipeline: they talk only through the stage files.
STAGES = {"analyse", "solve", "render", "report"}


def room(module: str) -> str:
    """The top-level room of a ``faceplate...`` module name ('' for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "pipeline" and parts[2] in STAGES else None


def allowed(importer: str, imported: str) -> bool:
    """Whether module ``importer`` may import module ``imported`` (both ``faceplate...``)."""
    a, b = room(importer), room(imported)
    if a == b:
        sa, sb = stage_of(importer), stage_of(imported)
        return sa is None or sb is None or sa == sb
    return FLOORS[b] < FLOORS[a] or (a, b) in SIDEWAYS


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, name: str, is_package: bool) -> list[tuple[int, str]]:
    """Every faceplate module ``source`` imports, wherever the statement stands: (line, name)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("faceplate")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join(package + ([base] if base else []))
            if base == "faceplate":  # from faceplate import errors / __version__
                found += [(node.lineno, f"faceplate.{a.name}" if a.name in FLOORS
                           else "faceplate") for a in node.names]
            elif base.startswith("faceplate"):
                found.append((node.lineno, base))
    return found


def violations(root: Path = ROOT) -> list[str]:
    """Each import anywhere under ``root`` that breaks the rule, as ``file:line: a -> b``."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        for line, imported in imports_of(path.read_text(encoding="utf-8"), name,
                                         path.name == "__init__.py"):
            if not allowed(name, imported):
                bad.append(f"{path.relative_to(root.parent)}:{line}: {name} -> {imported}")
    return bad


def test_every_import_statement_points_downward() -> None:
    assert violations() == []


def test_the_check_sees_a_forbidden_import_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "faceplate"
    for folder in ("ocio", "pipeline/render", "pipeline/report"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from faceplate.errors import FaceplateError\n")
    (package / "ocio" / "colour.py").write_text(
        "from faceplate.errors import ColourError\n\n\n"
        "def later():\n    from faceplate.nodes import ShotNode\n    return ShotNode\n")
    (package / "pipeline" / "report" / "stage.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from ..render.stage import RenderResult\n")
    assert violations(package) == [
        "faceplate/ocio/colour.py:5: faceplate.ocio.colour -> faceplate.nodes",
        "faceplate/pipeline/report/stage.py:3: faceplate.pipeline.report.stage -> "
        "faceplate.pipeline.render.stage"]


PROBE = """
import importlib, json, sys
importlib.import_module({name!r})
ours = {{m for m in sys.modules if m == 'faceplate' or m.startswith('faceplate.')}}
print(json.dumps(sorted(ours)))
"""


def _packages() -> list[str]:
    names = [module_name(p) for p in sorted(ROOT.rglob("__init__.py"))]
    ground = [f"faceplate.{p.stem}" for p in sorted(ROOT.glob("*.py")) if p.stem != "__main__"
              and p.stem != "__init__"]
    return ground + names


def _import_alone(name: str) -> tuple[str, subprocess.CompletedProcess[str]]:
    return name, subprocess.run([sys.executable, "-c", PROBE.format(name=name)],
                                capture_output=True, text=True, timeout=300)


def test_each_package_imports_alone_and_loads_nothing_above_it() -> None:
    packages = _packages()
    assert "faceplate.pipeline.render" in packages and "faceplate.registry" in packages
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_import_alone, ["faceplate", *packages]))
    always = set(json.loads(results[0][1].stdout))  # what `import faceplate` itself loads
    problems = []
    for name, done in results:
        if done.returncode != 0:
            problems.append(f"{name} does not import alone: {done.stderr.strip().splitlines()[-1]}")
            continue
        loaded = json.loads(done.stdout)
        problems += [f"{name} loads {m}" for m in loaded
                     if m not in always and not allowed(name, m)]
    assert problems == []


@pytest.mark.parametrize("importer, imported, ok", [
    ("faceplate.ocio.colour", "faceplate.errors", True),
    ("faceplate.ocio.colour", "faceplate.spec", False),
    ("faceplate.models.learned_swapper", "faceplate.face.swapper", True),
    ("faceplate.face.swapper", "faceplate.models.align", False),
    ("faceplate.farm", "faceplate.hosts.nuke", False),
    ("faceplate.hosts.nuke", "faceplate.farm", True),
    ("faceplate.pipeline.render.stage", "faceplate.pipeline.stage_files.tracks", True),
    ("faceplate.pipeline.render.stage", "faceplate.pipeline.analyse.sources", False),
    ("faceplate.demo.build", "faceplate.farm", False),
])
def test_the_rule(importer: str, imported: str, ok: bool) -> None:
    assert allowed(importer, imported) is ok
