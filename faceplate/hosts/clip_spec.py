"""What both host plugins share: a spec from a clip's sequence, colourspace and the artist's
choices, written beside the results, and the result's file patterns."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from faceplate.spec import check_inputs, load_spec, save_spec, spec_data

#: Printf padding (``%04d``) or a Nuke/Resolve-style hash run.
_PRINTF = re.compile(r"%0?(\d*)d")


def hash_pattern(path: str) -> str:
    """``/p/sh010.%04d.exr`` → ``/p/sh010.####.exr`` (hashes pass through)."""
    return _PRINTF.sub(lambda m: "#" * int(m.group(1) or 1), path)


def printf_pattern(path: str) -> str:
    """``/p/sh010.####.exr`` → ``/p/sh010.%04d.exr``."""
    return re.sub(r"#+", lambda m: f"%0{len(m.group(0))}d", path)


def colourspace_name(knob: str | None) -> str | None:
    """A host's colourspace setting as an OCIO name: ``default (ACEScg)`` → ``ACEScg``;
    an empty value means "from the file" (None). Roles and names pass through unchanged."""
    if not knob or not knob.strip():
        return None
    text = knob.strip()
    match = re.fullmatch(r"default \((.+)\)", text)
    return match.group(1).strip() if match else text


def spec_for_clip(*, shot: str, plate: str, first: int, last: int, colorspace: str | None,
                  sources: list[str], out_dir: Path, ocio: str | None = None) -> dict[str, Any]:
    """The spec of a shot made from a host clip: one source on the largest face, results in
    ``out_dir`` as EXR with a matte and a QC report; ``ocio`` is the host's OCIO config (None:
    faceplate's own choice)."""
    sections = {"ocio": ocio} if ocio else {}
    return spec_data(shot=shot, plate=hash_pattern(plate), frames=f"{first}-{last}",
                     plate_colorspace=colorspace or None,
                     sources={"source": [str(Path(s).absolute()) for s in sources]},
                     swaps=[{"source": "source", "target": "largest"}],
                     output=out_dir / f"{shot}_fp.####.exr",
                     matte=out_dir / f"{shot}_fp_matte.####.exr", qc=out_dir / "qc",
                     **sections)


def write_spec(data: dict[str, Any], out_dir: Path) -> Path:
    """Write ``data`` to ``<out_dir>/<shot>.yaml`` and validate it (raises ``SpecError``)."""
    path = save_spec(data, out_dir / f"{data['shot']}.yaml")
    check_inputs(load_spec(path))
    return path


def shot_name(plate: str) -> str:
    """A shot name from a plate path: its file name before the frame number."""
    stem = Path(hash_pattern(plate)).name.split("#")[0].rstrip("._-")
    return re.sub(r"[^A-Za-z0-9_]+", "_", stem) or "shot"
