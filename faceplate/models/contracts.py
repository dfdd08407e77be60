"""Model integrity: a file must be a loadable model of the contract its manifest entry
declares, whatever its hash. Checked by ``faceplate models verify``, ``pin`` and every run
before a model is used.

- ONNX (read with ``onnx``, nothing run): the graph's inputs are exactly the entry's
  ``inputs``; the first (the image) has the shape its ``size`` and ``layout`` say, a swapper's
  second (the identity) is (N, 512); the outputs are what the role's adapter reads: a
  swapper's or enhancer's first output is an image of the input's shape, a recognizer's or
  converter's a (N, D) vector (D the entry's ``outputs`` when given), a 68-point landmarker's
  (N, 68, 2 or 3), a masker's a map of the input's size; SCRFD and RetinaFace give three
  outputs per stride, YuNet four, YOLO-face one of 20 rows. A batch dimension, and any
  dimension the file leaves free, matches anything.
- LiteRT (``.tflite``, the MediaPipe pack): loaded by the runner, its input and outputs
  checked against the contract the pack's code reads.
- dlib (``.dat``): loaded by dlib; the shape predictor must give 68 points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faceplate.errors import ModelError
from faceplate.models.files import FileStatus, require
from faceplate.models.lock import ModelLock
from faceplate.models.manifest import ModelEntry

#: A shape: None for a dimension that may be anything.
Shape = tuple[int | None, ...]


def _image(entry: ModelEntry, channels: int | None = 3) -> Shape:
    size = entry.size
    return ((None, size, size, channels) if entry.layout == "NHWC"
            else (None, channels, size, size))


def declared_inputs(entry: ModelEntry) -> dict[str, Shape | None]:
    """Input name -> the shape the adapter feeds (None: not constrained)."""
    names = list(entry.inputs)
    shapes: dict[str, Shape | None] = dict.fromkeys(names)
    if entry.role == "converter":
        shapes[names[0]] = (None, 512)
    elif entry.size:
        shapes[names[0]] = _image(entry)
    if entry.role == "swapper" and len(names) > 1:
        shapes[names[1]] = (None, 512)
    return shapes


def declared_outputs(entry: ModelEntry) -> tuple[int | None, list[Shape | None]]:
    """How many outputs (None: at least one) and the shapes of the first ones the adapter
    reads (None: not constrained)."""
    role, family = entry.role, entry.family
    if role in ("swapper", "enhancer"):
        return None, [_image(entry) if entry.size else None]
    if role in ("recognizer", "converter"):
        width = entry.extra.get("outputs")
        return None, [(None, width if isinstance(width, int) else None)]
    if role == "landmarker":
        return None, [(None, 68, None)]
    if role == "masker":
        return None, [_image(entry, None) if entry.size else None]
    if family in ("scrfd", "retinaface"):
        return 3 * len(entry.extra_ints("strides", (8, 16, 32))), []
    if family == "yunet":
        return 4 * len(entry.extra_ints("strides", (8, 16, 32))), []
    if family == "yoloface":
        return None, [(None, 20, None)]
    return None, []


def _fits(found: Shape, wanted: Shape | None) -> bool:
    if wanted is None:
        return True
    return len(found) == len(wanted) and all(
        w is None or f is None or f == w for f, w in zip(found, wanted, strict=True))


def _shape(value_info: Any) -> Shape:
    dims = value_info.type.tensor_type.shape.dim
    return tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                 for d in dims)


def _text(shape: Shape | None) -> str:
    return "any" if shape is None else "[" + ", ".join("?" if d is None else str(d)
                                                       for d in shape) + "]"


def check_onnx(entry: ModelEntry, path: Path) -> None:
    """Refuse ``path`` unless it is an ONNX model of ``entry``'s contract.

    Raises:
        ModelError: naming the file and what does not match.
    """
    try:
        import onnx
    except ImportError as exc:
        raise ModelError(f"checking ONNX models needs onnx (pip install onnx): {exc}",
                         path=path) from None
    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx and protobuf raise their own exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"model {entry.id}: {path} is not a loadable ONNX model: {first}",
                         path=path) from None
    graph = model.graph
    initialised = {i.name for i in graph.initializer}
    inputs = {i.name: _shape(i) for i in graph.input if i.name not in initialised}
    outputs = [_shape(o) for o in graph.output]
    problems = []
    wanted_in = declared_inputs(entry)
    if set(inputs) != set(wanted_in):
        problems.append(f"inputs {sorted(inputs)}, expected {sorted(wanted_in)}")
    else:
        problems += [f"input {n!r} has shape {_text(inputs[n])}, expected {_text(s)}"
                     for n, s in wanted_in.items() if not _fits(inputs[n], s)]
    count, wanted_out = declared_outputs(entry)
    if not outputs or (count is not None and len(outputs) != count):
        problems.append(f"{len(outputs)} outputs, expected {count or 'at least 1'}")
    else:
        problems += [f"output {i} has shape {_text(outputs[i])}, expected {_text(s)}"
                     for i, s in enumerate(wanted_out)
                     if i >= len(outputs) or not _fits(outputs[i], s)]
    if problems:
        raise ModelError(f"model {entry.id}: {path} does not match its contract: "
                         + "; ".join(problems), path=path)


def check_tflite(entry: ModelEntry, path: Path) -> None:
    """Refuse ``path`` unless LiteRT loads it with the contract the MediaPipe pack reads."""
    from faceplate.models.mediapipe.contracts import contract_for
    from faceplate.models.mediapipe.runner import TfliteModel
    contract = contract_for(entry.file or path.name)
    if contract is None:
        raise ModelError(f"model {entry.id}: no LiteRT contract is known for {entry.file}",
                         path=path)
    TfliteModel(path, contract, threads=1).load()


def check_dlib(entry: ModelEntry, path: Path) -> None:
    """Refuse ``path`` unless dlib loads it (a shape predictor must give 68 points)."""
    try:
        import dlib
    except ImportError as exc:
        raise ModelError(f"dlib is not installed (pip install dlib-bin): {exc}") from None
    try:
        if entry.role == "landmarker":
            import numpy as np
            predictor = dlib.shape_predictor(str(path))
            shape = predictor(np.zeros((32, 32, 3), np.uint8), dlib.rectangle(0, 0, 31, 31))
            parts = shape.num_parts
            if parts != 68:
                raise ModelError(f"model {entry.id}: {path} gives {parts} points, expected 68",
                                 path=path)
        else:
            dlib.face_recognition_model_v1(str(path))
    except RuntimeError as exc:
        raise ModelError(f"model {entry.id}: {path} is not a loadable dlib model: {exc}",
                         path=path) from None


def check_file(entry: ModelEntry, path: Path) -> None:
    """Refuse ``path`` unless it is a loadable model of ``entry``'s declared contract."""
    checks = {"onnx": check_onnx, "tflite": check_tflite, "dlib": check_dlib}
    if entry.format not in checks:
        raise ModelError(f"model {entry.id}: unknown model format {entry.format!r}", path=path)
    checks[entry.format](entry, path)


def verify_file(entry: ModelEntry, dirs: list[Path], lock: ModelLock | None = None
                ) -> FileStatus:
    """Find ``entry``'s file, check its sha256 against the manifest and the studio ``lock``,
    then that it is a loadable model of its contract; its status.

    Raises:
        ModelNotFoundError, ModelHashError, ModelError: before anything uses the file.
    """
    status = require(entry, dirs, lock)
    if status.path is not None:
        check_file(entry, status.path)
    return status
