"""Stage 4, report: ``qc.json``, the review page and its thumbnails, and A/B comparisons."""

from faceplate.pipeline.report.stage import Report, report

__all__ = ["Report", "report"]
