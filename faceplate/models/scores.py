"""The pipeline's detection-score scale, dlib's: 0 a usual detection, below 0 a weak one that
may extend a track but never start it (the analysis threshold and ``qc.min_score`` live on it).

A detector's score ``s`` in 0..1 becomes ``(s − 0.5)·4``, so 0.5 maps to 0 and 0.375 to the
weak limit −0.5.
"""

from __future__ import annotations

_SCALE = 4.0


def to_pipeline_score(score: float) -> float:
    """A 0..1 detector score on the pipeline's scale."""
    return (float(score) - 0.5) * _SCALE


def score_floor(threshold: float) -> float:
    """The 0..1 score that a pipeline-scale ``threshold`` means, kept inside 0.02..0.98."""
    return min(max(0.5 + threshold / _SCALE, 0.02), 0.98)
