"""Face enhancer adapters: GFPGAN 1.4, CodeFormer (``weight`` input), GPEN-BFR 512."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceplate.models.align import warp_face
from faceplate.models.base import OnnxAdapter
from faceplate.models.protocols import AlignedFace
from faceplate.models.tensors import from_tensor, to_tensor
from faceplate.types import Points5, RGBImage


class OnnxEnhancer(OnnxAdapter):
    """ffhq_512 at 512, (x − 0.5)/0.5; output clipped to [−1, 1] and mixed with the input crop
    by ``blend`` (0: untouched, 1: enhancer only). ``fidelity`` feeds CodeFormer's weight."""

    fidelity: float = 1.0

    def enhance(self, frame: RGBImage, points: Sequence[Points5], blend: float = 0.8
                ) -> list[AlignedFace]:
        warped = [warp_face(frame, p, self.template, self.size) for p in points]
        name = self.entry.inputs[0]
        weight = self.entry.inputs[1] if len(self.entry.inputs) > 1 else None

        def feeds(b: np.ndarray) -> dict[str, np.ndarray]:
            f = {name: b}
            if weight is not None:
                f[weight] = np.array([self.fidelity], np.float64)
            return f
        out = np.clip(self.run_batched(to_tensor([c for c, _ in warped], self.entry), name, feeds),
                      -1.0, 1.0)
        enhanced = from_tensor(out, self.entry, denormalise=True)
        b = float(np.clip(blend, 0.0, 1.0))
        return [AlignedFace((c * (1 - b) + e * b).astype(np.float32), m)
                for e, (c, m) in zip(enhanced, warped)]
