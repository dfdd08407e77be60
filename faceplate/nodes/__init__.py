"""The Python node API: build a shot from a spec file and run its stages.

Example::

    from faceplate.nodes import ShotNode
    node = ShotNode.from_file("sh010.yaml")
    result = node.run(frames=range(1001, 1011))
    print(result.report.summary["flagged_frames"])
"""

from faceplate.nodes.shot import ShotNode

__all__ = ["ShotNode"]
