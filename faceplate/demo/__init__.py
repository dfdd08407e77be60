"""The embedded demo shot, built from public-domain portraits shipped with faceplate."""

from faceplate.demo.build import DEMO_FRAMES, build_demo_shot

__all__ = ["DEMO_FRAMES", "build_demo_shot"]
