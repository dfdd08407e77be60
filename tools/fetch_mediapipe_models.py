"""Reproduce the MediaPipe face models shipped in faceplate/models/mediapipe/data/.

The files come from the Apache-2.0 ``mediapipe==0.10.21`` wheel on PyPI (cp311, manylinux_2_28
x86_64); mediapipe itself is not a dependency (it pins numpy<2). This script downloads the
wheel with pip, extracts the four .tflite files and the wheel's licence, checks every sha256
against the pinned values below, and writes them (with a NOTICE) into the package folder.
It also reports whether the wheel carries a canonical face model (0.10.21 does not).

    python tools/fetch_mediapipe_models.py            # check and write into the package
    python tools/fetch_mediapipe_models.py --check    # only compare with what is shipped
    python tools/fetch_mediapipe_models.py --wheel mediapipe-0.10.21-....whl   # no download
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "0.10.21"
WHEEL = f"mediapipe-{VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
#: sha256 of the wheel as pip downloaded it from PyPI (pip checks it against the index).
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
#: Path inside the wheel -> (file name shipped, size in bytes, sha256).
FILES = {
    "mediapipe/modules/face_detection/face_detection_short_range.tflite": (
        "face_detection_short_range.tflite", 229_714,
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"),
    "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite": (
        "face_detection_full_range_sparse.tflite", 676_746,
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"),
    "mediapipe/modules/face_landmark/face_landmark.tflite": (
        "face_landmark.tflite", 1_242_398,
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"),
    "mediapipe/modules/iris_landmark/iris_landmark.tflite": (
        "iris_landmark.tflite", 2_640_568,
        "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f"),
}
LICENCE_IN_WHEEL = f"mediapipe-{VERSION}.dist-info/LICENSE"
CANONICAL_CANDIDATES = ("canonical_face_model", "geometry_pipeline_metadata")
TARGET = Path(__file__).resolve().parents[1] / "faceplate" / "models" / "mediapipe" / "data"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(folder: Path) -> Path:
    """``pip download --no-deps`` the pinned wheel into ``folder``."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                    f"mediapipe=={VERSION}", "-d", str(folder)], check=True)
    return folder / WHEEL


def notice(hashes: dict[str, str]) -> str:
    lines = [
        "The four .tflite files in this folder are the MediaPipe face models, copyright The",
        "MediaPipe Authors (Google LLC), licensed under the Apache License, Version 2.0",
        "(LICENSE in this folder: the licence file of the wheel they come from).",
        "",
        f"Origin: the PyPI wheel {WHEEL}",
        f"(mediapipe=={VERSION}, https://pypi.org/project/mediapipe/{VERSION}/), unmodified;",
        f"wheel sha256 {WHEEL_SHA256}.",
        "Reproduce and check with tools/fetch_mediapipe_models.py.",
        "",
    ]
    for inner, (name, size, _) in FILES.items():
        lines += [f"{name}", f"  path in wheel: {inner}", f"  size: {size} bytes",
                  f"  sha256: {hashes[name]}"]
    lines += ["", "The wheel holds no canonical face model; faceplate's canonical layout of the",
              "468 points (faceplate/face/data/) is derived from this model's output",
              "(tools/derive_face_mesh_layout.py, faceplate/face/mesh.py)."]
    return "\n".join(lines) + "\n"


def extract(wheel: Path) -> tuple[dict[str, bytes], bytes, list[str]]:
    """The model files, the licence and the names of any canonical-model files in ``wheel``."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        models = {inner: archive.read(inner) for inner in FILES}
        licence = archive.read(LICENCE_IN_WHEEL)
    canonical = [n for n in names if any(c in n for c in CANONICAL_CANDIDATES)
                 and not n.endswith((".py", "/"))]
    return models, licence, canonical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    parser.add_argument("--check", action="store_true", help="compare with the shipped files only")
    parser.add_argument("--out", type=Path, default=TARGET,
                        help="folder to write (default: the package's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        wheel_hash = sha256(wheel.read_bytes())
        if wheel_hash != WHEEL_SHA256:
            print(f"ERROR: {wheel}: sha256 {wheel_hash}, pinned {WHEEL_SHA256}", file=sys.stderr)
            return 1
        models, licence, canonical = extract(wheel)
    bad = 0
    hashes = {}
    for inner, data in models.items():
        name, size, pinned = FILES[inner]
        found = sha256(data)
        hashes[name] = found
        ok = found == pinned and len(data) == size
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {name} {len(data)} bytes sha256 {found}"
              + ("" if ok else f" (pinned {pinned}, {size} bytes)"))
    print("canonical face model in wheel:", ", ".join(canonical) if canonical else "none")
    if bad:
        print(f"ERROR: {WHEEL}: {bad} file(s) differ from the pinned hashes", file=sys.stderr)
        return 1
    if args.check:
        for inner, data in models.items():
            shipped = args.out / FILES[inner][0]
            same = shipped.is_file() and shipped.read_bytes() == data
            bad += not same
            print(f"{'same' if same else 'DIFFERENT'} {shipped}")
        return 1 if bad else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for inner, data in models.items():
        (args.out / FILES[inner][0]).write_bytes(data)
    (args.out / "LICENSE").write_bytes(licence)
    (args.out / "NOTICE").write_text(notice(hashes))
    print(f"wrote {len(models)} models, LICENSE and NOTICE to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
