"""The reference swapper: no learned swap model, just geometry and colour.

The source face is warped onto the target's 68 landmarks piecewise-affinely,
colour-matched to the target in Lab, and blended multi-band under a feathered
matte. Everything here works on working-space (display-referred, 0..1) arrays of
a region of interest; reading, colour conversion and writing live in the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import cv2
import numpy as np

from faceplate.face.blend import multiband_blend
from faceplate.face.colour_match import LabStats, lab_statistics, transfer_colour
from faceplate.face.landmarks import face_size, mouth_opening, with_forehead
from faceplate.face.matte import MatteSettings, core_mask, skin_weights, soften
from faceplate.face.warp import Triangles, piecewise_affine, triangulate
from faceplate.types import Descriptor, Landmarks, Matte, RGBImage

#: Points that fix the pose: jaw, nose bridge and eye corners.
_POSE_POINTS = np.r_[0:17, 27:31, 36, 39, 42, 45]
#: Points that carry identity: brows, nose, eyes and the outer lip line.
_IDENTITY_POINTS = np.r_[17:60]


@dataclass(frozen=True)
class SourceFace:
    """An identity ready to paste: a face texture in the working space, its landmarks
    in texture pixels, the mesh over them, and its identity descriptor."""

    name: str
    texture: RGBImage
    landmarks: Landmarks
    descriptor: Descriptor
    skin: LabStats | None = None

    @cached_property
    def triangles(self) -> Triangles:
        """The mesh over the landmarks (with the forehead points), made once per source face."""
        return triangulate(with_forehead(self.landmarks))

    def __post_init__(self) -> None:
        if self.skin is None:
            object.__setattr__(self, "skin", face_skin_statistics(self.texture, self.landmarks))


@dataclass(frozen=True)
class SwapResult:
    """The swapped region in the working space and the matte that places it (1: swapped)."""

    rgb: RGBImage
    matte: Matte
    mouth_open: bool


def face_skin_statistics(image: RGBImage, points: Landmarks,
                         settings: MatteSettings = MatteSettings()) -> LabStats | None:
    """Lab statistics of a face's skin (the matte's core without eyes, brows and lips)."""
    core = core_mask(points, image.shape[:2], settings, mouth_opening(points) >
                     settings.mouth_open_threshold)
    skin = skin_weights(core, points)
    return lab_statistics(image, skin if skin.sum() > 0.25 * core.sum() else core)


def similarity_fit(src: Landmarks, dst: Landmarks) -> np.ndarray:
    """The 2×3 similarity transform (rotation, uniform scale, shift) best taking ``src``
    onto ``dst`` in the least-squares sense."""
    matrix, _ = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32),
                                            method=cv2.LMEDS)
    return matrix


def identity_geometry(target: Landmarks, source: Landmarks, amount: float) -> Landmarks:
    """Target landmarks with the inner face (brows, eyes, nose, outer lips) moved
    ``amount`` of the way to the source's proportions, posed like the target.

    The jaw line and the inner lips stay the target's, so the silhouette and the
    expression (an open or closed mouth) are kept while the face reads as the source.
    """
    if amount <= 0:
        return target
    fit = similarity_fit(source[_POSE_POINTS], target[_POSE_POINTS])
    posed = source @ fit[:, :2].T + fit[:, 2]
    moved = target.copy()
    moved[_IDENTITY_POINTS] += amount * (posed[_IDENTITY_POINTS] - target[_IDENTITY_POINTS])
    return moved


class ReferenceSwapper:
    """Warp + Lab colour match + multi-band blend. Stateless; safe to share.

    Args:
        settings: matte sizes.
        identity_amount: how far the inner face geometry moves toward the source's
            proportions (0: the target's geometry exactly, 1: the source's).
    """

    id = "faceplate-reference-warp"

    def __init__(self, settings: MatteSettings = MatteSettings(),
                 identity_amount: float = 0.7) -> None:
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

    def _scaled_source(self, source: SourceFace, points: Landmarks) -> tuple[RGBImage, Landmarks]:
        """Prefilter the source down to about the target's size so the warp does not alias."""
        scale = face_size(points) / max(face_size(source.landmarks), 1e-6)
        if scale >= 0.8:
            return source.texture, source.landmarks
        scale = max(scale * 1.25, 1e-3)
        texture = cv2.resize(source.texture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return texture, source.landmarks * scale

    def swap(self, target: RGBImage, points: Landmarks, source: SourceFace,
             target_skin: LabStats | None = None) -> SwapResult:
        """Replace the face with landmarks ``points`` (region pixels) in ``target``.

        ``target_skin`` gives the colour to match (e.g. smoothed over the shot); by
        default it is measured on ``target``.
        """
        shape = target.shape[:2]
        texture, source_points = self._scaled_source(source, points)
        geometry = identity_geometry(points, source.landmarks, self.identity_amount)
        warped, covered = piecewise_affine(texture, with_forehead(source_points),
                                           with_forehead(geometry), source.triangles, shape)
        warped[~covered] = target[~covered]
        mouth_open = mouth_opening(points) > self.settings.mouth_open_threshold
        core = core_mask(points, shape, self.settings, mouth_open) * covered
        target_skin = target_skin or face_skin_statistics(target, points, self.settings)
        matched = warped
        if target_skin is not None and source.skin is not None:
            matched = transfer_colour(warped, source.skin, target_skin)
        matched[~covered] = target[~covered]
        blend_mask = soften(core, points, self.settings.blend_softness)
        blended = multiband_blend(matched, target, blend_mask)
        matte = soften(core, points, self.settings.feather)
        return SwapResult(rgb=blended, matte=matte, mouth_open=mouth_open)
