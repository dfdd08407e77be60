"""The Python node API, the one public API for scripts, hosts and farm tasks: build a shot from a
spec file or keyword arguments and run its stages.

Example::

    from faceplate.nodes import ShotNode
    node = ShotNode.from_file("sh010.yaml")
    result = node.run(frames=range(1001, 1011))
    print(result.report.summary["flagged_frames"])
"""

from faceplate.nodes.shot import ShotNode, ShotResult

__all__ = ["ShotNode", "ShotResult"]
