"""The ``faceplate models`` command group: ``list``, ``verify`` and ``pin``."""

from __future__ import annotations

from pathlib import Path

import click

from faceplate.cli.output import Output, output_options
from faceplate.errors import ModelError, ModelHashError
from faceplate.models.files import FileStatus, check, mismatch_message, search_path
from faceplate.models.lock import ModelLock, load_lock, lock_path, write_lock
from faceplate.models.manifest import ModelEntry, load_manifest
from faceplate.models.policy import LicencePolicy, load_policy

model_dir_opt = click.option(
    "--model-dir", "model_dirs", multiple=True, type=click.Path(path_type=Path),
    help="Folder to search for model files before FACEPLATE_MODEL_PATH (repeatable).")
manifest_opt = click.option(
    "--manifest", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="A studio manifest to use instead of the packaged one.")
lock_opt = click.option(
    "--lock", "lock_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="The studio's model lock (default: $FACEPLATE_MODEL_LOCK, else models.lock.yaml "
         "beside faceplate.yaml).")


def _statuses(model_dirs: tuple[Path, ...], manifest: Path | None, lock: ModelLock
              ) -> list[FileStatus]:
    dirs = search_path(list(model_dirs))
    return [check(e, dirs, lock) for e in load_manifest(manifest).values()]


def _verdict(policy: LicencePolicy, entry: ModelEntry) -> str:
    use = "commercial use" if entry.commercial_use else "NOT for commercial use"
    return f"{use}, {'allowed' if policy.allows(entry) else 'REFUSED by policy'}"


def _contract(status: FileStatus) -> str | None:
    """Why the found file is not a loadable model of its contract (None: it is)."""
    from faceplate.models.contracts import check_file
    assert status.path is not None
    try:
        check_file(status.entry, status.path)
    except ModelError as exc:
        return exc.message
    return None


def _problem(status: FileStatus) -> str | None:
    """Why a found file is refused: its hash, else its contract (None: it is not)."""
    return mismatch_message(status) if status.state == "hash mismatch" else _contract(status)


@click.group()
def models() -> None:
    """Known models: where their files are, their hashes, contracts and licences."""


@models.command("list")
@model_dir_opt
@manifest_opt
@lock_opt
@output_options
def list_models(model_dirs: tuple[Path, ...], manifest: Path | None, lock_file: Path | None,
                out: Output) -> None:
    """Show each model: found / missing / hash mismatch / no pinned hash / built in, its
    licence, whether it allows commercial use and the studio policy allows it, location."""
    policy = load_policy()
    statuses = _statuses(model_dirs, manifest, load_lock(lock_file))
    for s in statuses:
        where = str(s.path) if s.path else "-"
        out.line(f"{s.entry.id:36} {s.entry.role:10} {s.state:14} licence {s.entry.licence} "
                 f"({_verdict(policy, s.entry)})  {where}")
    out.result({"models": [{"id": s.entry.id, "role": s.entry.role, "state": s.state,
                            "licence": s.entry.licence, "commercial": s.entry.commercial_use,
                            "allowed": policy.allows(s.entry),
                            "path": str(s.path) if s.path else None} for s in statuses]})


@models.command()
@model_dir_opt
@manifest_opt
@lock_opt
@output_options
def verify(model_dirs: tuple[Path, ...], manifest: Path | None, lock_file: Path | None,
           out: Output) -> None:
    """Check every model file found: its sha256 against the manifest and the studio's lock,
    and that it is a loadable model of its declared contract. Exit 4 when one is not."""
    checked = []
    for s in _statuses(model_dirs, manifest, load_lock(lock_file)):
        if s.path is None:
            continue
        problem = _problem(s)
        note = "ok" if s.state == "found" else s.state
        out.line(f"{s.entry.id}: {'REFUSED: ' + problem if problem else note} "
                 f"sha256 {s.sha256} ({s.path})")
        checked.append((s, problem))
    bad = [s for s, problem in checked if problem]
    out.result({"verified": [{"id": s.entry.id, "state": s.state, "sha256": s.sha256,
                              "path": str(s.path), "refused": problem} for s, problem in checked],
                "mismatched": [s.entry.id for s in bad]})
    if bad:
        out.finish()  # the document, naming the refused files, still goes out before the exit
        raise ModelHashError(f"{len(bad)} model file(s) refused: "
                             f"{', '.join(s.entry.id for s in bad)}", path=bad[0].path)


@models.command()
@model_dir_opt
@manifest_opt
@lock_opt
@click.argument("ids", nargs=-1)
@output_options
def pin(model_dirs: tuple[Path, ...], manifest: Path | None, lock_file: Path | None,
        ids: tuple[str, ...], out: Output) -> None:
    """Write the studio's lock: the sha256 of each approved model file found (IDS, default
    every one found), after checking it matches the manifest's pin and its contract. Runs and
    ``verify`` then refuse a file whose hash differs, before loading it."""
    path = lock_file or lock_path()
    lock = load_lock(path)
    statuses = {s.entry.id: s for s in _statuses(model_dirs, manifest, ModelLock())}
    unknown = [i for i in ids if i not in statuses]
    if unknown:
        raise ModelError(f"unknown model(s) {', '.join(unknown)}; see `faceplate models list`")
    chosen = [statuses[i] for i in ids] if ids else [s for s in statuses.values() if s.path]
    pins = dict(lock.pins)
    for s in chosen:
        if s.path is None or s.sha256 is None:
            raise ModelError(f"model {s.entry.id}: no file found to pin ({s.state})")
        problem = _problem(s)
        if problem:
            raise ModelError(f"not pinned: {problem}", path=s.path)
        pins[s.entry.id] = (s.path.name, s.sha256)
        out.line(f"{s.entry.id}: sha256 {s.sha256} ({s.path})")
    write_lock(path, pins)
    out.line(f"lock: {path} ({len(pins)} models)")
    out.result({"lock": str(path), "pinned": {s.entry.id: s.sha256 for s in chosen}})
