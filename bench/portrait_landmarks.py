"""Write faceplate/demo/data/portraits.json: the 68 dlib landmarks of each portrait the
plate builder animates, found once (at 2x for precision) and stored beside the images, so
building a plate needs no face model.

    python bench/portrait_landmarks.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from faces import Dlib68

DATA = Path(__file__).parent.parent / "faceplate" / "demo" / "data"
PORTRAITS = {
    "astronaut": {"file": "astronaut.png",
                  "origin": "NASA portrait of Eileen Collins (scikit-image's astronaut.png)",
                  "licence": "public domain (NASA)"},
    "biden": {"file": "biden_portrait.jpg",
              "origin": "crop [0:900, 170:970] of tests/test_images/biden.jpg in the "
                        "face_recognition 1.3.0 sdist (official White House photograph)",
              "licence": "public domain (work of the US federal government)"},
}


def main() -> None:
    finder = Dlib68()
    out = {}
    for name, info in PORTRAITS.items():
        rgb = cv2.cvtColor(cv2.imread(str(DATA / info["file"])), cv2.COLOR_BGR2RGB)
        big = cv2.resize(rgb, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        face = finder.find(big)
        assert face is not None, name
        points = np.round(face.points / 2.0, 2)
        out[name] = {**info, "size": [rgb.shape[1], rgb.shape[0]], "landmarks68": points.tolist()}
        print(name, face.box, face.score)
    (DATA / "portraits.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
