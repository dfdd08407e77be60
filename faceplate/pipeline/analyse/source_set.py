"""A shot's source faces for one node: checked once, prepared in full only when a stage needs
them.

:meth:`ShotSources.check` takes each source from the stage cache where it is current (or
checked there), else finds the face of each of its images (each must hold one: a bad source
image fails the shot before anything is written). The identity descriptor and skin statistics
of a source are measured by :meth:`ShotSources.faces`, when a stage asks for them: the analysis
records them only when it found a face (else only that the sources were checked), a render only
when a frame it renders has one, so a shot with no face never measures them.
"""

from __future__ import annotations

from collections.abc import Mapping

from faceplate.face.swapper import SourceFace
from faceplate.models.protocols import FaceFinder
from faceplate.pipeline.analyse.source_cache import checked_sources, store_checked, store_sources
from faceplate.pipeline.analyse.sources import LocatedFace, locate_source, prepare_source
from faceplate.pipeline.context import RunContext
from faceplate.spec import ShotSpec


class ShotSources:
    """The source faces of ``spec``, found by ``faces`` (``colourspaces``: the pre-flight's
    canonical source colourspaces)."""

    def __init__(self, spec: ShotSpec, ctx: RunContext, faces: FaceFinder,
                 colourspaces: Mapping[str, str | None]) -> None:
        self._spec, self._ctx, self._finder = spec, ctx, faces
        self._colourspaces = colourspaces
        self._ready: dict[str, SourceFace] | None = None
        self._located: dict[str, list[LocatedFace]] = {}
        self._checked: set[str] = set()  # checked by the cache: found again only if needed
        self._from_cache = False
        self._stored = False

    def check(self) -> None:
        """Each source from the cache where current, else the faces of its images found (not
        identified); once.

        Raises:
            SpecError: a source image that had to be read is unreadable or holds no face.
        """
        if self._ready is not None:
            return
        ready, self._checked = checked_sources(self._spec, self._ctx, self._finder,
                                               self._colourspaces)
        self._located = {name: locate_source(source, self._ctx, self._finder)
                         for name, source in self._spec.sources.items()
                         if name not in ready and name not in self._checked}
        self._from_cache = not self._located and not self._checked
        self._ready = ready

    def faces(self) -> dict[str, SourceFace]:
        """Every source face, ready to paste (identity and skin measured where not cached)."""
        self.check()
        assert self._ready is not None
        for name, source in self._spec.sources.items():
            if name not in self._ready:  # found in its images (again, if checked by the cache)
                self._ready[name] = prepare_source(source, self._ctx, self._finder,
                                                   self._located.get(name))
        self._located, self._checked = {}, set()
        return {name: self._ready[name] for name in self._spec.sources}

    def store(self) -> None:
        """Cache the prepared faces beside the analysis (once, unless they came from it)."""
        if self._stored:
            return
        faces = self.faces()
        if not self._from_cache:
            store_sources(self._spec, self._ctx, self._finder, faces, self._colourspaces)
        self._stored = True

    def store_checked(self) -> None:
        """Record in the cache that the sources found here hold a face, without measuring
        their identity (a shot with no face): later stages check them from there."""
        self.check()
        if self._located and not self._stored:
            store_checked(self._spec, self._ctx, self._finder, list(self._located),
                          self._colourspaces)
