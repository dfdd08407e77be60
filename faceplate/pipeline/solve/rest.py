"""A track's rest shape: its meshes brought into the canonical layout's frame (a 3D similarity
on the skull's rigid points) and averaged. The swapper measures the source's proportions
against it, so the same identity step is added on every frame and the replaced face deforms
as the plate's face does."""

from __future__ import annotations

import numpy as np

from faceplate.face.mesh import rigid_fit


def rest_shape(meshes: list[np.ndarray]) -> np.ndarray | None:
    """The mean of (478, 3) ``meshes`` in the canonical layout's frame; None if none."""
    if not meshes:
        return None
    unposed = []
    for mesh in meshes:
        points = np.asarray(mesh, np.float64)
        scale, rotation, shift = rigid_fit(points)
        unposed.append((points - shift) @ rotation / scale)
    return np.mean(unposed, axis=0)
