"""Reading a YAML file faceplate is given (a shot spec, reviewer overrides) with bounds: on the
file's size, on its nesting, and on how far its aliases expand, so a hostile file (a "billion
laughs" of nested ``&anchor``/``*alias``) is refused in a moment with a short message instead of
exhausting memory in the loader or in an error message that repeats it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from faceplate.errors import SpecError

#: The largest YAML file faceplate reads (a spec is a few kilobytes).
MAX_YAML_BYTES = 1 << 20
#: The most nodes a document may hold once every alias is expanded (a spec holds a few hundred).
MAX_YAML_NODES = 100_000


def expanded_size(root: yaml.Node, limit: int = MAX_YAML_NODES) -> int:
    """How many nodes ``root`` stands for with every alias expanded, counted without expanding
    them (each node once, memoised); a count past ``limit`` is given as ``limit + 1``.

    Raises:
        ValueError: an alias refers to a node that contains it (a recursive document).
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if id(node) in open_nodes:
            raise ValueError("an alias refers to a node that contains it")
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise ValueError("an alias refers to a node that contains it")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(path: Path, what: str) -> Any:
    """The plain data of the YAML file ``path`` (``what`` it is, for messages).

    Raises:
        FileNotFoundError: no such file (the caller says what that means).
        SpecError: unreadable, too large, nested too deeply, aliases expanding past the bound,
            or not YAML: one short line naming ``path``.
    """
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SpecError(f"cannot read {what}: {exc.strerror or exc}", path=path) from None
    if len(raw) > MAX_YAML_BYTES:
        raise SpecError(f"{what} is larger than {MAX_YAML_BYTES} bytes: refused", path=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{what} is not UTF-8 text (byte {exc.start})", path=path) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = expanded_size(node)
        if size > MAX_YAML_NODES:
            raise SpecError(f"{what} expands to more than {MAX_YAML_NODES} values through its "
                            "aliases (&anchor, *alias): refused", path=path)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{what} is not valid YAML{where}", path=path) from None
    except ValueError as exc:
        raise SpecError(f"{what}: {exc}: refused", path=path) from None
    except RecursionError:
        raise SpecError(f"{what} is nested too deeply: refused", path=path) from None
    finally:
        loader.dispose()
