# faceplate for DaVinci Resolve (Workspace > Scripts): swap the face on the current clip.
# Set FACEPLATE_SOURCES (and optionally FACEPLATE_OUT, FACEPLATE_FARM) before starting Resolve.
from faceplate.hosts.resolve import main

print(main(globals().get("resolve")))
