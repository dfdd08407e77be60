"""A track's rest shape: its meshes brought into the canonical layout's frame (a 3D similarity
on the skull's rigid points) and averaged. The swapper measures the source's proportions
against it, so the same identity step is added on every frame and the replaced face deforms
as the plate's face does."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from faceplate.face.mesh import rigid_fit


def rest_shape(meshes: Iterable[np.ndarray]) -> np.ndarray | None:
    """The mean of (478, 3) ``meshes`` in the canonical layout's frame; None if none.

    Summed a mesh at a time (in order, as ``np.mean`` over the first axis adds them: the same
    bits), so a long track's meshes are never held unposed all at once."""
    total: np.ndarray | None = None
    count = 0
    for mesh in meshes:
        points = np.asarray(mesh, np.float64)
        scale, rotation, shift = rigid_fit(points)
        unposed = (points - shift) @ rotation / scale
        if total is None:
            total = unposed
        else:
            total += unposed
        count += 1
    return total / count if total is not None else None
