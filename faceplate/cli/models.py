"""The ``faceplate models`` command group: ``list`` and ``verify``."""

from __future__ import annotations

from pathlib import Path

import click

from faceplate.cli.output import Output, output_options
from faceplate.errors import ModelHashError
from faceplate.models.files import FileStatus, check, search_path
from faceplate.models.manifest import ModelEntry, load_manifest
from faceplate.models.policy import LicencePolicy, load_policy

model_dir_opt = click.option(
    "--model-dir", "model_dirs", multiple=True, type=click.Path(path_type=Path),
    help="Folder to search for model files before FACEPLATE_MODEL_PATH (repeatable).")
manifest_opt = click.option(
    "--manifest", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="A studio manifest to use instead of the packaged one.")


def _statuses(model_dirs: tuple[Path, ...],
              manifest: Path | None) -> tuple[list[FileStatus], LicencePolicy]:
    entries = load_manifest(manifest)
    dirs = search_path(list(model_dirs))
    policy = load_policy()
    return [check(e, dirs) for e in entries.values()], policy


def _allowed(policy: LicencePolicy, entry: ModelEntry) -> str:
    return ("allowed" if policy.allow is None or entry.licence in policy.allow
            else "REFUSED by policy")


@click.group()
def models() -> None:
    """Known models: where their files are, their hashes and licences."""


@models.command("list")
@model_dir_opt
@manifest_opt
@output_options
def list_models(model_dirs: tuple[Path, ...], manifest: Path | None, out: Output) -> None:
    """Show each model: found / missing / hash mismatch / no pinned hash, licence, location."""
    statuses, policy = _statuses(model_dirs, manifest)
    for s in statuses:
        where = str(s.path) if s.path else "-"
        out.line(f"{s.entry.id:24} {s.entry.role:11} {s.state:15} licence {s.entry.licence} "
                 f"({_allowed(policy, s.entry)})  {where}")
    out.result({"models": [{"id": s.entry.id, "role": s.entry.role, "state": s.state,
                            "licence": s.entry.licence,
                            "allowed": _allowed(policy, s.entry) == "allowed",
                            "path": str(s.path) if s.path else None} for s in statuses]})


@models.command()
@model_dir_opt
@manifest_opt
@output_options
def verify(model_dirs: tuple[Path, ...], manifest: Path | None, out: Output) -> None:
    """Hash every model file found; exit 4 when one does not match its pinned sha256."""
    statuses, _ = _statuses(model_dirs, manifest)
    bad = [s for s in statuses if s.state == "hash mismatch"]
    for s in statuses:
        if s.path is not None:
            note = "ok" if s.state == "found" else s.state
            out.line(f"{s.entry.id}: {note} sha256 {s.sha256} ({s.path})")
    out.result({"verified": [{"id": s.entry.id, "state": s.state, "sha256": s.sha256,
                              "path": str(s.path)} for s in statuses if s.path is not None],
                "mismatched": [s.entry.id for s in bad]})
    if bad:
        raise ModelHashError(f"{len(bad)} model file(s) do not match their pinned sha256: "
                             f"{', '.join(s.entry.id for s in bad)}", path=bad[0].path)
