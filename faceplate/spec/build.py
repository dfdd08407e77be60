"""The one spec builder: a shot spec's plain data from keyword arguments, for the node API, the
demo, host plugins, benches and tests; and writing that data as a spec file."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from faceplate.spec.schema import ShotSpec
from faceplate.spec.versions import SPEC_VERSION

PathLike = str | os.PathLike[str]


def _source(value: Any) -> dict[str, Any]:
    """A source as a mapping: one image path, a list of them, or a source mapping as is."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (str, os.PathLike)):
        return {"images": [str(value)]}
    return {"images": [str(v) for v in value]}


def spec_data(*, shot: str, plate: PathLike, frames: str | int, sources: Mapping[str, Any],
              output: PathLike, qc: PathLike, matte: PathLike | None = None,
              plate_colorspace: str | None = None,
              swaps: Sequence[Mapping[str, Any]] | None = None,
              **sections: Any) -> dict[str, Any]:
    """A spec's plain data (current version), ready for :func:`faceplate.spec.parse_spec` or
    :func:`save_spec`.

    ``sources`` maps a name to an image path, a list of them, or a source mapping; ``swaps``
    defaults to the first source on the ``largest`` face. Further sections (``ocio``,
    ``solve``, ``models``...) pass through ``sections``; QC thresholds come as
    ``qc_settings`` (``qc`` is the report folder).
    """
    plate_data: dict[str, Any] = {"path": str(plate), "frames": frames}
    if plate_colorspace is not None:
        plate_data["colorspace"] = plate_colorspace
    if swaps is None:
        swaps = [{"source": name, "target": "largest"} for name in list(sources)[:1]]
    output_data: dict[str, Any] = {"path": str(output), "qc": str(qc)}
    if matte is not None:
        output_data["matte"] = str(matte)
    extra = dict(sections)
    if "qc_settings" in extra:
        extra["qc"] = extra.pop("qc_settings")
    return {"version": SPEC_VERSION, "shot": shot, "plate": plate_data,
            "sources": {name: _source(value) for name, value in sources.items()},
            "swaps": [dict(s) for s in swaps], "output": output_data, **extra}


def save_spec(data: Mapping[str, Any], path: PathLike) -> Path:
    """Write spec ``data`` as YAML to ``path`` (folders created); returns the absolute path."""
    target = Path(path).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    return target


def with_absolute_paths(data: Mapping[str, Any], spec: ShotSpec) -> dict[str, Any]:
    """``data`` with every path replaced by ``spec``'s absolute one (so the saved spec may live
    anywhere)."""
    out = dict(data)
    out["plate"] = {**data["plate"], "path": str(spec.plate.path)}
    out["sources"] = {name: {**data["sources"][name], "images": [str(p) for p in src.images]}
                      for name, src in spec.sources.items()}
    output = {**data["output"], "path": str(spec.output.path), "qc": str(spec.output.qc)}
    if spec.output.matte is not None:
        output["matte"] = str(spec.output.matte)
    if spec.output.cache != spec.output.qc / "cache":
        output["cache"] = str(spec.output.cache)
    out["output"] = output
    out["swaps"] = [{**raw, "target": {"reference": str(swap.target.reference)}}
                    if swap.target.kind == "reference" else dict(raw)
                    for raw, swap in zip(data["swaps"], spec.swaps)]
    return out
