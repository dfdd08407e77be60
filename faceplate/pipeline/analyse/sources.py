"""Turning the spec's source images into ready-to-paste source faces, once per run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceplate.errors import PlateError, SpecError
from faceplate.face.image8 import to_uint8
from faceplate.face.mesh import bounding_box, face_size
from faceplate.face.swapper import SourceFace
from faceplate.models.protocols import FaceFinder
from faceplate.pipeline.context import RunContext
from faceplate.plateio.frame import read_image_attributes, read_rgb_image
from faceplate.spec import SourceSpec
from faceplate.types import WORKING_SPACE, Descriptor, Image8, Mesh, RGBImage

_CROP_MARGIN = 0.6


@dataclass(frozen=True)
class FoundFace:
    """The largest face in a still: working-space crop around it, its mesh in the crop."""

    image: RGBImage
    landmarks: Mesh
    descriptor: Descriptor


@dataclass(frozen=True)
class LocatedFace:
    """The largest face in a still, found but not yet identified: the working-space crop
    around it and its mesh in the crop, with what its identity descriptor is measured on (the
    whole still, 8-bit, and the mesh in it)."""

    image: RGBImage
    landmarks: Mesh
    still8: Image8
    points: Mesh

    def identified(self, ctx: RunContext) -> FoundFace:
        """The face with its identity descriptor (the context's pack's recognizer)."""
        return FoundFace(self.image, self.landmarks,
                         ctx.descriptor(self.still8, self.points))


def still_colourspace(path: Path, declared: str | None, ctx: RunContext) -> str:
    """The colourspace of a still: the spec's, else the file's own (an EXR's first part, the
    one whose pixels are read, grey or RGB), else the working space.

    Raises:
        PlateError: an EXR OpenImageIO cannot open.
    """
    if declared:
        return declared
    if path.suffix.lower() in (".exr", ".sxr", ".mxr"):
        found = ctx.colour.colourspace_from_header(read_image_attributes(path), str(path))
        if found:
            return found
    return WORKING_SPACE


def find_face(path: Path, colourspace: str | None, ctx: RunContext, *, key: str,
              faces: FaceFinder | None = None) -> FoundFace:
    """Read a still and return its largest face, found by ``faces`` (default: the context's
    pack), with its identity descriptor.

    Raises:
        SpecError: the image is unreadable or holds no face (``key`` names the spec entry).
    """
    return locate_face(path, colourspace, ctx, key=key, faces=faces).identified(ctx)


def locate_face(path: Path, colourspace: str | None, ctx: RunContext, *, key: str,
                faces: FaceFinder | None = None) -> LocatedFace:
    """Read a still and find its largest face and mesh with ``faces`` (default: the context's
    pack); its identity is not measured.

    Raises:
        SpecError: the image is unreadable or holds no face (``key`` names the spec entry).
    """
    finder = faces if faces is not None else ctx.face_pack
    try:
        rgb = read_rgb_image(path)
        space = still_colourspace(path, colourspace, ctx)
    except PlateError as exc:
        raise SpecError(exc.message, key=key, path=path) from None
    working = ctx.colour.convert(rgb, space, WORKING_SPACE)
    image8 = to_uint8(working)
    detections = finder.detect(image8) or finder.detect(image8, upsample=1)
    if not detections:
        raise SpecError(f"no face found in {path}", key=key, path=path)
    largest = max(detections, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    points = finder.landmarks(image8, largest)
    if points is None:
        raise SpecError(f"no face found in {path} (the face mesh does not fit the face the "
                        "detector found)", key=key, path=path)
    x0, y0, x1, y1 = bounding_box(points)
    pad_x, pad_y = (x1 - x0) * _CROP_MARGIN, (y1 - y0) * _CROP_MARGIN
    h, w = working.shape[:2]
    cx0, cy0 = max(0, int(x0 - pad_x)), max(0, int(y0 - pad_y))
    cx1, cy1 = min(w, int(np.ceil(x1 + pad_x))), min(h, int(np.ceil(y1 + pad_y)))
    crop = np.ascontiguousarray(np.clip(working[cy0:cy1, cx0:cx1], 0.0, 1.0))
    return LocatedFace(crop, points - (cx0, cy0, 0.0), image8, points)


def locate_source(source: SourceSpec, ctx: RunContext,
                  faces: FaceFinder | None = None) -> list[LocatedFace]:
    """The face of every image of ``source`` (each must hold one), not yet identified.

    Raises:
        SpecError: an image is unreadable or holds no face (naming its spec key).
    """
    return [locate_face(path, source.colorspace, ctx, key=f"sources.{source.name}.images[{i}]",
                        faces=faces)
            for i, path in enumerate(source.images)]


def prepare_source(source: SourceSpec, ctx: RunContext, faces: FaceFinder | None = None,
                   located: list[LocatedFace] | None = None) -> SourceFace:
    """A source face from every image of ``source`` (``located``: their faces, already found):
    the largest face gives the texture, the descriptors of all images are averaged into the
    identity."""
    found = [face.identified(ctx) for face in
             (located if located is not None else locate_source(source, ctx, faces))]
    best = max(found, key=lambda f: face_size(f.landmarks))
    descriptor = np.mean([f.descriptor for f in found], axis=0)
    return SourceFace(name=source.name, texture=best.image, landmarks=best.landmarks,
                      descriptor=descriptor)

