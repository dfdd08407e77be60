"""What the plate-look tests share: the demo's data folder, the portraits' colourspace, Obama
as the source face, and 8-bit images rounded as the benchmark rounds them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from conftest import OBAMA

from faceplate.face.swapper import SourceFace
from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.context import RunContext

DEMO = Path(str(resources.files("faceplate.demo") / "data"))
SRGB = "sRGB Encoded Rec.709 (sRGB)"


def obama_source(ctx: RunContext) -> SourceFace:
    obama = find_face(OBAMA, SRGB, ctx, key="test")
    return SourceFace("obama", obama.image, obama.landmarks, obama.descriptor)


def u8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
