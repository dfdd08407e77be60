"""The shot's data flow: pre-flight, then analyse → solve → render → report (one sub-package per
stage, talking only through the stage files), run in the order :mod:`faceplate.pipeline.runner`
declares. Importing this package is light; each stage loads its libraries when imported."""
