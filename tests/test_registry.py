"""Plugins by group and name (faceplate.registry): plugin files on FACEPLATE_PLUGIN_PATH come
first, then other distributions' entry points (unless switched off), then faceplate's own."""

from __future__ import annotations

import json
import os
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

import pytest

from faceplate.errors import SpecError
from faceplate.registry import DISABLE_VARIABLE, PATH_VARIABLE, discover, load, plugins

FARMS = "faceplate.farms"


def _plugin_file(path: Path, group: str, plugins: dict[str, str]) -> Path:
    path.write_text(json.dumps({group: plugins}), encoding="utf-8")
    return path


def test_faceplate_own_plugins_are_built_in() -> None:
    found = discover(FARMS, environ={})
    assert set(found) >= {"local", "slurm", "opencue", "deadline"}
    assert found["slurm"].target == "faceplate.farm.slurm:submit"
    assert found["slurm"].origin == "built in" and found["slurm"].distribution == "faceplate"
    assert found["local"].location.endswith(os.path.join("farm", "local.py"))


def test_a_plugin_file_adds_a_plugin_and_takes_precedence(tmp_path: Path) -> None:
    first = _plugin_file(tmp_path / "a.json", FARMS, {"slurm": "os.path:join", "mine": "os:getcwd"})
    second = _plugin_file(tmp_path / "b.json", FARMS, {"mine": "os:listdir"})
    env = {PATH_VARIABLE: os.pathsep.join([str(first), str(second)])}
    found = discover(FARMS, environ=env)
    assert found["slurm"].target == "os.path:join" and found["slurm"].origin == "plugin file"
    assert found["mine"].target == "os:getcwd"          # the first file on the path wins
    assert found["mine"].distribution == str(first)
    assert found["local"].origin == "built in"          # the others are still there
    assert load(FARMS, "mine", environ=env) is os.getcwd
    assert load(FARMS, "slurm", environ=env) is os.path.join
    assert [p.name for p in plugins((FARMS,), environ=env)] == sorted(found)


def test_the_switch_leaves_faceplate_own_plugins_on(tmp_path: Path) -> None:
    plugin = _plugin_file(tmp_path / "a.json", FARMS, {"mine": "os:getcwd"})
    found = discover(FARMS, environ={DISABLE_VARIABLE: "1", PATH_VARIABLE: str(plugin)})
    assert {"local", "slurm", "mine"} <= set(found)
    assert all(p.origin in ("built in", "plugin file") for p in found.values())


def test_a_bad_plugin_file_or_target_is_a_one_line_spec_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        discover(FARMS, environ={PATH_VARIABLE: str(broken)})
    assert caught.value.key == PATH_VARIABLE and "broken.json" in str(caught.value)
    missing = _plugin_file(tmp_path / "m.json", FARMS, {"ghost": "no_such_module_here:submit"})
    with pytest.raises(SpecError, match="does not load") as caught:
        load(FARMS, "ghost", key="--farm", environ={PATH_VARIABLE: str(missing)})
    assert caught.value.key == "--farm" and "\n" not in str(caught.value)
    with pytest.raises(SpecError, match="unknown farm 'nowhere'; known: .*local"):
        load(FARMS, "nowhere", environ={})


@pytest.fixture
def studio_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An installed distribution other than faceplate (its metadata on ``sys.path``) whose
    entry points add the farm ``tractor`` and name ``slurm`` too (its name sorts before
    faceplate's)."""
    info = tmp_path / "site" / "acme_farms-2.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-farms\nVersion: 2.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[faceplate.farms]\nslurm = json:dumps\ntractor = json : loads\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return "acme-farms"


def test_other_distributions_come_before_faceplate_and_plugin_files_before_both(
        tmp_path: Path, studio_distribution: str) -> None:
    found = discover(FARMS, environ={DISABLE_VARIABLE: ""})  # empty: not switched off
    assert found["slurm"].target == "json:dumps" and found["slurm"].origin == "entry point"
    assert (found["slurm"].distribution, found["slurm"].version) == (studio_distribution, "2.1")
    assert found["slurm"].location == json.__file__
    assert found["tractor"].location == json.__file__             # the module's name stripped
    assert found["local"].origin == "built in"
    assert load(FARMS, "tractor", environ={}) is json.loads
    plugin = _plugin_file(tmp_path / "a.json", FARMS, {"slurm": "os:getcwd"})
    over = discover(FARMS, environ={PATH_VARIABLE: str(plugin)})
    assert over["slurm"].origin == "plugin file" and over["tractor"].origin == "entry point"
    off = discover(FARMS, environ={DISABLE_VARIABLE: "0"})         # anything but empty
    assert "tractor" not in off and off["slurm"].target == "faceplate.farm.slurm:submit"


def test_plugins_come_sorted_by_group_then_name(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = tmp_path / "p.json"
    plugin.write_text(json.dumps({FARMS: {"aaa": "os:getcwd"},
                                  "faceplate.hosts": {"aaa": "os:listdir"}}), encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(plugin))        # read from os.environ by default
    listed = [(p.group, p.name) for p in plugins()]
    assert listed == sorted(listed) and listed[0] == (FARMS, "aaa")
    assert {"faceplate.hosts", FARMS} == {group for group, _ in listed}
    assert ("faceplate.hosts", "aaa") in listed and ("faceplate.hosts", "nuke") in listed
    assert load("faceplate.hosts", "aaa") is os.listdir


def test_plugin_files_on_the_path(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"faceplate.hosts": {"h": "os:getcwd"}}), encoding="utf-8")
    mine = _plugin_file(tmp_path / "mine.json", FARMS, {"mine": "os:getcwd", "n": 7})
    env = {PATH_VARIABLE: os.pathsep.join(["", str(other), "", str(mine), ""])}
    found = discover(FARMS, environ=env)           # empty entries skipped; other groups too
    assert found["mine"].origin == "plugin file" and found["mine"].version == "-"
    assert found["n"].target == "7" and found["n"].location == "not importable"
    assert "h" not in found
    for text in ("[1, 2]", json.dumps({FARMS: ["mine"]})):
        other.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError, match=r"expected \{group: \{name: 'module:attribute'\}\}") \
                as caught:
            discover(FARMS, environ=env)
        assert caught.value.key == PATH_VARIABLE and caught.value.path == str(other)
    gone = tmp_path / "gone.json"
    with pytest.raises(SpecError, match="unreadable plugin file") as caught:
        discover(FARMS, environ={PATH_VARIABLE: str(gone)})
    assert caught.value.path == str(gone) and caught.value.key == PATH_VARIABLE


def test_where_a_plugin_module_would_load_from(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "studio_ns" / "tools").mkdir(parents=True)      # a namespace package
    (tmp_path / "studio_ns" / "tools" / "farm.py").write_text("submit = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugin = _plugin_file(tmp_path / "p.json", FARMS, {
        "ns": "studio_ns:x", "file": " studio_ns.tools.farm :submit", "rel": ".farm:submit",
        "builtin": "sys:path", "missing": "studio_ns.nothing:x"})
    found = discover(FARMS, environ={PATH_VARIABLE: str(plugin)})
    assert found["ns"].location == str(tmp_path / "studio_ns")
    assert found["file"].location == str(tmp_path / "studio_ns" / "tools" / "farm.py")
    assert found["rel"].location == "not importable"          # a relative name: ValueError
    assert found["builtin"].location == "built-in"
    assert found["missing"].location == "not importable"
    assert load(FARMS, "file", environ={PATH_VARIABLE: str(plugin)}) == 1
    made = ModuleType("studio_made")                 # made at run time: no spec
    monkeypatch.setitem(sys.modules, "studio_made", made)
    odd = ModuleType("studio_odd")
    odd.__spec__ = ModuleSpec("studio_odd", None)    # a spec with neither origin nor folders
    monkeypatch.setitem(sys.modules, "studio_odd", odd)
    plugin = _plugin_file(tmp_path / "q.json", FARMS, {"made": "studio_made:x",
                                                       "odd": "studio_odd:x"})
    found = discover(FARMS, environ={PATH_VARIABLE: str(plugin)})
    assert found["made"].location == "not importable" and found["odd"].location == "?"


def test_load_follows_a_dotted_attribute_and_names_what_it_knows(tmp_path: Path) -> None:
    plugin = _plugin_file(tmp_path / "p.json", FARMS, {
        "dotted": "os: path.join ", "module": "os.path", "bare": "os:", "bad": "os:path.nothing"})
    env = {PATH_VARIABLE: str(plugin)}
    assert load(FARMS, "dotted", environ=env) is os.path.join
    assert load(FARMS, "module", environ=env) is os.path
    assert load(FARMS, "bare", environ=env) is os
    with pytest.raises(SpecError) as caught:
        load(FARMS, "bad", key="--farm", environ=env)
    assert str(caught.value).startswith("--farm: plugin 'bad' (os:path.nothing) does not load:")
    with pytest.raises(SpecError) as caught:
        load("faceplate.gadgets", "x", key="--gadget", environ={})
    assert str(caught.value) == "--gadget: unknown gadget 'x'; known: none installed"
    with pytest.raises(SpecError) as caught:
        load(FARMS, "mine", environ=env)
    assert str(caught.value) == "unknown farm 'mine'; known: bad, bare, deadline, dotted, " \
        "local, module, opencue, slurm"
