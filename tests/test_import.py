"""``import faceplate`` is light and leaves the host alone (run in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["OpenImageIO", "PyOpenColorIO", "onnxruntime", "dlib", "cv2",
         "nuke", "hiero", "DaVinciResolveScript"]

PROBE = f"""
import json, logging, os, sys
before = (dict(os.environ), os.getcwd(), list(logging.getLogger().handlers),
          logging.getLogger().level, set(sys.modules))
import faceplate, faceplate.errors, faceplate.farm, faceplate.hosts
after = (dict(os.environ), os.getcwd(), list(logging.getLogger().handlers),
         logging.getLogger().level)
print(json.dumps({{"same": list(before[:4]) == list(after),
                  "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules),
                  "version": faceplate.__version__}}))
"""


def test_import_is_light_and_leaves_host_state_alone() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True, timeout=120)
    seen = json.loads(done.stdout)
    assert seen["heavy"] == []
    assert seen["same"] is True
    assert seen["version"]


def test_import_never_exits() -> None:
    done = subprocess.run([sys.executable, "-c", "import faceplate; print('alive')"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "alive"
