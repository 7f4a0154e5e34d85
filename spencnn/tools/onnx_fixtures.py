#!/usr/bin/env python3
"""Writes the ONNX test fixtures of `spencnn/tests/fixtures/onnx/` and their reference outputs.

Each supported-pattern model is small (a few KiB), has seeded random weights, and comes with an
input image and the output onnxruntime computes for it (`references.json`). Each refusal model
is a minimal graph the importer must refuse with a named node and operator (`refusals.json`
says which). The Rust tests read these files; they never run Python.

    python3 -m venv venv && venv/bin/pip install numpy onnx onnxruntime torch onnxscript
    venv/bin/python spencnn/tools/onnx_fixtures.py

torch is only needed for the two exporter-made fixtures (`torch_*`); pass --no-torch to skip
them. The ReLU fixtures (`relu_*`, `relu_references.json`) use their own random stream;
--relu-only writes just them.
"""

import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
OPSET = 17
rng = np.random.default_rng(20261203)


def rand(*shape, scale=0.5):
    return (rng.uniform(-scale, scale, size=shape)).astype(np.float32)


class Graph:
    """A tiny graph builder: nodes, initializers, one image input, one output."""

    def __init__(self, name, input_shape, batch="N"):
        self.name = name
        self.nodes = []
        self.inits = []
        self.input_shape = input_shape
        self.batch = batch
        self.count = 0

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, name=None, outputs=1, **attrs):
        self.count += 1
        name = name or f"{op_type.lower()}{self.count}"
        outs = [name] if outputs == 1 else [f"{name}:{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs[0]

    def poly(self, x, channels, prefix, form="a_x2"):
        """A polynomial activation in one of several spellings; per-channel [1, C, 1, 1]."""
        shape = (1, channels, 1, 1) if channels else (1,)
        a = self.init(f"{prefix}.a", rng.uniform(0.05, 0.2, size=shape).astype(np.float32))
        b = self.init(f"{prefix}.b", rng.uniform(0.5, 1.0, size=shape).astype(np.float32))
        c = self.init(f"{prefix}.c", rand(*shape, scale=0.1))
        if form == "a_x2":  # a*x**2 + b*x + c (Pow with a float exponent)
            two = self.init(f"{prefix}.two", np.array(2.0, dtype=np.float32))
            sq = self.op("Pow", [x, two])
            return self.op("Add", [self.op("Add", [self.op("Mul", [a, sq]), self.op("Mul", [b, x])]), c], name=prefix)
        if form == "c_first":  # c + x*b + x*x*a (other operand orders)
            xx = self.op("Mul", [x, x])
            return self.op("Add", [self.op("Add", [c, self.op("Mul", [x, b])]), self.op("Mul", [xx, a])], name=prefix)
        if form == "horner":  # x*(a*x + b) + c, with Sub and Div by constants
            half = self.init(f"{prefix}.half", np.array(0.5, dtype=np.float32))
            inner = self.op("Sub", [self.op("Mul", [a, x]), self.op("Div", [self.op("Neg", [b]), half])])
            return self.op("Add", [self.op("Mul", [x, inner]), c], name=prefix)
        raise ValueError(form)

    def save(self, output, rank=2, dtype=TensorProto.FLOAT):
        dims = [self.batch, *self.input_shape]
        inp = helper.make_tensor_value_info("input", dtype, dims)
        out = helper.make_tensor_value_info(output, dtype, [self.batch] + [None] * (rank - 1))
        graph = helper.make_graph(self.nodes, self.name, [inp], [out], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="fixtures")
        model.ir_version = 8
        return model


def conv(g, x, cin, cout, k, name, stride=1, pads=None, group=1, bias=True):
    w = g.init(f"{name}.weight", rand(cout, cin // group, k, k, scale=1.0 / np.sqrt(cin // group * k * k)))
    inputs = [x, w] + ([g.init(f"{name}.bias", rand(cout, scale=0.1))] if bias else [])
    return g.op("Conv", inputs, name=name, kernel_shape=[k, k], strides=[stride, stride], pads=pads or [0, 0, 0, 0], group=group)


def batch_norm(g, x, c, name):
    params = [
        g.init(f"{name}.weight", rng.uniform(0.8, 1.2, size=c).astype(np.float32)),
        g.init(f"{name}.bias", rand(c, scale=0.1)),
        g.init(f"{name}.running_mean", rand(c, scale=0.1)),
        g.init(f"{name}.running_var", rng.uniform(0.5, 1.5, size=c).astype(np.float32)),
    ]
    return g.op("BatchNormalization", [x, *params], name=name, epsilon=1e-5)


def gemm(g, x, fin, fout, name, trans_b=1, alpha=1.0, beta=1.0):
    w = rand(fout, fin, scale=1.0 / np.sqrt(fin))
    w = w if trans_b else w.T.copy()
    return g.op("Gemm", [x, g.init(f"{name}.weight", w), g.init(f"{name}.bias", rand(fout, scale=0.1))], name=name, transB=trans_b, alpha=alpha, beta=beta)


def flatten(g, x):
    return g.op("Flatten", [x], axis=1)


def models():
    """The supported-pattern fixtures: (model, input shape, batch size of the reference run)."""
    out = []

    # Asymmetric pads, stride 2, groups, bias / no bias, two activation spellings, Gemm with
    # transB = 0 and alpha/beta.
    g = Graph("conv_variants", [3, 12, 12])
    x = conv(g, "input", 3, 4, 3, "conv1", stride=2, pads=[0, 1, 1, 0])
    x = g.poly(x, 4, "act1", "c_first")
    x = conv(g, x, 4, 6, 3, "conv2", pads=[1, 1, 1, 1], group=2, bias=False)
    x = g.poly(x, 0, "act2", "a_x2")
    x = flatten(g, g.op("GlobalAveragePool", [x]))
    out.append(g.save(gemm(g, x, 6, 5, "fc", trans_b=0, alpha=0.5, beta=2.0)))

    # Batch 1, Reshape to [N, -1] through Shape/Gather/Unsqueeze/Concat, MatMul + Add, an
    # activation on flat features, a final Softmax.
    g = Graph("dense_variants", [1, 8, 8], batch=1)
    x = g.poly(conv(g, "input", 1, 3, 3, "conv1", pads=[1, 1, 1, 1]), 3, "act1", "horner")
    x = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
    n = g.op("Gather", [g.op("Shape", [x]), g.init("zero", np.array(0, dtype=np.int64))], axis=0)
    shape = g.op("Concat", [g.op("Unsqueeze", [n, g.init("axes0", np.array([0], dtype=np.int64))]), g.init("minus_one", np.array([-1], dtype=np.int64))], axis=0)
    x = g.op("Reshape", [x, shape])
    x = g.op("MatMul", [x, g.init("fc1.weight", rand(48, 7, scale=0.3))])
    x = g.op("Add", [x, g.init("fc1.bias", rand(7, scale=0.1))], name="fc1")
    a = g.init("act2.a", rng.uniform(0.05, 0.2, size=7).astype(np.float32))
    x = g.op("Add", [g.op("Mul", [g.op("Mul", [x, x]), a]), x], name="act2")
    x = gemm(g, x, 7, 4, "fc2")
    out.append(g.save(g.op("Softmax", [x], axis=1)))

    # Pooling: window 3 stride 2 padding 1 with and without counting the padding, window 2
    # stride 1, and ReduceMean over the pixels.
    g = Graph("pools", [2, 9, 9])
    x = g.poly(conv(g, "input", 2, 3, 3, "conv1", pads=[1, 1, 1, 1]), 3, "act1")
    x = g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)
    x = g.poly(x, 3, "act2", "c_first")
    x = g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    x = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[1, 1])
    x = g.op("ReduceMean", [x], axes=[2, 3], keepdims=0)
    out.append(g.save(gemm(g, x, 3, 3, "fc")))

    # Batch norms and a residual block with a projection shortcut; a Sub between branches.
    g = Graph("residual", [4, 8, 8])
    y0 = g.poly(batch_norm(g, conv(g, "input", 4, 4, 3, "conv0", pads=[1] * 4, bias=False), 4, "bn0"), 4, "act0")
    y1 = g.poly(batch_norm(g, conv(g, y0, 4, 6, 3, "conv1", stride=2, pads=[1] * 4, bias=False), 6, "bn1"), 6, "act1")
    y2 = batch_norm(g, conv(g, y1, 6, 6, 3, "conv2", pads=[1] * 4, group=2, bias=False), 6, "bn2")
    sc = batch_norm(g, conv(g, y0, 4, 6, 1, "shortcut", stride=2, bias=False), 6, "shortcut_bn")
    z = g.poly(g.op("Add", [y2, sc], name="add"), 6, "act2", "horner")
    z2 = conv(g, z, 6, 6, 1, "conv3")
    z = g.op("Sub", [z2, z], name="sub")
    x = flatten(g, g.op("GlobalAveragePool", [z]))
    out.append(g.save(gemm(g, x, 6, 4, "fc")))

    # Per-channel normalisation of the input (client-side), constant folding of the weights
    # (W * mask, b1 + b2, a0 / 2), Identity, Dropout, a final Softmax.
    g = Graph("preprocess_folding", [3, 10, 10])
    x = g.op("Sub", ["input", g.init("mean", np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(1, 3, 1, 1))])
    x = g.op("Div", [x, g.init("std", np.array([0.247, 0.243, 0.261], dtype=np.float32).reshape(1, 3, 1, 1))])
    mask = (rng.uniform(size=(5, 3, 3, 3)) > 0.3).astype(np.float32)
    w = g.op("Mul", [g.init("w_raw", rand(5, 3, 3, 3, scale=0.2)), g.init("w_mask", mask)])
    b = g.op("Add", [g.init("b1", rand(5, scale=0.1)), g.init("b2", rand(5, scale=0.1))])
    x = g.op("Conv", [x, w, b], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    x = g.op("Dropout", [g.op("Identity", [x])])
    a = g.op("Div", [g.init("a0", rng.uniform(0.1, 0.4, size=(1, 5, 1, 1)).astype(np.float32)), g.init("two", np.array(2.0, dtype=np.float32))])
    x = g.op("Add", [g.op("Mul", [a, g.op("Mul", [x, x])]), x], name="act")
    x = flatten(g, g.op("GlobalAveragePool", [x]))
    out.append(g.save(g.op("Softmax", [gemm(g, x, 5, 3, "fc")], axis=-1)))
    return out


def relu_models():
    """The ReLU fixtures (imported with the opt-in approximation), with their own random stream so
    that the other fixtures do not change: a small CNN with two ReLUs, the same network with a
    quadratic activation in their place (a least-squares fit of ReLU on [-2, 2]), and ReLU on the
    flat features between two dense layers, and an MNIST-shaped network with one ReLU."""
    local = np.random.default_rng(20261204)

    def weights(*shape, fan_in):
        return (local.uniform(-1.0, 1.0, size=shape) * np.sqrt(3.0 / fan_in)).astype(np.float32)

    def cnn(name, activation):
        g = Graph(name, [1, 8, 8])
        params = {
            "conv1": (weights(4, 1, 3, 3, fan_in=9), weights(4, fan_in=9) * 0.2),
            "conv2": (weights(4, 4, 3, 3, fan_in=36), weights(4, fan_in=36) * 0.2),
            "fc": (weights(3, 4, fan_in=4), weights(3, fan_in=4) * 0.2),
        }
        w1, b1 = params["conv1"]
        x = g.op("Conv", ["input", g.init("conv1.weight", w1), g.init("conv1.bias", b1)], name="conv1", kernel_shape=[3, 3], pads=[1] * 4)
        x = activation(g, x, "act1")
        x = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
        w2, b2 = params["conv2"]
        x = g.op("Conv", [x, g.init("conv2.weight", w2), g.init("conv2.bias", b2)], name="conv2", kernel_shape=[3, 3], pads=[1] * 4)
        x = activation(g, x, "act2")
        x = flatten(g, g.op("GlobalAveragePool", [x]))
        wf, bf = params["fc"]
        return g.save(g.op("Gemm", [x, g.init("fc.weight", wf), g.init("fc.bias", bf)], name="fc", transB=1))

    def relu(g, x, name):
        return g.op("Relu", [x], name=name)

    # Least-squares quadratic fit of ReLU on [-2, 2]: 0.1875 x^2 + 0.5 x + 0.375 (Legendre
    # projection; the same for every channel).
    def quadratic(g, x, name):
        a = g.init(f"{name}.a", np.array(0.1875, dtype=np.float32))
        b = g.init(f"{name}.b", np.array(0.5, dtype=np.float32))
        c = g.init(f"{name}.c", np.array(0.375, dtype=np.float32))
        return g.op("Add", [g.op("Add", [g.op("Mul", [a, g.op("Mul", [x, x])]), g.op("Mul", [b, x])]), c], name=name)

    # The same weights in both CNNs: the random stream is rewound.
    state = local.bit_generator.state
    out = [cnn("relu_cnn", relu)]
    local.bit_generator.state = state
    out.append(cnn("relu_cnn_quadratic", quadratic))

    g = Graph("relu_mlp", [1, 4, 4])
    x = flatten(g, "input")
    x = g.op("Gemm", [x, g.init("fc1.weight", weights(6, 16, fan_in=16)), g.init("fc1.bias", weights(6, fan_in=16) * 0.2)], name="fc1", transB=1)
    x = g.op("Relu", [x], name="relu")
    out.append(g.save(g.op("Gemm", [x, g.init("fc2.weight", weights(3, 6, fan_in=6)), g.init("fc2.bias", weights(3, fan_in=6) * 0.2)], name="fc2", transB=1)))
    # A per-image brightness spreads the classes (global pooling averages the noise away).
    images = (local.uniform(-0.5, 0.5, size=(8, 1, 8, 8)) + local.uniform(-1.0, 1.0, size=(8, 1, 1, 1))).astype(np.float32)

    # MNIST-shaped (for `eval`), from a stream of its own: strided convolution, ReLU, pooling,
    # dense layer to ten classes.
    digits = np.random.default_rng(20261205)
    g = Graph("relu_digits", [1, 28, 28])
    w = (digits.uniform(-1.0, 1.0, size=(4, 1, 5, 5)) * np.sqrt(3.0 / 25)).astype(np.float32)
    x = g.op("Conv", ["input", g.init("conv.weight", w), g.init("conv.bias", np.zeros(4, dtype=np.float32))], name="conv", kernel_shape=[5, 5], strides=[2, 2])
    x = g.op("Relu", [x], name="relu")
    x = flatten(g, g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2]))
    wf = (digits.uniform(-1.0, 1.0, size=(10, 144)) * np.sqrt(3.0 / 144)).astype(np.float32)
    out.append(g.save(g.op("Gemm", [x, g.init("fc.weight", wf), g.init("fc.bias", np.zeros(10, dtype=np.float32))], name="fc", transB=1)))
    return out, images, local


def write_relu_fixtures():
    """Writes the ReLU fixtures and `relu_references.json`: eight images per model (values in [-1.5, 1.5)),
    onnxruntime's outputs for each."""
    models, images, local = relu_models()
    references = {}
    for model in models:
        onnx.checker.check_model(model)
        filename = f"{model.graph.name}.onnx"
        path = os.path.join(OUT, filename)
        onnx.save(model, path)
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
        batch = images if dims == [1, 8, 8] else local.uniform(-1.0, 1.0, size=(8, *dims)).astype(np.float32)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        outputs = [session.run(None, {session.get_inputs()[0].name: image[None]})[0] for image in batch]
        references[filename] = {
            "input_shape": dims,
            "inputs": [[float(v) for v in image.reshape(-1)] for image in batch],
            "outputs": [[float(v) for v in output.reshape(-1)] for output in outputs],
        }
        print(f"{filename}: {os.path.getsize(path)} bytes")
    with open(os.path.join(OUT, "relu_references.json"), "w") as f:
        json.dump(references, f, indent=0)


def refusals():
    """Minimal graphs the importer must refuse: (model, node, op type, error kind)."""
    out = []

    def tiny(name, build, node, op_type, kind, batch="N", shape=(1, 4, 4)):
        g = Graph(name, list(shape), batch=batch)
        out.append((g.save(build(g), rank=4), node, op_type, kind))

    tiny("relu", lambda g: g.op("Relu", [conv(g, "input", 1, 2, 3, "conv", pads=[1] * 4)], name="relu"), "relu", "Relu", "UnsupportedOp")
    tiny("sigmoid", lambda g: g.op("Sigmoid", ["input"], name="sig"), "sig", "Sigmoid", "UnsupportedOp")
    tiny("maxpool", lambda g: g.op("MaxPool", ["input"], name="pool", kernel_shape=[2, 2], strides=[2, 2]), "pool", "MaxPool", "UnsupportedOp")
    tiny(
        "softmax_middle",
        lambda g: g.op("Unsqueeze", [g.op("Unsqueeze", [gemm(g, g.op("Softmax", [flatten(g, "input")], name="soft", axis=1), 16, 2, "fc"), g.init("a2", np.array([2], dtype=np.int64))]), g.init("a3", np.array([3], dtype=np.int64))]),
        "soft", "Softmax", "UnsupportedOp",
    )
    tiny(
        "dilation",
        lambda g: g.op("Conv", ["input", g.init("w", rand(2, 1, 2, 2))], name="conv", kernel_shape=[2, 2], dilations=[2, 2]),
        "conv", "Conv", "UnsupportedAttribute",
    )
    tiny(
        "non_square_kernel",
        lambda g: g.op("Conv", ["input", g.init("w", rand(2, 1, 1, 3))], name="conv", kernel_shape=[1, 3]),
        "conv", "Conv", "UnsupportedAttribute",
    )
    tiny(
        "unequal_strides",
        lambda g: g.op("Conv", ["input", g.init("w", rand(2, 1, 3, 3))], name="conv", kernel_shape=[3, 3], strides=[1, 2]),
        "conv", "Conv", "UnsupportedAttribute",
    )
    tiny(
        "cubic",
        lambda g: g.op("Mul", [g.op("Mul", ["input", "input"]), "input"], name="cube"),
        "cube", "Mul", "UnsupportedPattern",
    )
    tiny(
        "product_of_maps",
        lambda g: g.op("Mul", [conv(g, "input", 1, 1, 1, "c1"), conv(g, "input", 1, 1, 1, "c2")], name="prod"),
        "prod", "Mul", "UnsupportedPattern",
    )
    tiny(
        "pixel_constant",
        lambda g: g.op("Mul", ["input", g.init("mask", rand(1, 1, 4, 4))], name="mul"),
        "mul", "Mul", "UnsupportedPattern",
    )
    tiny(
        "pad",
        lambda g: g.op("Pad", ["input", g.init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64))], name="pad"),
        "pad", "Pad", "UnsupportedOp",
    )
    tiny(
        "layer_norm",
        lambda g: g.op("LayerNormalization", ["input", g.init("s", np.ones(4, np.float32)), g.init("b", np.zeros(4, np.float32))], name="ln", axis=-1),
        "ln", "LayerNormalization", "UnsupportedOp",
    )
    tiny(
        "ceil_mode",
        lambda g: g.op("AveragePool", ["input"], name="pool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        "pool", "AveragePool", "UnsupportedAttribute",
        shape=(1, 5, 5),
    )

    def custom(g):
        g.nodes.append(helper.make_node("Swish", ["input"], ["swish"], name="swish", domain="com.example"))
        return "swish"

    g = Graph("custom_domain", [1, 4, 4])
    m = g.save(custom(g), rank=4)
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    out.append((m, "swish", "com.example::Swish", "UnsupportedOp"))
    return out


def input_for(model):
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    return rng.uniform(0.0, 1.0, size=(1, *dims)).astype(np.float32)


def torch_models():
    """Two models written by torch.onnx exporters (legacy TorchScript and torch.export)."""
    import torch
    import torch.nn as nn

    torch.manual_seed(3)

    class Poly(nn.Module):
        def __init__(self, shape):
            super().__init__()
            self.a = nn.Parameter(torch.empty(shape).uniform_(0.05, 0.2))
            self.b = nn.Parameter(torch.empty(shape).uniform_(0.5, 1.0))
            self.c = nn.Parameter(torch.empty(shape).uniform_(-0.1, 0.1))

        def forward(self, x):
            return self.a * x**2 + self.b * x + self.c

    class LeNetLike(nn.Module):
        # Scalar ([1]-shaped) coefficients, odd channel counts, x.view(x.size(0), -1), Dropout.
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.act1 = Poly((1,))
            self.conv2 = nn.Conv2d(6, 5, 5)
            self.act2 = Poly((1,))
            self.drop = nn.Dropout(0.2)
            self.fc1 = nn.Linear(5 * 5 * 5, 7)
            self.act3 = Poly((1,))
            self.fc2 = nn.Linear(7, 10)

        def forward(self, x):
            x = nn.functional.avg_pool2d(self.act1(self.conv1(x)), 2)
            x = nn.functional.avg_pool2d(self.act2(self.conv2(x)), 2)
            x = self.drop(x.view(x.size(0), -1))
            return torch.softmax(self.fc2(self.act3(self.fc1(x))), dim=1)

    class Block(nn.Module):
        # A residual block with stride 2, groups 2, batch norms, a 1x1 projection shortcut.
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), Poly((1, 4, 1, 1)))
            self.conv1 = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, bias=False)
            self.bn1 = nn.BatchNorm2d(6)
            self.act1 = Poly((1, 6, 1, 1))
            self.conv2 = nn.Conv2d(6, 6, 3, padding=1, groups=2, bias=False)
            self.bn2 = nn.BatchNorm2d(6)
            self.shortcut = nn.Sequential(nn.Conv2d(4, 6, 1, stride=2, bias=False), nn.BatchNorm2d(6))
            self.act2 = Poly((1, 6, 1, 1))
            self.fc = nn.Linear(6, 10)

        def forward(self, x):
            x = self.stem(x)
            y = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
            y = self.act2(y + self.shortcut(x))
            return self.fc(y.mean((2, 3)))

    lenet = LeNetLike().eval()
    block = Block().eval()
    for m in block.modules():  # non-trivial running statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    path = os.path.join(OUT, "torch_legacy_lenet.onnx")
    torch.onnx.export(lenet, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=["probs"],
                      dynamic_axes={"input": {0: "N"}}, opset_version=OPSET, dynamo=False)
    path2 = os.path.join(OUT, "torch_dynamo_block.onnx")
    torch.onnx.export(block, (torch.zeros(1, 3, 16, 16),), path2, input_names=["input"], output_names=["logits"],
                      dynamic_shapes=[{0: torch.export.Dim("N")}], dynamo=True, external_data=False)
    strip_metadata(path2)
    return [("torch_legacy_lenet.onnx", onnx.load(path)), ("torch_dynamo_block.onnx", onnx.load(path2))]


def strip_metadata(path):
    """Drops the exporter's debugging metadata (stack traces with the exporting machine's file
    paths) from a model; the graph, its weights and its names are unchanged."""
    model = onnx.load(path)
    del model.metadata_props[:]
    del model.graph.metadata_props[:]
    model.graph.doc_string = ""
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    for value in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        del value.metadata_props[:]
        value.doc_string = ""
    for tensor in model.graph.initializer:
        del tensor.metadata_props[:]
    onnx.save(model, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--relu-only", action="store_true", help="write only the ReLU fixtures")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    write_relu_fixtures()
    if args.relu_only:
        return
    references = {}
    named = [(f"{m.graph.name}.onnx", m) for m in models()]
    if not args.no_torch:
        named += torch_models()
    for filename, model in named:
        onnx.checker.check_model(model)
        path = os.path.join(OUT, filename)
        onnx.save(model, path)
        image = input_for(model)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        output = session.run(None, {session.get_inputs()[0].name: image})[0]
        references[filename] = {
            "input_shape": list(image.shape[1:]),
            "input": [float(v) for v in image.reshape(-1)],
            "output": [float(v) for v in output.reshape(-1)],
        }
        print(f"{filename}: {os.path.getsize(path)} bytes")
    with open(os.path.join(OUT, "references.json"), "w") as f:
        json.dump(references, f, indent=0)
    expected = {}
    for model, node, op_type, kind in refusals():
        filename = f"refuse_{model.graph.name}.onnx"
        onnx.save(model, os.path.join(OUT, filename))
        expected[filename] = {"node": node, "op_type": op_type, "error": kind}
    # Weights stored in a separate file: refused before anything else is read.
    g = Graph("external_data", [1, 4, 4])
    model = g.save(conv(g, "input", 1, 2, 3, "conv"), rank=4)
    onnx.save(model, os.path.join(OUT, "refuse_external_data.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="refuse_external_data.onnx.data", size_threshold=0)
    expected["refuse_external_data.onnx"] = {"node": "conv.weight", "op_type": "", "error": "BadTensor"}
    with open(os.path.join(OUT, "refusals.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
