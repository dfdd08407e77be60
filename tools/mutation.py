"""Mutation testing of faceplate's core, package by package, with cosmic-ray (outside CI: slow).

    .venv/bin/pip install -e '.[mutation]'
    .venv/bin/python tools/mutation.py --list               # the packages pyproject.toml names
    .venv/bin/python tools/mutation.py frames resume-keys   # run them (all of them by default)
    .venv/bin/python tools/mutation.py farm-writers --recheck /tmp/m/farm-writers.survivors.txt

The packages, their modules and the test files that judge them are configured in
``pyproject.toml`` (``[tool.cosmic-ray]`` and ``[tool.cosmic-ray.packages.<name>]``). Each
package runs in a fresh copy of the work tree (tracked and unignored files) in a temporary
folder, imported from there (``PYTHONPATH``), so the tree you work in is never mutated and the
CLI the tests start sees the mutant too. For each mutant cosmic-ray changes one operator,
number or keyword, runs the package's test files (``pytest -x``), and records whether a test
failed (killed) or not (survived). Lines marked ``# pragma: no mutate`` are left alone, and so
are annotations, which ``from __future__ import annotations`` never evaluates (equivalent).

It prints per package the score (killed / (killed + survived)), the time it took, and each
surviving mutant as a diff; ``--out`` keeps the sessions and the survivors' diffs.
See docs/testing.md for the last scores and why each survivor survives.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Package:
    """A part of the core, the modules mutated in it and the pytest arguments that judge them."""

    name: str
    modules: list[str]
    tests: list[str]
    #: The test rigs' analysed shots are built once (by the baseline run) and reused by every
    #: mutant's run (``tests/render_rig.py``): only for modules analysis and solve never import.
    reuse_rigs: bool = False


@dataclass(frozen=True)
class Outcome:
    name: str
    killed: int
    survived: int
    incompetent: int
    skipped: int
    unsampled: int
    seconds: float
    survivors: list[str]

    @property
    def score(self) -> float:
        judged = self.killed + self.survived
        return self.killed / judged if judged else 1.0


def load_settings(pyproject: Path = ROOT / "pyproject.toml") -> tuple[dict, list[Package]]:
    """The shared cosmic-ray settings and the packages, from ``[tool.cosmic-ray]``."""
    settings = dict(tomllib.loads(pyproject.read_text())["tool"]["cosmic-ray"])
    packages = [Package(name, list(p["modules"]), list(p["tests"]), p.get("reuse-rigs", False))
                for name, p in settings.pop("packages").items()]
    return settings, packages


def work_copy(folder: Path) -> Path:
    """The tracked and unignored files of the work tree, copied into ``folder``."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return folder


def _config(package: Package, settings: dict) -> str:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               *package.tests]
    lines = ["[cosmic-ray]",
             f"module-path = {json.dumps(package.modules)}",
             f"timeout = {float(settings.get('timeout', 300))}",
             "excluded-modules = []",
             f"test-command = {json.dumps(shlex.join(command))}",
             "",
             "[cosmic-ray.distributor]",
             'name = "local"',
             "",
             "[cosmic-ray.filters.operators-filter]",
             f"exclude-operators = {json.dumps(settings.get('exclude-operators', []))}",
             ""]
    return "\n".join(lines)


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (line, column) of every annotation in a module that never evaluates them
    (``from __future__ import annotations``); none otherwise."""
    tree = ast.parse(source)
    lazy = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
               and any(a.name == "annotations" for a in n.names) for n in tree.body)
    if not lazy:
        return []
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            arguments = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
            found += [arg.annotation for arg in arguments if arg and arg.annotation]
            found += [node.returns] if node.returns else []
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return [((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0))
            for n in found]


def skip_annotation_mutants(session: Path, tree: Path) -> None:
    """Mark mutants inside annotations skipped: with ``from __future__ import annotations``
    no annotation is evaluated at run time, so each of them is an equivalent mutant."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult
    spans: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            for mutation in item.mutations:
                path = str(mutation.module_path)
                if path not in spans:
                    spans[path] = annotation_spans((tree / path).read_text())
                where = tuple(mutation.start_pos)
                if any(start <= where < end for start, end in spans[path]):
                    db.set_result(item.job_id, WorkResult(
                        output="in an annotation, never evaluated",
                        worker_outcome=WorkerOutcome.SKIPPED))
                    break


def sample_mutants(session: Path, fraction: float, seed: int) -> None:
    """Keep a seeded random ``fraction`` of the pending mutants and mark the rest skipped (not
    in the sample): a bounded run whose score estimates the whole package's."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult
    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = sorted(item.job_id for item in db.pending_work_items)
        keep = set(random.Random(seed).sample(pending, round(fraction * len(pending))))
        for job_id in pending:
            if job_id not in keep:
                db.set_result(job_id, WorkResult(output="not in the sample",
                                                 worker_outcome=WorkerOutcome.SKIPPED))


def _test_env(package: Package, copy: Path, tmp: Path) -> dict[str, str]:
    """The environment the tests run in: the copy imported, and the rigs' cache where the
    package reuses them."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("FACEPLATE_STRICT_SKIPS", None)
    env.pop("FACEPLATE_TEST_RIGS", None)
    if package.reuse_rigs:
        env["FACEPLATE_TEST_RIGS"] = str(tmp / "rigs")
    return env


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def run_package(package: Package, settings: dict, out: Path | None,
                sample: float = 1.0, seed: int = 0) -> Outcome:
    """Mutate ``package`` in a fresh copy of the tree and run its tests against each mutant
    (a seeded random ``sample`` of them when below 1)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"faceplate-mutation-{package.name}-") as tmp:
        copy = work_copy(Path(tmp) / "tree")
        env = _test_env(package, copy, Path(tmp))
        config = Path(tmp) / "cosmic-ray.toml"
        config.write_text(_config(package, settings))
        session = Path(tmp) / f"{package.name}.sqlite"

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(list(args), cwd=copy, env=env, check=True,
                                  capture_output=True, text=True)
        run(_tool("cosmic-ray"), "init", str(config), str(session))
        run(_tool("cr-filter-operators"), str(session), str(config))
        run(_tool("cr-filter-pragma"), str(session))
        skip_annotation_mutants(session, copy)
        if sample < 1.0:
            sample_mutants(session, sample, seed)
        run(_tool("cosmic-ray"), "baseline", str(config))
        run(_tool("cosmic-ray"), "exec", str(config), str(session))
        dump = run(_tool("cosmic-ray"), "dump", str(session)).stdout
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(session, out / session.name)
    counts = {"killed": 0, "survived": 0, "incompetent": 0, "skipped": 0, "unsampled": 0}
    survivors = []
    for line in dump.splitlines():
        item, result = json.loads(line)
        if result is None or result["worker_outcome"] == "skipped":
            unsampled = result is not None and result["output"] == "not in the sample"
            counts["unsampled" if unsampled else "skipped"] += 1
            continue
        counts[result["test_outcome"]] += 1
        if result["test_outcome"] == "survived":
            (mutation,) = item["mutations"]
            where = f"{mutation['module_path']}:{mutation['start_pos'][0]}"
            survivors.append(f"{where} {mutation['operator_name']} #{mutation['occurrence']}\n"
                             + result["diff"])
    outcome = Outcome(package.name, counts["killed"], counts["survived"],
                      counts["incompetent"], counts["skipped"], counts["unsampled"],
                      time.monotonic() - start,
                      survivors)
    if out is not None:
        (out / f"{package.name}.survivors.txt").write_text("\n".join(survivors))
    return outcome


def read_survivors(path: Path) -> list[tuple[str, str]]:
    """(where, diff) of each survivor in a ``<package>.survivors.txt`` that ``--out`` wrote."""
    entries: list[tuple[str, str]] = []
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("faceplate/") and " core/" in line:
            entries.append((line.strip(), ""))
        elif entries and not line.startswith("--- mutation diff ---"):
            entries[-1] = (entries[-1][0], entries[-1][1] + line)
    return entries


def recheck(package: Package, survivors: Path) -> list[tuple[str, str]]:
    """Apply each surviving mutant of an earlier run, one at a time, to a fresh copy of the
    tree and run the package's tests (as they are now) against it: (where, "killed",
    "survived", or "gone" when the code it mutated has changed since and it no longer
    applies)."""
    results = []
    with tempfile.TemporaryDirectory(prefix=f"faceplate-recheck-{package.name}-") as tmp:
        copy = work_copy(Path(tmp) / "tree")
        env = _test_env(package, copy, Path(tmp))
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                   *package.tests]
        for where, diff in read_survivors(survivors):
            # fuzz 3: cosmic-ray adds a context line past the end of a file
            patch = ["patch", "-s", "-p1", "-F3", "-d", str(copy)]
            dry = subprocess.run([*patch, "--dry-run"], input=diff, text=True,
                                 capture_output=True)
            if dry.returncode != 0:
                results.append((where, "gone"))
                continue
            subprocess.run(patch, input=diff, text=True, check=True, capture_output=True)
            try:
                done = subprocess.run(command, cwd=copy, env=env, capture_output=True)
            finally:
                subprocess.run([*patch, "-R"], input=diff, text=True, check=True,
                               capture_output=True)
            results.append((where, "killed" if done.returncode != 0 else "survived"))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help="package names (default: all configured)")
    parser.add_argument("--list", action="store_true", help="list the configured packages")
    parser.add_argument("--out", type=Path, help="keep sessions and survivors' diffs here")
    parser.add_argument("--sample", type=float, default=1.0,
                        help="run a seeded random fraction of each package's mutants (0-1]")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed")
    parser.add_argument("--recheck", type=Path, metavar="SURVIVORS_TXT",
                        help="run one package's tests against the survivors an earlier run "
                             "wrote (--out), one at a time")
    args = parser.parse_args(argv)
    settings, packages = load_settings()
    if args.list:
        for p in packages:
            print(f"{p.name}: {' '.join(p.modules)}  <-  {' '.join(p.tests)}")
        return 0
    known = {p.name: p for p in packages}
    unknown = [n for n in args.packages if n not in known]
    if not 0 < args.sample <= 1:
        parser.error("--sample is a fraction in (0, 1]")
    if unknown:
        parser.error(f"unknown packages {unknown}; configured: {', '.join(known)}")
    chosen = [known[n] for n in args.packages] if args.packages else packages
    if args.recheck is not None:
        if len(chosen) != 1:
            parser.error("--recheck takes one package")
        results = recheck(chosen[0], args.recheck)
        for where, now in results:
            print(f"{now:8} {where}")
        counts = {k: sum(now == k for _, now in results) for k in ("killed", "gone")}
        print(f"{chosen[0].name}: of {len(results)} earlier survivors {counts['killed']} "
              f"killed now, {counts['gone']} gone (their code changed)", flush=True)
        return 0
    for package in chosen:
        outcome = run_package(package, settings, args.out, args.sample, args.seed)
        sampled = (f", {outcome.unsampled} not in the {args.sample:g} sample (seed "
                   f"{args.seed})" if outcome.unsampled else "")
        print(f"{outcome.name}: {outcome.score:.1%} killed ({outcome.killed} killed, "
              f"{outcome.survived} survived, {outcome.incompetent} incompetent, "
              f"{outcome.skipped} skipped by filter{sampled}) in "
              f"{outcome.seconds / 60:.1f} min", flush=True)
        for survivor in outcome.survivors:
            print("  survived: " + survivor.replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
