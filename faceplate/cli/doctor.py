"""``faceplate doctor``: which OCIO config, models and execution providers a run would use, and
from where; every check is run and reported, the failed ones each as an ``ERROR:`` line."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from faceplate import __version__
from faceplate.cli.output import Output, output_options
from faceplate.errors import FaceplateError
from faceplate.spec import ShotSpec, check_inputs, load_spec


@dataclass
class Check:
    """One check: its name, the lines it found (text) and value (JSON), or its error."""

    name: str
    lines: list[str]
    value: Any = None
    error: FaceplateError | None = None


class Checks:
    """The checks of one doctor run, each run whatever happened to the others."""

    def __init__(self) -> None:
        self.done: list[Check] = []

    def run(self, name: str, check: Callable[[], tuple[list[str], Any]]) -> Any:
        """Run ``check`` (it returns its lines and value); a faceplate error fails it."""
        try:
            lines, value = check()
        except FaceplateError as exc:
            self.done.append(Check(name, [f"{name}: FAILED"], error=exc))
            return None
        self.done.append(Check(name, lines, value))
        return value


@click.command()
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option("--ocio", "ocio_config", default=None,
              help="Config to check instead of the spec's, $OCIO's or the pinned one.")
@output_options
def doctor(spec: Path | None, ocio_config: str | None, out: Output) -> None:
    """Say which OCIO config, models and execution providers a run would use, and from where.

    With SPEC, check the spec and its input files, and load the shot's models to show the
    provider each one actually got. Every check runs; each failed one is an ERROR line and the
    exit code is the first failure's."""
    from faceplate.ocio import ColourManager
    from faceplate.ocio.config import ConfigChoice, choose_config, load_config
    from faceplate.pipeline.context import RunContext
    checks = Checks()
    checks.run("faceplate", lambda: ([f"faceplate {__version__}"], __version__))
    shot: ShotSpec | None = None
    spec_ok = False
    if spec is not None:
        loaded = checks.run("spec", lambda: _load(spec))
        spec_ok = isinstance(loaded, ShotSpec)
        shot = loaded if spec_ok else None
        if shot is None:  # unreadable or invalid: its ocio: is unknown, the rest still runs
            try:
                shot = load_spec(spec)
            except FaceplateError:
                shot = None

    def colour() -> tuple[list[str], Any]:
        choice = (ConfigChoice(ocio_config, "--ocio") if ocio_config
                  else choose_config(shot.ocio if shot else None, os.environ))
        manager = ColourManager(load_config(choice), choice)
        return ([f"OCIO config: {choice.uri} (from {choice.origin})"],
                {"uri": choice.uri, "origin": choice.origin, "manager": manager})
    found = checks.run("OCIO config", colour)
    manager = found.pop("manager") if isinstance(found, dict) else None
    ctx = RunContext(colour=manager) if manager is not None else None
    checks.run("face pack", lambda: _face_pack(shot))
    checks.run("onnxruntime", _onnxruntime)
    checks.run("torch backend", _torch)
    if spec_ok and shot is not None and ctx is not None:
        checks.run("shot models", lambda: _shot_models(shot, ctx))
    _report(checks, out)


def _load(spec: Path) -> tuple[list[str], ShotSpec]:
    shot = check_inputs(load_spec(spec))
    return [f"spec: {shot.spec_path} (shot {shot.shot})"], shot


def _face_pack(shot: ShotSpec | None) -> tuple[list[str], Any]:
    """The versions of what runs the default pack, and the models the shot (or a default
    shot) uses, with their licences."""
    from faceplate.models.manifest import load_manifest
    from faceplate.models.mediapipe import MediaPipeFacePack
    from faceplate.pipeline.shot_models import model_ids
    from faceplate.spec import ModelsSpec
    versions = MediaPipeFacePack().versions()
    lines = [f"{name}: {version}" for name, version in versions.items()]
    manifest = load_manifest(shot.models.manifest if shot else None)
    models = []
    for model_id in model_ids(shot.models if shot else ModelsSpec()):
        m = manifest.get(model_id)
        if m is not None:
            models.append({"id": m.id, "role": m.role,
                           "distribution": m.extra.get("distribution", "studio file"),
                           "file": m.file or "(built in)", "licence": m.licence,
                           "commercial": m.commercial_use})
    use = {True: "commercial use", False: "NOT for commercial use"}
    lines += [f"model {m['id']}: {m['role']}, {m['distribution']} {m['file']}, licence "
              f"{m['licence']} ({use[bool(m['commercial'])]})" for m in models]
    return lines, {"versions": versions, "models": models}


def _onnxruntime() -> tuple[list[str], Any]:
    import onnxruntime
    providers = list(onnxruntime.get_available_providers())
    return ([f"onnxruntime {onnxruntime.__version__}: providers available "
             f"{', '.join(providers)}"],
            {"version": onnxruntime.__version__, "providers": providers})


def _torch() -> tuple[list[str], Any]:
    installed = bool(importlib.util.find_spec("onnx2torch") and importlib.util.find_spec("torch"))
    said = "installed" if installed else "not installed (pip install 'faceplate[torch]')"
    return [f"torch backend (onnx2torch): {said}"], installed


def _shot_models(shot: ShotSpec, ctx: Any) -> tuple[list[str], Any]:
    from faceplate.nodes import ShotNode
    from faceplate.pipeline.shot_models import learned_swapper
    if learned_swapper(shot.models) is None:
        return [], {}
    node = ShotNode(shot, ctx)
    node.check()
    providers = node.preflight().shot_models().providers()
    return [f"{model}: runs on {provider}" for model, provider in providers.items()], providers


def _report(checks: Checks, out: Output) -> None:
    """Print every check; the failed ones as ERROR lines on stderr, then exit with the first
    failure's code."""
    for check in checks.done:
        for line in check.lines:
            out.line(line)
    out.result({"checks": [{"name": c.name, "ok": c.error is None, "value": c.value,
                            "error": str(c.error) if c.error else None,
                            "exit_code": c.error.exit_code if c.error else 0}
                           for c in checks.done]})
    failed = [c.error for c in checks.done if c.error is not None]
    if failed:
        out.finish()  # the document still goes out before the exit
        for error in failed:
            for line in str(error).splitlines():
                click.echo(f"ERROR: {line}", err=True)
        click.get_current_context().exit(failed[0].exit_code)
