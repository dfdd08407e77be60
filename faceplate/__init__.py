"""faceplate: headless face replacement for VFX plates.

Importing this package is light: OpenImageIO, OpenColorIO and the models load
only when work starts. The node API lives in :mod:`faceplate.nodes`.
"""

__version__ = "0.1.0"

from faceplate.errors import FaceplateError

__all__ = ["FaceplateError", "__version__"]
