"""Host plugins (Nuke, Resolve) and plugin discovery. Host code reaches each host API
through one access function so the logic can be tested without the host."""
