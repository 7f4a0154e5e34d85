#!/usr/bin/env python3
"""Trains the small MNIST models of docs/onnx.md's table with PyTorch, exports them to ONNX and
writes onnxruntime's logits for the test digits, so the encrypted engine can be compared with
an independent runtime.

    venv/bin/python spencnn/tools/onnx_table_models.py --mnist DIR --out OUT [--epochs 3] \
        [--train-images 60000] [--only NAME ...]

DIR holds the four standard MNIST idx files (gzipped or not). OUT receives, per model,
`NAME.onnx`, `NAME.pt` (the state dict) and `NAME.ort.json` (onnxruntime logits of the first
--reference test digits), and
`t10k-images-32x32-idx3-ubyte` (the test digits padded to 32x32, for the 3x32x32 model: a grey
image feeds every channel). Training is seeded; a few epochs on 2 CPU cores take minutes.
"""

import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                data = f.read()
            magic, = struct.unpack(">I", data[:4])
            ndim = magic & 0xFF
            dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
            return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)
    raise FileNotFoundError(path)


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 | array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.astype(np.uint8).tobytes())


class Poly(nn.Module):
    """a*x**2 + b*x + c, coefficients shared ([1]) or per channel."""

    def __init__(self, shape=(1,)):
        super().__init__()
        self.a = nn.Parameter(torch.full(shape, 0.1))
        self.b = nn.Parameter(torch.ones(shape))
        self.c = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        return self.a * x**2 + self.b * x + self.c


def pc(c):
    return (1, c, 1, 1)


class LeNetAuthors(nn.Module):
    """The SpENCNN authors' LeNet: conv 1->64 k5 pad 2, scalar activations, AvgPool 2,
    conv 64->32 k5 groups 4, AvgPool 10 (a global average here), Gemm 32->32, act, Gemm 32->10."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1, self.act1 = nn.Conv2d(1, 64, 5, padding=2), nn.BatchNorm2d(64), Poly()
        self.conv2, self.bn2, self.act2 = nn.Conv2d(64, 32, 5, groups=4), nn.BatchNorm2d(32), Poly()
        self.fc1, self.bn3, self.act3 = nn.Linear(32, 32), nn.BatchNorm1d(32), Poly()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.avg_pool2d(self.act1(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(self.act2(self.bn2(self.conv2(x))), 10)
        return self.fc2(self.act3(self.bn3(self.fc1(x.flatten(1)))))


class StridedOdd(nn.Module):
    """Stride-2 convolutions, odd channel counts (7, 13), a padded 3x3 average pool that does
    not count the padding."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1, self.act1 = nn.Conv2d(1, 7, 3, stride=2, padding=1), nn.BatchNorm2d(7), Poly(pc(7))
        self.conv2, self.bn2, self.act2 = nn.Conv2d(7, 13, 3, stride=2, padding=1), nn.BatchNorm2d(13), Poly(pc(13))
        self.fc = nn.Linear(13 * 4 * 4, 10)

    def forward(self, x):
        x = self.act2(self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))
        x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        return self.fc(x.view(x.size(0), -1))


class Groups3(nn.Module):
    """Convolutions in 3 groups (group sizes 4 -> 8 and 8 -> 4: the group count divides no
    power-of-two slot count)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1, self.act1 = nn.Conv2d(1, 12, 5, padding=2), nn.BatchNorm2d(12), Poly(pc(12))
        self.conv2, self.bn2, self.act2 = nn.Conv2d(12, 24, 3, padding=1, groups=3), nn.BatchNorm2d(24), Poly(pc(24))
        self.conv3, self.bn3, self.act3 = nn.Conv2d(24, 12, 3, groups=3), nn.BatchNorm2d(12), Poly(pc(12))
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = F.avg_pool2d(self.act1(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(self.act2(self.bn2(self.conv2(x))), 2)
        x = self.act3(self.bn3(self.conv3(x)))
        return self.fc(x.mean((2, 3)))


class Residual(nn.Module):
    """A stem, an identity residual block and a stride-2 block with a 1x1 projection shortcut."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), Poly(pc(8)))
        self.b1 = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), Poly(pc(8)),
                                nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8))
        self.act1 = Poly(pc(8))
        self.b2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), Poly(pc(16)),
                                nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
        self.short = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        self.act2 = Poly(pc(16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.avg_pool2d(self.stem(x), 2)
        x = self.act1(x + self.b1(x))
        x = self.act2(self.short(x) + self.b2(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class Rgb32(nn.Module):
    """A 3x32x32 input with per-channel normalisation in the graph (client-side preprocessing)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.13, 0.13, 0.13]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.31, 0.30, 0.32]).view(1, 3, 1, 1))
        self.conv1, self.bn1, self.act1 = nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), Poly(pc(16))
        self.conv2, self.bn2, self.act2 = nn.Conv2d(16, 32, 3, padding=1, groups=2), nn.BatchNorm2d(32), Poly(pc(32))
        self.conv3, self.bn3, self.act3 = nn.Conv2d(32, 32, 3), nn.BatchNorm2d(32), Poly(pc(32))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = F.avg_pool2d(self.act1(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(self.act2(self.bn2(self.conv2(x))), 2)
        x = self.act3(self.bn3(self.conv3(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


MODELS = {
    "lenet_authors": (LeNetAuthors, 28, 1, "legacy"),
    "strided_odd": (StridedOdd, 28, 1, "dynamo"),
    "groups3": (Groups3, 28, 1, "legacy"),
    "residual": (Residual, 28, 1, "dynamo"),
    "rgb32": (Rgb32, 32, 3, "legacy"),
}


def batches(images, labels, size, shuffle, gen):
    order = torch.randperm(len(images), generator=gen) if shuffle else torch.arange(len(images))
    for i in range(0, len(images), size):
        idx = order[i:i + size]
        yield images[idx], labels[idx]


def prepare(raw, side, channels):
    x = torch.from_numpy(raw.astype(np.float32) / 255.0).unsqueeze(1)
    if side == 32:
        x = F.pad(x, (2, 2, 2, 2))
    return x.expand(-1, channels, -1, -1).contiguous()


def train(name, model, train_x, train_y, epochs):
    gen = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * ((len(train_x) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    for epoch in range(epochs):
        model.train()
        start, correct, seen = time.time(), 0, 0
        for xb, yb in batches(train_x, train_y, 128, True, gen):
            shift = torch.randint(-1, 2, (2,), generator=gen).tolist()
            xb = torch.roll(xb, shifts=shift, dims=(2, 3))
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            correct += (out.argmax(1) == yb).sum().item()
            seen += len(yb)
        print(f"{name} epoch {epoch + 1}: train accuracy {correct / seen:.4f} ({time.time() - start:.0f} s)", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=60000,
                        help="train on the first N training digits (all 60000 by default)")
    parser.add_argument("--reference", type=int, default=1000)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    raw_train = read_idx(os.path.join(args.mnist, "train-images-idx3-ubyte"))
    labels_train = torch.from_numpy(read_idx(os.path.join(args.mnist, "train-labels-idx1-ubyte")).astype(np.int64))
    raw_train, labels_train = raw_train[:args.train_images], labels_train[:args.train_images]
    raw_test = read_idx(os.path.join(args.mnist, "t10k-images-idx3-ubyte"))
    labels_test = read_idx(os.path.join(args.mnist, "t10k-labels-idx1-ubyte")).astype(np.int64)
    write_idx(os.path.join(args.out, "t10k-images-32x32-idx3-ubyte"), np.pad(raw_test, ((0, 0), (2, 2), (2, 2))))
    summary = {}
    for name, (cls, side, channels, exporter) in MODELS.items():
        if args.only and name not in args.only:
            continue
        torch.manual_seed(1)
        model = cls()
        train(name, model, prepare(raw_train, side, channels), labels_train, args.epochs)
        model.eval()
        test_x = prepare(raw_test, side, channels)
        with torch.no_grad():
            accuracy = float((model(test_x).argmax(1).numpy() == labels_test).mean())
        path = os.path.join(args.out, f"{name}.onnx")
        example = test_x[:1]
        torch.save(model.state_dict(), os.path.join(args.out, f"{name}.pt"))
        if exporter == "legacy":
            # No constant folding: initializers keep the parameter names (conv1.weight, ...), so
            # pruning masks name the PyTorch parameters directly.
            torch.onnx.export(model, example, path, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}}, opset_version=17, dynamo=False,
                              do_constant_folding=False)
        else:
            torch.onnx.export(model, (example,), path, input_names=["input"], output_names=["logits"],
                              dynamic_shapes=[{0: torch.export.Dim("N")}], dynamo=True, external_data=False)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        logits = session.run(None, {"input": test_x[:args.reference].numpy()})[0]
        all_logits = session.run(None, {"input": test_x.numpy()})[0]
        ort_accuracy = float((all_logits.argmax(1) == labels_test).mean())
        with open(os.path.join(args.out, f"{name}.ort.json"), "w") as f:
            json.dump({"logits": logits.tolist(), "labels": labels_test[:args.reference].tolist()}, f)
        summary[name] = {"torch_accuracy": accuracy, "onnxruntime_accuracy": ort_accuracy, "bytes": os.path.getsize(path)}
        print(name, summary[name], flush=True)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
