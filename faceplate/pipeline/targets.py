"""The folders and names a shot writes, checked before anything is written: each folder (frames,
mattes, QC, cache) is one this process may write, every name faceplate writes there (its
temporaries' included) fits the file system's limits, and the QC and cache folders are
faceplate's own (absent, empty, or holding its manifest: :mod:`faceplate.written`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from faceplate.errors import SpecError
from faceplate.pipeline.stage_files.paths import (
    analysis_path,
    frame_record_path,
    qc_json_path,
    sources_path,
    textures_folder,
    tracks_path,
)
from faceplate.spec import ShotSpec
from faceplate.written import TEMPORARY_EXTRA, foreign_entries

#: Names a report writes in the QC folder besides qc.json (the longest frame's thumbnail is
#: checked too).
_REPORT_NAMES = ("index.html", "contact_sheet.png")


def existing_ancestor(folder: Path) -> Path:
    """``folder`` itself if it exists, else its nearest ancestor that does (a name the system
    refuses to look up, one too long, does not exist)."""
    path = Path(os.path.abspath(folder))
    while not os.path.exists(path) and path != path.parent:
        path = path.parent
    return path


def check_writable(folder: Path, key: str) -> None:
    """Refuse a folder this process cannot create files in (nor create, if it is absent).

    Raises:
        SpecError: naming ``key`` and the real folder.
    """
    real = existing_ancestor(folder)
    if not real.is_dir():
        raise SpecError(f"{real} is not a folder, so {folder} cannot be made", key=key)
    effective = os.access in os.supports_effective_ids
    if not os.access(real, os.W_OK | os.X_OK, effective_ids=effective):
        made = "" if real == Path(os.path.abspath(folder)) else f" to make {folder} in"
        raise SpecError(f"the folder {os.path.realpath(real)}{made} is not writable "
                        "(permissions or a read-only file system)", key=key)


def check_names(folder: Path, names: Iterable[str], key: str) -> None:
    """Refuse names (with their temporaries' additions) that are longer than the file system
    holding ``folder`` allows (``os.pathconf`` on the real folder), as are the folders still to
    be made on the way.

    Raises:
        SpecError: naming ``key``, the name, its length and the limit.
    """
    real = existing_ancestor(folder)
    try:
        name_max = os.pathconf(real, "PC_NAME_MAX")
        path_max = os.pathconf(real, "PC_PATH_MAX")
    except (OSError, ValueError):
        return  # the file system gives no limits to check against
    absolute = Path(os.path.abspath(folder))
    longest = [(part, len(os.fsencode(part))) for part in absolute.relative_to(real).parts]
    longest += [(name, len(os.fsencode(name)) + TEMPORARY_EXTRA) for name in names]
    for name, length in longest:
        if length > name_max:
            raise SpecError(f"the name {name[:40]}... needs {length} bytes with faceplate's "
                            f"temporary suffix; the file system of {os.path.realpath(real)} "
                            f"allows {name_max}", key=key)
    deepest = max((len(os.fsencode(str(absolute / n))) + TEMPORARY_EXTRA for n in names),
                  default=0)
    if deepest > path_max:
        raise SpecError(f"paths in {absolute} need {deepest} bytes; the file system allows "
                        f"{path_max}", key=key)


def check_write_targets(spec: ShotSpec) -> None:
    """Check every folder and name the shot writes, before anything is written.

    Raises:
        SpecError: naming the key of the first folder or name that cannot be written.
    """
    ends = sorted({spec.plate.frames[0], spec.plate.frames[-1]})  # the longest frame numbers
    for key, folder in (("output.qc", spec.output.qc), ("output.cache", spec.output.cache)):
        foreign = foreign_entries(folder)
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise SpecError(f"the folder {os.path.realpath(folder)} holds files faceplate did "
                            f"not write ({shown}); give a new or empty folder", key=key)
    sequences = [("output.path", spec.output.path)]
    if spec.output.matte is not None:
        sequences.append(("output.matte", spec.output.matte))
    for key, sequence in sequences:
        folder = sequence.frame(ends[0]).parent
        check_writable(folder, key)
        check_names(folder, [sequence.frame(f).name for f in ends], key)
    qc_files = [qc_json_path(spec), *(spec.output.qc / n for n in _REPORT_NAMES),
                *(frame_record_path(spec, f) for f in ends),
                *(spec.output.qc / "thumbs" / f"{f}_result.png" for f in ends)]
    cache_files = [analysis_path(spec), sources_path(spec), tracks_path(spec),
                   textures_folder(spec) / f"{'0' * 16}.exr"]
    for key, files in (("output.qc", qc_files), ("output.cache", cache_files)):
        for folder in sorted({f.parent for f in files}):
            check_writable(folder, key)
            check_names(folder, [f.name for f in files if f.parent == folder], key)
