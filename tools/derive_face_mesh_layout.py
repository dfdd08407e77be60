"""Derive faceplate's canonical face-mesh layout, mirror pairing and triangulation.

Runs the shipped MediaPipe models (faceplate.models.mediapipe) on the public-domain portraits
in the repository and on their mirror images, and writes faceplate/face/data/face_mesh_layout.npz:

- ``mirror`` (468,): the mesh index each point becomes in a mirror image, found by matching
  each face's mesh with the mesh of its mirrored image (optimal assignment);
- ``canonical`` (468, 3): the mean frontal layout: all fits and their mirror images aligned by
  similarity Procrustes and averaged (so it is exactly symmetric), turned so the symmetry
  plane is x = 0, the top of the forehead (10) and the chin (152) lie at one depth, x to the
  image's right, y down, z away from the camera; centred, outer eye corners 1 apart;
- ``triangles`` (T, 3): Delaunay triangles of the canonical layout's (x, y), trimmed to the
  face outline, without the triangles spanning the mouth and eye openings.

It also prints, for each of dlib's 68 iBUG points, the mesh point nearest on the demo's
portraits (faceplate/demo/data), which is where faceplate.face.mesh.IBUG68 comes from.

    python tools/derive_face_mesh_layout.py [--out faceplate/face/data/face_mesh_layout.npz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import Delaunay

from faceplate.face import mesh
from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.mediapipe import MediaPipeFacePack

ROOT = Path(__file__).resolve().parents[1]
PORTRAITS = [ROOT / "tests/data/obama2.jpg", ROOT / "tests/data/biden.jpg",
             ROOT / "faceplate/demo/data/obama.jpg", ROOT / "faceplate/demo/data/astronaut.png"]
DEMO = PORTRAITS[2:]


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise SystemExit(f"ERROR: {path}: cannot read")
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def fit(pack: MediaPipeFacePack, image: np.ndarray) -> np.ndarray:
    face = pack.from_detection(image, pack.find_faces(image)[0])
    assert face is not None
    return face.mesh.copy()


def mirror_pairing(pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Index each point becomes under mirroring, from (mesh, mesh of the mirror flipped back)."""
    cost = np.zeros((468, 468))
    for a, b in pairs:
        scale = np.linalg.norm(a[33, :2] - a[263, :2])
        cost += np.linalg.norm(a[:, None, :2] - b[None, :, :2], axis=2) / scale
    _, mirror = linear_sum_assignment(cost)
    assert np.array_equal(mirror[mirror], np.arange(468)), "mirror pairing is not an involution"
    return mirror


def similarity_align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``source`` moved by the rotation, scale and shift that best fit it to ``target``."""
    ms, mt = source.mean(0), target.mean(0)
    s, t = source - ms, target - mt
    u, sig, vt = np.linalg.svd(t.T @ s)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ d @ vt
    scale = np.trace(np.diag(sig) @ d) / (s ** 2).sum()
    return scale * s @ rotation.T + mt


def reflect(points: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    out = points[mirror].copy()
    out[:, 0] *= -1
    return out


def canonical_layout(samples: list[np.ndarray], mirror: np.ndarray) -> np.ndarray:
    """Generalised Procrustes mean of the samples and their reflections, made frontal."""
    every = samples + [reflect(s, mirror) for s in samples]
    mean = every[0] - every[0].mean(0)
    for _ in range(20):
        mean = np.mean([similarity_align(s, mean) for s in every], axis=0)
        mean -= mean.mean(0)
        mean /= np.linalg.norm(mean[33] - mean[263])
    diffs = mean - mean[mirror]
    x_axis = np.linalg.eigh(diffs.T @ diffs)[1][:, -1]
    x_axis *= np.sign(x_axis @ (mean[263] - mean[33]))
    down = mean[152] - mean[10]
    y_axis = down - (down @ x_axis) * x_axis
    y_axis /= np.linalg.norm(y_axis)
    frame = np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)], axis=1)
    layout = mean @ frame
    layout = (layout + reflect(layout, mirror)) / 2  # exact symmetry
    layout -= layout.mean(0)
    return layout / np.linalg.norm(layout[33] - layout[263])


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))


def _cross(xy: np.ndarray, a: int, b: int, c: int, d: int) -> bool:
    """Whether segments a-b and c-d cross at a point inside both."""
    if len({a, b, c, d}) < 4:
        return False
    p, q, r, s = xy[a], xy[b], xy[c], xy[d]
    return _orient(p, q, r) * _orient(p, q, s) < 0 and _orient(r, s, p) * _orient(r, s, q) < 0


def _edges(triangles: list[list[int]]) -> dict[tuple[int, int], list[int]]:
    found: dict[tuple[int, int], list[int]] = {}
    for i, (a, b, c) in enumerate(triangles):
        for e in ((a, b), (b, c), (c, a)):
            found.setdefault((min(e), max(e)), []).append(i)
    return found


def enforce_edge(xy: np.ndarray, triangles: list[list[int]], a: int, b: int) -> None:
    """Flip edges crossing a-b until a-b is an edge of the triangulation (Sloan's method)."""
    for _ in range(10_000):
        edges = _edges(triangles)
        if (min(a, b), max(a, b)) in edges:
            return
        for (c, d), owners in edges.items():
            if len(owners) != 2 or not _cross(xy, a, b, c, d):
                continue
            e, f = (next(v for v in triangles[t] if v not in (c, d)) for t in owners)
            if not _cross(xy, c, d, e, f):
                continue  # the quad is not convex: flipping would fold it
            triangles[owners[0]] = _ccw(xy, [e, f, c])
            triangles[owners[1]] = _ccw(xy, [e, f, d])
            break
        else:
            raise RuntimeError(f"cannot make {a}-{b} an edge")
    raise RuntimeError(f"too many flips for {a}-{b}")


def _ccw(xy: np.ndarray, tri: list[int]) -> list[int]:
    return tri if _orient(*xy[tri]) > 0 else [tri[0], tri[2], tri[1]]


def triangulate(layout: np.ndarray) -> np.ndarray:
    """Delaunay triangles of a frontal layout with the mouth and eye openings made edges (by
    flipping), trimmed to the face outline (triangle centres inside it), openings left out."""
    xy = layout[:, :2]
    triangles = [_ccw(xy, t.tolist()) for t in Delaunay(xy).simplices]
    holes = [mesh.LIPS_INNER, mesh.eye_loop(0), mesh.eye_loop(1)]
    for loop in holes:
        for a, b in zip(loop, loop[1:] + loop[:1], strict=True):
            enforce_edge(xy, triangles, a, b)
    polygons = [xy[list(loop)].astype(np.float32) for loop in [mesh.FACE_OVAL] + holes]
    keep = []
    for tri in triangles:
        c = xy[tri].mean(0)
        where = [cv2.pointPolygonTest(poly, (float(c[0]), float(c[1])), False) > 0
                 for poly in polygons]
        if where[0] and not any(where[1:]):
            keep.append(tri)
    return np.array(keep, np.int32)


def frontal(points: np.ndarray, layout: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    """``points`` turned and scaled onto ``layout``'s frame (rigid fit on all points), made
    symmetric by averaging with its reflection."""
    src, dst = points - points.mean(0), layout - layout.mean(0)
    u, sig, vt = np.linalg.svd(dst.T @ src)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    moved = src @ (u @ d @ vt).T * (np.trace(np.diag(sig) @ d) / (src ** 2).sum())
    return (moved + reflect(moved, mirror)) / 2


#: The iBUG point each iBUG point becomes in a mirror image.
IBUG_MIRROR = np.array(
    [16 - i for i in range(17)] + [26 - i for i in range(10)] + [27, 28, 29, 30]
    + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])


def dlib_errors(pack: MediaPipeFacePack, dlib_pack: DlibFacePack, paths: list[Path]
                ) -> np.ndarray:
    """(68, 468) mean distance from each dlib point to each mesh point over ``paths`` and their
    mirror images, in units of dlib's outer-eye-corner distance."""
    cost = np.zeros((68, 468))
    for path in paths:
        for image in (read_rgb(path), np.ascontiguousarray(read_rgb(path)[:, ::-1])):
            face = pack.from_detection(image, pack.find_faces(image)[0])
            assert face is not None
            marks = dlib_pack.landmarks(image, dlib_pack.detect(image)[0].box)
            scale = np.linalg.norm(marks[45] - marks[36])
            cost += np.linalg.norm(marks[:, None] - face.mesh[None, :, :2], axis=2) / scale
    return cost / (2 * len(paths))


def ibug_mapping(errors: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    """For each iBUG point, the mesh point nearest to dlib's, chosen mirror-symmetrically."""
    both = errors + errors[IBUG_MIRROR][:, mirror]
    return both.argmin(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=mesh.LAYOUT_FILE)
    args = parser.parse_args()
    pack = MediaPipeFacePack()
    pairs, samples = [], []
    for path in PORTRAITS:
        image = read_rgb(path)
        a = fit(pack, image)
        b = fit(pack, np.ascontiguousarray(image[:, ::-1]))
        b[:, 0] = image.shape[1] - 1 - b[:, 0]
        pairs.append((a, b))
    mirror = mirror_pairing(pairs)
    for a, b in pairs:
        samples += [a, b[mirror]]
    layout = canonical_layout(samples, mirror)
    # On the mean layout the lips are half open and overlap in projection: triangulate on
    # the widest-open mouth of the portraits, turned frontal, so every lip point lies outside
    # the mouth opening and triangles follow the lips.
    widest = max((a for a, _ in pairs), key=lambda a: np.linalg.norm(a[13, :2] - a[14, :2])
                  / np.linalg.norm(a[33, :2] - a[263, :2]))
    triangles = triangulate(frontal(widest, layout, mirror))
    used = np.unique(triangles)
    print(f"mirror pairing: {int((mirror == np.arange(468)).sum())} points on the midline")
    print(f"triangles: {len(triangles)}, points used: {len(used)} of 468")
    print(f"nose tip (min z): {int(layout[:, 2].argmin())}, z {layout[:, 2].min():.3f}")
    dlib_pack = DlibFacePack()
    mapping = ibug_mapping(dlib_errors(pack, dlib_pack, DEMO), mirror)
    print("IBUG68 =", tuple(int(i) for i in mapping))
    held_out = dlib_errors(pack, dlib_pack, PORTRAITS[:2])[np.arange(68), mapping]
    print("mesh vs dlib on held-out portraits, % of dlib's outer-eye-corner distance:")
    print("  " + " ".join(f"{k}:{100 * e:.1f}" for k, e in enumerate(held_out)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, canonical=layout.astype(np.float64),
                        mirror=mirror.astype(np.int32), triangles=triangles)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
