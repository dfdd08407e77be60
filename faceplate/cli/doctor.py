"""``faceplate doctor``: which OCIO config, models and execution providers a run would use."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from faceplate import __version__
from faceplate.spec import check_inputs, load_spec


@click.command()
@click.argument("spec", type=click.Path(path_type=Path), required=False)
@click.option("--ocio", "ocio_config", default=None, help="Config to check instead of the default.")
def doctor(spec: Path | None, ocio_config: str | None) -> None:
    """Say which OCIO config, models and execution providers a run would use, and from where.

    With SPEC, load the shot's models and show the provider each one actually got."""
    import onnxruntime

    from faceplate.models.manifest import load_manifest
    from faceplate.nodes import ShotNode
    from faceplate.pipeline.context import RunContext
    from faceplate.pipeline.shot_models import learned_swapper, model_ids
    from faceplate.spec import ModelsSpec
    shot = check_inputs(load_spec(spec)) if spec is not None else None
    ctx = RunContext.create(ocio_config or (shot.ocio if shot else None))
    choice = ctx.colour.choice
    click.echo(f"faceplate {__version__}")
    click.echo(f"OCIO config: {choice.uri} (from {choice.origin})")
    for name, version in ctx.face_pack.versions().items():
        click.echo(f"{name}: {version}")
    manifest = load_manifest(shot.models.manifest if shot else None)
    for model_id in model_ids(shot.models if shot else ModelsSpec()):
        m = manifest.get(model_id)
        if m is not None:
            use = "commercial use" if m.commercial_use else "NOT for commercial use"
            click.echo(f"model {m.id}: {m.role}, {m.extra.get('distribution', 'studio file')} "
                       f"{m.file or '(built in)'}, licence {m.licence} ({use})")
    click.echo(f"onnxruntime {onnxruntime.__version__}: providers available "
               f"{', '.join(onnxruntime.get_available_providers())}")
    torch = ("installed" if importlib.util.find_spec("onnx2torch")
             and importlib.util.find_spec("torch")
             else "not installed (pip install 'faceplate[torch]')")
    click.echo(f"torch backend (onnx2torch): {torch}")
    if shot is not None and learned_swapper(shot.models) is not None:
        node = ShotNode(shot, ctx)
        node.check()
        for model, provider in node.preflight().shot_models().providers().items():
            click.echo(f"{model}: runs on {provider}")
