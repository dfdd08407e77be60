"""The contract each shipped MediaPipe file must meet (what the pack's code reads), by file."""

from __future__ import annotations

from faceplate.models.mediapipe import detector, face_mesh, iris
from faceplate.models.mediapipe.runner import Contract

CONTRACTS: dict[str, Contract] = {
    detector.FULL_RANGE.file: detector.FULL_RANGE.contract,
    detector.SHORT_RANGE.file: detector.SHORT_RANGE.contract,
    face_mesh.FILE: face_mesh.CONTRACT,
    iris.FILE: iris.CONTRACT,
}


def contract_for(file: str) -> Contract | None:
    """The contract of the shipped file named ``file`` (None: not one of the pack's)."""
    return CONTRACTS.get(file)
