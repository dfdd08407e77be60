"""MediaPipe's face models (Apache-2.0, shipped in ``data/``) run by LiteRT: BlazeFace
detectors, the 468-point face mesh and the iris model, and the pack that joins them."""

from faceplate.models.mediapipe.pack import FaceLandmarks, MediaPipeFacePack

__all__ = ["FaceLandmarks", "MediaPipeFacePack"]
