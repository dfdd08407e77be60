"""Stage 4, report: ``qc.json``, the review page with its proxies and face crops, the OTIO
timeline, and A/B comparisons."""

from faceplate.pipeline.report.stage import Report, report

__all__ = ["Report", "report"]
