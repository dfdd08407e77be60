"""Host plugins (Nuke, Resolve), registered in the ``faceplate.hosts`` entry-point group. Host code
reaches each host API through one access function (``nuke_module()``, ``qt()``, ``resolve_app()``)
so the logic is tested without the host; the menu actions and scripts are, with the CLI, the only
places that catch :class:`faceplate.FaceplateError`."""
