"""CI cannot hide a test: the skip allow-list is enforced, `.ci/run` fails when what the tests
need cannot be had, and its dependencies are pinned."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from skip_policy import DEFAULT_LIST, LIST_VARIABLE, STRICT_VARIABLE, load_allowed

ROOT = Path(__file__).parent.parent
CI = ROOT / ".ci" / "run"

_TESTS = '''
import pytest

def test_allowed():
    pytest.skip("no studio model here")

def test_other_reason():
    pytest.skip("something else went wrong")

def test_unlisted():
    pytest.skip("no browser")

@pytest.fixture
def cluster():
    pytest.skip("slurm-up.sh failed (1)")

def test_needs_cluster(cluster):
    pass

def test_runs():
    assert True
'''


def _pytest(folder: Path, strict: bool, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != STRICT_VARIABLE}
    env.update({"PYTHONPATH": str(Path(__file__).parent),
                LIST_VARIABLE: str(folder / "allowed.txt")})
    if strict:
        env[STRICT_VARIABLE] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "skip_policy", "-rfEs",
                           "-p", "no:cacheprovider", *args, str(folder)], capture_output=True,
                          text=True, cwd=folder, env=env)


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "test_some.py").write_text(_TESTS)
    (tmp_path / "allowed.txt").write_text(
        "# comment\n"
        "test_some.py::test_allowed :: no studio model :: the studio's own file\n"
        "test_some.py::test_other_reason :: no studio model :: allowed for that reason only\n")
    return tmp_path


def test_strict_run_fails_every_unlisted_skip_with_its_reason(suite: Path) -> None:
    done = _pytest(suite, strict=True)
    assert done.returncode == 1, done.stdout
    assert "2 failed, 1 passed, 1 skipped, 1 error" in done.stdout
    assert "FAILED test_some.py::test_unlisted - unexpected skip: no browser" in done.stdout
    # a fixture's skip (a cluster that did not start) fails the test's setup
    assert "ERROR test_some.py::test_needs_cluster - unexpected skip: slurm-up.sh fa" in done.stdout
    # listed by name, but skipping for another reason than the one allowed
    assert ("FAILED test_some.py::test_other_reason - unexpected skip: something else"
            in done.stdout)
    assert "SKIPPED [1] test_some.py:5: no studio model here" in done.stdout


def test_a_developer_run_lists_skips_with_reasons_and_passes(suite: Path) -> None:
    done = _pytest(suite, strict=False)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 4 skipped" in done.stdout
    for reason in ("no studio model here", "no browser", "slurm-up.sh failed (1)"):
        assert reason in done.stdout


def test_a_module_skipped_at_collection_fails_a_strict_run(tmp_path: Path) -> None:
    (tmp_path / "allowed.txt").write_text("")
    (tmp_path / "test_needs_onnx.py").write_text(
        'import pytest\nonnx = pytest.importorskip("no_such_onnx", reason="the test extra '
        'installs onnx")\n\ndef test_a():\n    pass\n\ndef test_b():\n    pass\n')
    (tmp_path / "test_plain.py").write_text("def test_c():\n    pass\n")
    relaxed = _pytest(tmp_path, strict=False)
    assert relaxed.returncode == 0, relaxed.stdout
    assert "1 passed, 1 skipped" in relaxed.stdout  # the whole module, one line with its reason
    assert "the test extra installs onnx" in relaxed.stdout
    done = _pytest(tmp_path, strict=True)
    assert done.returncode != 0
    assert re.search(r"ERROR collecting test_needs_onnx.py.*\nunexpected skip: the test extra "
                     r"installs onnx", done.stdout)


def test_the_allow_list_names_each_test_with_a_reason(request: pytest.FixtureRequest) -> None:
    allowed = load_allowed(DEFAULT_LIST)
    assert allowed, "the allow-list is read"
    for entry in allowed:
        assert entry.test.startswith("tests/test_") and "::" in entry.test
        assert len(entry.why) > 20, entry
    # Only a studio's own model files and the optional torch extra may be missing in CI.
    assert {e.test.split("[")[0] for e in allowed} == {
        "tests/test_models_registry.py::test_real_model_file_matches_its_contract",
        "tests/test_models_registry.py::test_torch_backend_matches_onnxruntime"}
    collected = {item.nodeid for item in request.session.items}
    files = {nodeid.split("::")[0] for nodeid in collected}
    stale = [e.test for e in allowed if e.test.split("::")[0] in files and e.test not in collected]
    assert not stale, f"allow-list entries that name no test: {stale}"


def test_the_allow_list_refuses_a_malformed_line(tmp_path: Path) -> None:
    bad = tmp_path / "allowed.txt"
    bad.write_text("tests/test_x.py::test_y :: a message\n")
    with pytest.raises(ValueError, match="allowed.txt:1: expected 'test id :: skip message"):
        load_allowed(bad)


def test_ci_makes_missing_tools_fail_not_skip() -> None:
    text = CI.read_text()
    assert f"export {STRICT_VARIABLE}=1" in text
    assert "|| echo" not in text and "|| true" not in text
    assert "set -euo pipefail" in text
    assert re.search(r"apt-get install .*chromium", text)
    assert 'export PIP_CONSTRAINT="$PWD/.ci/constraints.txt"' in text


def test_ci_dependencies_are_pinned_for_the_whole_test_extra() -> None:
    """Every distribution faceplate[test] needs is pinned to one version in the constraints."""
    sys.path.insert(0, str(ROOT / "tools"))
    from pin_ci_constraints import closure
    constraints = (ROOT / ".ci" / "constraints.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in constraints if line and not line.startswith("#"))
    needed = closure("faceplate", {"test"})
    missing = sorted(set(needed) - set(pins))
    assert not missing, f"not pinned in .ci/constraints.txt: {missing}"
    for name in ("opencolorio", "openimageio", "numpy", "onnx", "pytest", "ruff", "mypy"):
        assert re.fullmatch(r"\d+(\.\d+)*(\.post\d+)?", pins[name]), (name, pins[name])
