"""The reference swapper: no learned swap model, just geometry, light and texture on the dense
mesh.

The source face (its flash highlights taken down, :mod:`faceplate.face.light`) is warped onto
the target's mesh piecewise-affinely over the mesh's own triangulation
(:func:`faceplate.face.regions.warp_triangles`), nearer triangles drawn last, colour-matched
to the target's skin in Lab, then made to sit in the plate: the plate's shading times the
source's detail in linear light (:func:`faceplate.face.light.relight`), in the eye openings
the source's eyes at the plate's opening and gaze (each eye's lids move as a whole), or the
plate's own where the two openings differ too much (:mod:`faceplate.face.eyes`),
the plate's sharpness (:mod:`faceplate.face.sharpness`) and grain
(:mod:`faceplate.face.grain`), the plate's hair left in front (:mod:`faceplate.face.hair`);
and blended multi-band under a feathered matte. Everything here works on working-space
(display-referred, 0..1) arrays of a region of interest; reading, colour conversion and
writing live in the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import cv2
import numpy as np

from faceplate.face.blend import multiband_blend
from faceplate.face.colour_match import LabStats, lab_statistics, to_lab, transfer_colour
from faceplate.face.eyes import plate_eye_weight, plate_eyes
from faceplate.face.grain import Regrainer, flat_pixels, frame_seed, measure_grain
from faceplate.face.hair import hair_mask
from faceplate.face.light import relight, without_speculars
from faceplate.face.matte import (
    MatteSettings,
    core_mask,
    eye_mask,
    face_mattes,
    mouth_mask,
    skin_mask,
    soften,
)
from faceplate.face.mesh import (
    LEFT_IRIS,
    LIDS,
    RIGHT_IRIS,
    face_size,
    mouth_opening,
    rigid_points,
    similarity_3d,
)
from faceplate.face.regions import facing, identity_weights, skin_triangles, warp_triangles
from faceplate.face.sharpness import blur, matching_blur
from faceplate.face.warp import nonzero_box, piecewise_affine
from faceplate.types import Descriptor, Matte, Mesh, RGBImage

#: How far inside its own outline (× face size) the source's face is taken from: its ears,
#: sideburns and hairline stay behind.
SOURCE_ERODE = 0.06
@dataclass(frozen=True)
class SourceFace:
    """An identity ready to paste: a face texture in the working space, its mesh (478, 3)
    in texture pixels, and its identity descriptor."""

    name: str
    texture: RGBImage
    landmarks: Mesh
    descriptor: Descriptor
    skin: LabStats | None = None

    def __post_init__(self) -> None:
        if self.skin is None:
            object.__setattr__(self, "skin", face_skin_statistics(self.texture, self.landmarks))

    @cached_property
    def layers(self) -> RGBImage:
        """The texture with a fourth channel: where it holds the source's face (its matte,
        made as a target's is), so what lies beyond the source's own outline (ears, hair,
        background) is never pasted..."""
        settings = MatteSettings(erode=SOURCE_ERODE)
        shape = self.texture.shape[:2]
        core = core_mask(self.landmarks, shape, settings)
        # nor its mouth interior (teeth, tongue), which the warp's lips would otherwise
        # sample at their inner edge: a thin ring of it, not the lips, is left out
        ring = max(1, round(0.01 * face_size(self.landmarks)))
        mouth = cv2.dilate(mouth_mask(self.landmarks, shape), np.ones((2 * ring + 1,) * 2))
        own = soften(core * (1.0 - mouth), self.landmarks, settings.blend_softness / 3)
        # and a photo's flash highlights are taken down first, in the source's own light (on
        # the skin: the eyes' whites and the teeth are no highlights)
        eyes = np.maximum(eye_mask(self.landmarks, shape, 0), eye_mask(self.landmarks, shape, 1))
        skin = core * (1.0 - cv2.dilate(np.maximum(eyes, mouth), np.ones((2 * ring + 1,) * 2)))
        texture = without_speculars(self.texture, skin, face_size(self.landmarks))
        return np.dstack([texture, own]).astype(np.float32)


@dataclass(frozen=True)
class SwapResult:
    """The swapped region in the working space and the matte that places it (1: swapped)."""

    rgb: RGBImage
    matte: Matte
    mouth_open: bool


def face_skin_statistics(image: RGBImage, points: Mesh) -> LabStats | None:
    """Lab statistics of a face's skin: the mesh's forehead, cheeks and nose (no eyes, brows,
    lips), facing the camera."""
    return lab_statistics(image, skin_mask(points, image.shape[:2]))


def prepare_skin_statistics() -> None:
    """Build now what :func:`face_skin_statistics` builds on its first call in a process:
    OpenCV's Lab tables (about 66 ms) and the mesh's skin triangles (about 16 ms). For a
    thread that would otherwise wait (analysis, while its first frame is read)."""
    to_lab(np.zeros((1, 1, 3), np.float32))
    skin_triangles()


def identity_geometry(target: Mesh, source: Mesh, amount: float,
                      rest: Mesh | None = None) -> Mesh:
    """The target's mesh with its inner face moved ``amount`` of the way to the source's
    proportions, posed like the target (a 3D similarity on the skull's rigid points).

    Given the target's ``rest`` shape (its mean over the shot, any pose), the step is the
    source's difference from that rest shape, both posed like the target: the same step on
    every frame in the head's frame, so the face deforms exactly as the target's does (a jaw
    that drops, a smile). Without it, the step is measured against this frame's own mesh and
    takes ``amount`` of the target's expression away.

    The outline and the inner lips stay the target's (:func:`identity_weights`), so the
    silhouette and the expression are kept while the face reads as the source; each eye's
    lids and iris move together, by their mean step: the target's lid opening and gaze.
    """
    if amount <= 0:
        return target
    target = np.asarray(target, np.float64)
    scale, rotation, shift = similarity_3d(source[:468], target[:468], rigid_points())
    posed = scale * np.asarray(source, np.float64) @ rotation.T + shift
    base = target
    if rest is not None:
        scale, rotation, shift = similarity_3d(rest[:468], target[:468], rigid_points())
        base = scale * np.asarray(rest, np.float64) @ rotation.T + shift
    moved = target.copy()
    step = amount * identity_weights()[:, None] * (posed[:, :2] - base[:, :2])
    moved[:, :2] += step
    for iris, lids in ((LEFT_IRIS, LIDS[0]), (RIGHT_IRIS, LIDS[1])):
        # each eye moves as a whole: the plate's lid opening and gaze, at the source's place
        eye_step = step[list(lids)].mean(axis=0)
        moved[list(lids), :2] = target[list(lids), :2] + eye_step
        moved[list(iris), :2] = target[list(iris), :2] + eye_step
    return moved


class ReferenceSwapper:
    """Warp + colour and light match + plate eyes, sharpness, grain, hair + multi-band blend.
    Stateless; safe to share.

    Args:
        settings: matte sizes.
        identity_amount: how far the inner face geometry moves toward the source's
            proportions (0: the target's geometry exactly, 1: the source's).
    """

    id = "faceplate-reference-warp"

    def __init__(self, settings: MatteSettings = MatteSettings(),
                 identity_amount: float = 0.8) -> None:
        self.settings = settings
        self.identity_amount = identity_amount

    def adjusted(self, values: dict[str, float]) -> ReferenceSwapper:
        """A swapper with some parameters changed (``identity_amount`` and the matte's
        ``feather``, ``erode``, ``blend_softness``), e.g. by a reviewer's override."""
        if not values:
            return self
        matte = {k: v for k, v in values.items() if k in ("feather", "erode", "blend_softness")}
        return ReferenceSwapper(replace(self.settings, **matte),
                                values.get("identity_amount", self.identity_amount))

    def _scaled_source(self, source: SourceFace, points: Mesh) -> tuple[RGBImage, Mesh]:
        """The source's layers (texture and its own matte), prefiltered down to about the
        target's size so the warp does not alias."""
        scale = face_size(points) / max(face_size(source.landmarks), 1e-6)
        if scale >= 0.8:
            return source.layers, source.landmarks
        scale *= 1.25
        layers = cv2.resize(source.layers, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return layers, source.landmarks * scale

    def _plate_texture(self, layer: RGBImage, target: RGBImage, skin: Matte, seed: int,
                       shown: tuple[slice, slice]) -> RGBImage:
        """``layer`` brought to the plate's sharpness and regrained like the plate (measured
        on the flat skin of ``skin``'s pixels; ``seed`` draws the grain, laid over the box
        ``shown`` only)."""
        where = skin >= 0.99
        flat = flat_pixels(target, where)
        grain = measure_grain(target, where, flat)
        if grain is None:
            return layer
        finish = Regrainer(grain, flat, seed, target.shape[:2], shown)
        return finish(blur(layer, matching_blur(layer, target, where, finish)))

    def swap(self, target: RGBImage, points: Mesh, source: SourceFace,
             target_skin: LabStats | None = None, rest: Mesh | None = None,
             seed: int | None = None) -> SwapResult:
        """Replace the face with mesh ``points`` (region pixels) in ``target``.

        ``target_skin`` gives the colour to match (e.g. smoothed over the shot); by
        default it is measured on ``target``. ``rest``: the target's rest shape over the shot
        (:func:`identity_geometry`). ``seed`` draws the grain laid on the face (the same on
        every render of a frame, another on each frame: e.g. :func:`frame_seed` of the plate's
        region as read); by default, :func:`frame_seed` of ``target``.
        """
        shape = target.shape[:2]
        points = np.asarray(points, np.float64)
        layers, source_points = self._scaled_source(source, points)
        geometry = identity_geometry(points, source.landmarks, self.identity_amount, rest)
        triangles = facing(warp_triangles(), geometry)
        far_first = triangles[np.argsort(-geometry[triangles, 2].mean(axis=1), kind="stable")]
        warped4, covered = piecewise_affine(layers, source_points[:, :2], geometry[:, :2],
                                            far_first, shape)
        warped, own = np.ascontiguousarray(warped4[..., :3]), warped4[..., 3]
        mouth_open = mouth_opening(points) > self.settings.mouth_open_threshold
        # The mouth opening is a hole of the warp: the plate's own pixels there, under the
        # matte while the mouth is closed (no seam along the lips), cut out when it is open.
        hole = mouth_mask(points, shape)
        face = covered | (hole > 0)
        matte, blend_mask = face_mattes(points, shape, self.settings, mouth_open, face)
        # Only the source's own face is pasted (its alpha, carried by the warp; the mouth
        # hole counts as covered), with a soft edge.
        own = np.where(covered, np.clip(own, 0.0, 1.0), hole).astype(np.float32)
        own = soften(own, points, self.settings.blend_softness)
        matte, blend_mask = matte * own, blend_mask * own
        target_skin = target_skin or face_skin_statistics(target, points)
        if target_skin is not None:  # the plate's hair over forehead and temples stays
            keep = 1.0 - hair_mask(target, points, target_skin)
            matte, blend_mask = matte * keep, blend_mask * keep
        matched = np.array(target, np.float32, copy=True)  # the plate's where the mesh is not
        inside = nonzero_box(covered)
        if inside is not None:
            part = warped[inside]
            if target_skin is not None and source.skin is not None:
                part = transfer_colour(part, source.skin, target_skin)  # per pixel: its box
            matched[inside] = np.where(covered[inside][..., None], part, target[inside])
        eyes, plate_eye = plate_eyes(target, points, geometry,
                                     plate_eye_weight(points, source.landmarks))
        eyes = soften(eyes, points, self.settings.blend_softness / 3)
        size = face_size(points)
        # where both faces are skin: the source's own face, off the mouth (the eyes count
        # alike whoever's eyes are kept: the face's light does not change with them)
        skin = core_mask(points, shape, self.settings) * covered * own
        skin *= 1.0 - np.minimum(hole * 4.0, 1.0)
        layer = relight(matched, target, skin, size)
        # grain where the layer is blended in (its fine bands nowhere else) and on the skin
        # its sharpness is matched over
        shown = nonzero_box((blend_mask > 0) | (skin > 0))
        if shown is not None:
            layer = self._plate_texture(layer, target, skin,
                                        frame_seed(target) if seed is None else seed, shown)
        layer = layer + eyes[..., None] * (plate_eye - layer)
        blended = multiband_blend(layer, target, blend_mask)
        return SwapResult(rgb=blended, matte=matte, mouth_open=mouth_open)
