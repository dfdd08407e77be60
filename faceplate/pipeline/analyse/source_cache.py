"""Prepared source faces kept beside the analysis, so render chunks and farm tasks start
without finding the faces in the source stills again.

``<cache>/sources.json`` (schema ``faceplate.sources/2``) holds, per source, the key it was
prepared under (each image's path and sha256, the declared colourspace, the OCIO config and the
face finder) with the face's mesh (478 x, y, z), identity descriptor and skin statistics (Lab
mean and spread; measured again where an older entry has none); the texture (working-space
float RGB, lossless) is ``<cache>/sources/<digest>.exr``. On a shot with no face the entry is
the key and ``"checked": true`` alone: its images were found to hold a face, its identity was
never measured. A source whose key no longer matches, or whose entry is damaged, is found in
its images again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio

from faceplate.errors import PlateError, StageError
from faceplate.face.colour_match import LabStats
from faceplate.face.swapper import SourceFace
from faceplate.models.protocols import FaceFinder
from faceplate.pipeline.analyse.sources import prepare_source
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import source_colourspaces
from faceplate.pipeline.provenance import file_digest
from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.pipeline.stage_files.paths import (
    SOURCES_SCHEMA,
    sources_path,
    textures_folder,
    to_shot,
)
from faceplate.plateio.frame import read_rgb_image
from faceplate.plateio.write import write_image
from faceplate.spec import ShotSpec, SourceSpec
from faceplate.written import remove_written


def source_key(spec: ShotSpec, source: SourceSpec, ctx: RunContext, faces: FaceFinder,
               colourspace: str | None) -> dict[str, Any]:
    """What a prepared source depends on: its images (named relative to the spec's folder) and
    their digests, ``colourspace`` (its declared one, canonical), the config and the finder."""
    return {"images": [[to_shot(spec, p), file_digest(p)] for p in source.images],
            "colourspace": colourspace, "ocio": ctx.colour.choice.uri, "finder": faces.id}


def _declared(spec: ShotSpec, ctx: RunContext,
              colourspaces: Mapping[str, str | None] | None) -> Mapping[str, str | None]:
    """The sources' declared colourspaces, canonical (from the pre-flight when given)."""
    return colourspaces if colourspaces is not None else source_colourspaces(spec, ctx.colour)


def _paths(spec: ShotSpec) -> tuple[Path, Path]:
    return sources_path(spec), textures_folder(spec)


def _from_entry(name: str, entry: dict[str, Any], folder: Path) -> SourceFace | None:
    try:
        texture = read_rgb_image(folder / entry["texture"])
        mesh = np.asarray(entry["landmarks"], np.float64)
        if mesh.shape != (478, 3):
            return None
        skin = entry.get("skin")
        return SourceFace(name, texture, mesh, np.asarray(entry["descriptor"], np.float64),
                          LabStats.from_list(skin) if skin else None)
    except (PlateError, KeyError, TypeError, ValueError):
        return None


def _stored(spec: ShotSpec) -> dict[str, Any]:
    """The cache's entries by source name ({} when it has none or is damaged: rebuilt, never
    trusted)."""
    try:
        stored = (read_json(sources_path(spec), SOURCES_SCHEMA) or {}).get("sources", {})
    except StageError:
        return {}
    return stored if isinstance(stored, dict) else {}


def cached_sources(spec: ShotSpec, ctx: RunContext, faces: FaceFinder | None = None,
                   colourspaces: Mapping[str, str | None] | None = None
                   ) -> dict[str, SourceFace]:
    """The shot's source faces whose cache entry is current (prepared with ``faces``, default:
    the context's pack); the others are left out. ``colourspaces`` are the pre-flight's
    canonical source colourspaces."""
    return checked_sources(spec, ctx, faces, colourspaces)[0]


def checked_sources(spec: ShotSpec, ctx: RunContext, faces: FaceFinder | None = None,
                    colourspaces: Mapping[str, str | None] | None = None
                    ) -> tuple[dict[str, SourceFace], set[str]]:
    """The source faces whose cache entry is current (as :func:`cached_sources`), and the names
    of the others whose images the cache says hold a face under their current key, found but
    never identified (:func:`store_checked`: a shot with no face)."""
    finder = faces if faces is not None else ctx.face_pack
    declared = _declared(spec, ctx, colourspaces)
    stored, folder = _stored(spec), textures_folder(spec)
    found, checked = {}, set()
    for name, source in spec.sources.items():
        entry = stored.get(name)
        if not (isinstance(entry, dict)
                and entry.get("key") == source_key(spec, source, ctx, finder, declared[name])):
            continue
        face = _from_entry(name, entry, folder) if "texture" in entry else None
        if face is not None:
            found[name] = face
        elif entry.get("checked") is True:
            checked.add(name)
    return found, checked


def load_sources(spec: ShotSpec, ctx: RunContext, faces: FaceFinder | None = None,
                 colourspaces: Mapping[str, str | None] | None = None
                 ) -> tuple[dict[str, SourceFace], bool]:
    """The shot's source faces, from the cache where it is current, else prepared from their
    images with ``faces`` (default: the context's pack); and whether every one came from the cache.
    ``colourspaces`` are the pre-flight's canonical source colourspaces.

    Raises:
        SpecError: a source image that had to be read is unreadable or holds no face.
    """
    cached = cached_sources(spec, ctx, faces, colourspaces)
    prepared = {name: cached.get(name) or prepare_source(source, ctx, faces)
                for name, source in spec.sources.items()}
    return prepared, len(cached) == len(spec.sources)


def store_sources(spec: ShotSpec, ctx: RunContext, faces: FaceFinder,
                  prepared: dict[str, SourceFace],
                  colourspaces: Mapping[str, str | None] | None = None) -> None:
    """Write the ``prepared`` source faces (found by ``faces``) to the cache (each file
    atomically); textures faceplate wrote there that no entry names any more are removed."""
    declared = _declared(spec, ctx, colourspaces)
    path, folder = _paths(spec)
    entries = {}
    for name, face in prepared.items():
        key = source_key(spec, spec.sources[name], ctx, faces, declared[name])
        digest = hashlib.sha256(json.dumps([name, key]).encode()).hexdigest()[:16]
        texture = np.ascontiguousarray(face.texture, np.float32)
        image = oiio.ImageSpec(texture.shape[1], texture.shape[0], 3, oiio.FLOAT)
        image.attribute("compression", "zip")
        write_image(folder / f"{digest}.exr", image, texture, record=True)
        entries[name] = {"key": key, "texture": f"{digest}.exr",
                         "landmarks": np.asarray(face.landmarks, np.float64).tolist(),
                         "descriptor": np.asarray(face.descriptor, np.float64).tolist(),
                         "skin": face.skin.as_list() if face.skin is not None else None}
    write_json(path, SOURCES_SCHEMA, {"sources": entries}, record=True)
    current = {e["texture"] for e in entries.values()}
    # Textures of sources whose images have changed: only those faceplate wrote there.
    remove_written(folder, keep=lambda name: name in current)


def store_checked(spec: ShotSpec, ctx: RunContext, faces: FaceFinder, names: list[str],
                  colourspaces: Mapping[str, str | None] | None = None) -> None:
    """Record in the cache that the images of the sources ``names`` hold a face (found by
    ``faces``) under their current key, without their identity (a shot on which no face was
    found): a later stage or farm task checks them from there; the other entries are kept."""
    declared = _declared(spec, ctx, colourspaces)
    entries = dict(_stored(spec))
    for name in names:
        entries[name] = {"key": source_key(spec, spec.sources[name], ctx, faces, declared[name]),
                         "checked": True}
    write_json(sources_path(spec), SOURCES_SCHEMA, {"sources": entries}, record=True)
