"""pydantic's validation errors as faceplate's: one :class:`SpecError` per problem, each naming
its key (``plate.frames``, ``swaps[0].source``, ``farm.slurm.time``) and saying what is wrong in
one line."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

from faceplate.errors import SpecError, raise_spec_errors

Loc = tuple[int | str, ...]
#: pydantic's error types for a value that should have been a mapping.
_NOT_A_MAPPING = {"model_type", "model_attributes_type", "dataclass_type", "dict_type"}


def custom(message: str, *, key: str | None = None,
           subkey: str | None = None) -> PydanticCustomError:
    """A validation error in faceplate's words. ``key`` names the key it concerns when that is
    not the one being validated; ``subkey`` a key below the one being validated."""
    ctx: dict[str, str] = {"message": message}
    if key:
        ctx["key"] = key
    if subkey:
        ctx["subkey"] = subkey
    return PydanticCustomError("spec", "{message}", ctx)


def says(message: str) -> WrapValidator:
    """Metadata for a field (or a union): any failure to validate it is the one error
    ``message`` (what is expected), not pydantic's wording or one error per union branch."""
    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise custom(message) from None
    return WrapValidator(check)


def key_of(loc: Loc, prefix: str = "") -> str:
    """``("swaps", 0, "source")`` → ``swaps[0].source`` (after ``prefix``, if any; a prefix
    ending in a space, such as ``"-o "``, is followed by the key without a dot)."""
    key = prefix
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key and not key.endswith(" ") else str(part)
    return key or "(top level)"


def _fields(cls: Any) -> dict[str, Any]:
    fields = getattr(cls, "__pydantic_fields__", None)
    return dict(fields) if isinstance(fields, dict) else {}


def _opened(annotation: Any) -> list[Any]:
    """Every type an annotation names: unions, ``Annotated`` and containers opened."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return [annotation]
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _opened(args[0])
    return [annotation] + [t for a in args for t in _opened(a)]


def _is_mapping(annotation: Any) -> bool:
    return any(typing.get_origin(t) in (dict, Mapping) for t in _opened(annotation))


def field_at(root: Any, loc: Loc) -> tuple[Any, Any]:
    """``(class, FieldInfo)`` at ``loc`` from the pydantic class ``root``: the class whose keys
    apply there and the last named field (None where ``loc`` leaves the declared classes).
    List indices and a mapping's keys (``sources.<name>``) are stepped over."""
    owner: Any = root
    info: Any = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = _fields(owner)
        if part in fields:
            info = fields[part]
            nested = [t for t in _opened(info.annotation) if _fields(t)]
            owner = nested[0] if nested else None
        elif info is not None and _is_mapping(info.annotation) and owner is not None:
            info = None  # a mapping's key: its value is of the class found for the field
        else:
            return None, None
    return owner, info


def message_of(error: Mapping[str, Any], root: Any = None) -> str:
    """One line saying what is wrong, in faceplate's words where pydantic's are unclear."""
    kind, loc = error["type"], tuple(error["loc"])
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        owner, _ = field_at(root, loc[:-1]) if root is not None else (None, None)
        allowed = ", ".join(sorted(_fields(owner))) if owner is not None else ""
        return f"unknown key (allowed: {allowed})" if allowed else "unknown key"
    if kind in ("missing", "missing_argument"):
        return "missing required key"
    if kind in _NOT_A_MAPPING:
        return f"expected a mapping, got {type(error['input']).__name__}"
    if kind == "string_type":
        return "expected a non-empty string"
    if kind == "string_pattern_mismatch":
        _, info = field_at(root, loc) if root is not None else (None, None)
        what = getattr(info, "description", None) or "the expected form"
        return f"{error['input']!r} is not valid ({what})"
    text = str(error["msg"])
    text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return text[:1].lower() + text[1:]


def spec_errors(exc: ValidationError, root: Any, prefix: str = "",
                path: str | Path | None = None) -> list[SpecError]:
    """Every problem of ``exc`` (a validation of ``root``) as a :class:`SpecError`; a custom
    error may name its own key in its context (``ctx["key"]``)."""
    found: list[SpecError] = []
    for error in exc.errors(include_url=False):
        ctx = error.get("ctx") or {}
        key = ctx["key"] if "key" in ctx else key_of(tuple(error["loc"]), prefix)
        if "subkey" in ctx:
            key = f"{key}.{ctx['subkey']}" if key != "(top level)" else ctx["subkey"]
        if any(f.key == key for f in found):
            continue  # one error per key
        message = " ".join(message_of(error, root).split())  # one line, whatever it quotes
        found.append(SpecError(message, key=key, path=path))
    return found


def validate(cls: type, data: Any, prefix: str = "", *, path: str | Path | None = None,
             context: Mapping[str, Any] | None = None) -> Any:
    """``data`` validated as ``cls`` (a pydantic dataclass or model).

    Raises:
        SpecError: every problem at once, each naming its key under ``prefix``.
    """
    try:
        return TypeAdapter(cls).validate_python(data, context=dict(context or {}))
    except ValidationError as exc:
        raise_spec_errors(spec_errors(exc, cls, prefix, path))
        raise  # pragma: no cover - spec_errors always finds the problem
