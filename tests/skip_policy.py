"""A pytest plugin that lets no test skip unnoticed in CI.

Every skip is listed with its reason (``-rs`` in pyproject's addopts). With
``FACEPLATE_STRICT_SKIPS=1`` (``.ci/run`` sets it) a skip is allowed only when the allow-list
(``tests/allowed_skips.txt``, or the file ``FACEPLATE_ALLOWED_SKIPS`` names) has an entry for
that test whose expected text the skip message contains; any other skip, of a test or of a
whole module at collection (``pytest.importorskip``), is turned into a failure that names the
test and the skip's own reason. Without the variable a developer's machine may skip (no
Chromium, no Slurm), and still sees every reason.

Allow-list lines (``#`` starts a comment)::

    <test id> :: <text the skip message must contain> :: <why this skip is allowed>
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

STRICT_VARIABLE = "FACEPLATE_STRICT_SKIPS"
LIST_VARIABLE = "FACEPLATE_ALLOWED_SKIPS"
DEFAULT_LIST = Path(__file__).with_name("allowed_skips.txt")


@dataclass(frozen=True)
class AllowedSkip:
    """One allow-list entry: a test id, the text its skip message contains, and why."""

    test: str
    message: str
    why: str


def load_allowed(path: Path) -> list[AllowedSkip]:
    """The entries of an allow-list file.

    Raises:
        ValueError: a line is not ``test :: message :: why`` with all three filled.
    """
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" :: ")]
        if len(fields) != 3 or not all(fields):
            raise ValueError(f"{path}:{number}: expected 'test id :: skip message :: why', "
                             f"got {line!r}")
        entries.append(AllowedSkip(*fields))
    return entries


def skip_message(longrepr: Any) -> str:
    """The message of a skip report (pytest keeps skips as (path, line, message))."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def is_allowed(test: str, message: str, allowed: list[AllowedSkip]) -> bool:
    return any(entry.test == test and entry.message in message for entry in allowed)


def _strict() -> bool:
    return os.environ.get(STRICT_VARIABLE) == "1"


def _allowed(config: pytest.Config) -> list[AllowedSkip]:
    cached = getattr(config, "_faceplate_allowed_skips", None)
    if cached is None:
        path = Path(os.environ.get(LIST_VARIABLE) or DEFAULT_LIST)
        cached = load_allowed(path)
        config._faceplate_allowed_skips = cached  # type: ignore[attr-defined]
    return cached


def _refuse(report: Any, config: pytest.Config) -> None:
    """Turn ``report`` into a failure if it is a skip the allow-list does not name."""
    if not (_strict() and report.skipped) or hasattr(report, "wasxfail"):
        return
    message = skip_message(report.longrepr)
    if is_allowed(report.nodeid, message, _allowed(config)):
        return
    report.outcome = "failed"
    listed = Path(os.environ.get(LIST_VARIABLE) or DEFAULT_LIST).name
    report.longrepr = (f"unexpected skip: {message} (not allowed for this test by {listed}; "
                       f"{STRICT_VARIABLE}=1)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    _refuse(outcome.get_result(), item.config)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    outcome = yield
    _refuse(outcome.get_result(), collector.config)


def pytest_report_header(config: pytest.Config) -> str:
    if _strict():
        return f"skips: strict ({STRICT_VARIABLE}=1), {len(_allowed(config))} allowed by name"
    return f"skips: listed, not enforced (set {STRICT_VARIABLE}=1 to enforce the allow-list)"
