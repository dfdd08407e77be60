"""Stand-in ONNX models for benchmarks when no real weights are at hand.

``inswapper_like`` has inswapper_128's contract (inputs ``target`` N×3×128×128 and ``source``
N×512, output N×3×128×128 in 0..1, a 512×512 ``emap`` as the last initializer) and an assumed
architecture of the real file's size: an encoder down to 32×32×1024, six residual blocks of two
3×3 convolutions at 1024 channels, each followed by instance norm and a style modulation
(scale and shift from the source vector), and a decoder back up. About 138 M parameters (the
real file is 554 MB, about 138 M float32) and about 330 GFLOP per face. Weights are random
(He-scaled), so it measures compute, never quality.

``arcface_like`` has arcface_w600k_r50's contract (N×3×112×112 → N×512) and is small: a
recognizer runs once per source per process, so its cost does not matter to a shot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _onnx():
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    return onnx, TensorProto, helper, numpy_helper


class _Graph:
    """Collects nodes and He-initialised weights."""

    def __init__(self, seed: int) -> None:
        _, _, self.helper, self.numpy_helper = _onnx()
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def weight(self, shape: tuple[int, ...], fan_in: int) -> str:
        name = self.name("w")
        data = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        self.inits.append(self.numpy_helper.from_array(data, name))
        return name

    def const(self, value: np.ndarray) -> str:
        name = self.name("k")
        self.inits.append(self.numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: list[str], **attrs) -> str:
        out = self.name(kind.lower())
        self.nodes.append(self.helper.make_node(kind, inputs, [out], **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1,
             reflect: bool = False) -> str:
        pad = k // 2
        if reflect:
            pads8 = self.const(np.array([0, 0, pad, pad, 0, 0, pad, pad], np.int64))
            x = self.op("Pad", [x, pads8], mode="reflect")
            pads = [0, 0, 0, 0]
        else:
            pads = [pad] * 4
        w = self.weight((cout, cin, k, k), cin * k * k)
        b = self.const(np.zeros(cout, np.float32))
        return self.op("Conv", [x, w, b], strides=[stride, stride], pads=pads)

    def lrelu(self, x: str) -> str:
        return self.op("LeakyRelu", [x], alpha=0.2)

    def up(self, x: str) -> str:
        scales = self.const(np.array([1, 1, 2, 2], np.float32))
        return self.op("Resize", [x, "", scales], mode="nearest")

    def modulate(self, x: str, source: str, channels: int) -> str:
        """Instance norm, then x·(1 + γ) + β with γ, β from the source vector (AdaIN)."""
        one = self.const(np.ones(channels, np.float32))
        zero = self.const(np.zeros(channels, np.float32))
        x = self.op("InstanceNormalization", [x, one, zero])
        style = self.op("Gemm", [source, self.weight((512, 2 * channels), 512),
                                 self.const(np.zeros(2 * channels, np.float32))])
        shape = self.const(np.array([-1, 2 * channels, 1, 1], np.int64))
        style = self.op("Reshape", [style, shape])

        def index(value: int) -> str:
            return self.const(np.array([value], np.int64))
        gamma = self.op("Slice", [style, index(0), index(channels), index(1)])
        beta = self.op("Slice", [style, index(channels), index(2 * channels), index(1)])
        scaled = self.op("Mul", [x, self.op("Add", [gamma, self.const(np.ones((), np.float32))])])
        return self.op("Add", [scaled, beta])


def _save(g: _Graph, path: Path, inputs: list, outputs: list) -> None:
    onnx, _, helper, _ = _onnx()
    graph = helper.make_graph(g.nodes, "standin", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def inswapper_like(path: Path, seed: int = 0, width: int = 1024, blocks: int = 6) -> None:
    """Write the inswapper_128-sized stand-in to ``path``."""
    _, tp, helper, numpy_helper = _onnx()
    g = _Graph(seed)
    x = g.lrelu(g.conv("target", 3, 128, 7, reflect=True))
    x = g.lrelu(g.conv(x, 128, 256, 3, stride=2))
    x = g.lrelu(g.conv(x, 256, 512, 3, stride=2))
    x = g.lrelu(g.conv(x, 512, width, 3))
    for _ in range(blocks):
        y = g.op("Relu", [g.modulate(g.conv(x, width, width, 3, reflect=True), "source", width)])
        y = g.modulate(g.conv(y, width, width, 3, reflect=True), "source", width)
        x = g.op("Add", [x, y])
    x = g.lrelu(g.conv(g.up(x), width, 512, 3))
    x = g.lrelu(g.conv(g.up(x), 512, 256, 3))
    x = g.lrelu(g.conv(x, 256, 128, 3))
    x = g.op("Tanh", [g.conv(x, 128, 3, 7, reflect=True)])
    half = g.const(np.float32(0.5))
    g.nodes.append(helper.make_node("Add", [g.op("Mul", [x, half]), half], ["output"]))
    # last, as in the real file
    g.inits.append(numpy_helper.from_array(np.eye(512, dtype=np.float32), "emap"))
    f = tp.FLOAT
    _save(g, path, [helper.make_tensor_value_info("target", f, ["N", 3, 128, 128]),
                    helper.make_tensor_value_info("source", f, ["N", 512])],
          [helper.make_tensor_value_info("output", f, ["N", 3, 128, 128])])


def arcface_like(path: Path, seed: int = 1) -> None:
    """Write a small recognizer with arcface_w600k_r50's contract to ``path``."""
    _, tp, helper, _ = _onnx()
    g = _Graph(seed)
    x = g.op("Relu", [g.conv("input", 3, 32, 3, stride=2)])
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])])
    g.nodes.append(helper.make_node("MatMul", [x, g.weight((32, 512), 32)], ["output"]))
    f = tp.FLOAT
    _save(g, path, [helper.make_tensor_value_info("input", f, ["N", 3, 112, 112])],
          [helper.make_tensor_value_info("output", f, ["N", 512])])


def tiny_swapper(path: Path, size: int, layers: int = 4) -> None:
    """Write a 4-conv model with the swappers' contract to ``path`` (adapter overhead only)."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    rng = np.random.default_rng(0)
    inits, nodes, x = [], [], "target"
    for i in range(layers):
        weights = (rng.normal(size=(3, 3, 3, 3)) * 0.1).astype(np.float32)
        inits.append(numpy_helper.from_array(weights, f"w{i}"))
        nodes.append(helper.make_node("Conv", [x, f"w{i}"], [f"c{i}"], pads=[1, 1, 1, 1]))
        x = f"c{i}"
    inits += [numpy_helper.from_array(np.array([0], np.int64), "idx"),
              numpy_helper.from_array(np.array([-1, 1, 1, 1], np.int64), "shape"),
              numpy_helper.from_array(np.eye(512, dtype=np.float32), "emap")]
    nodes += [helper.make_node("Gather", ["source", "idx"], ["s0"], axis=1),
              helper.make_node("Reshape", ["s0", "shape"], ["s4"]),
              helper.make_node("Add", [x, "s4"], ["output"])]
    f = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("target", f, ["N", 3, size, size]),
              helper.make_tensor_value_info("source", f, ["N", 512])]
    outputs = [helper.make_tensor_value_info("output", f, ["N", 3, size, size])]
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
