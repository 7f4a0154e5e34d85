#!/usr/bin/env python3
"""Masked fine-tuning of a PyTorch model with the sub-block masks the planner computed
(`spencnn` prune), then export back to ONNX: the loop docs/onnx.md shows, run on one of the
models of onnx_table_models.py.

    venv/bin/pip install safetensors
    venv/bin/python spencnn/tools/onnx_masked_finetune.py --mnist DIR --dir OUT --name lenet_authors \
        --masks masks.safetensors [--epochs 1]

Reads OUT/NAME.pt (the trained state dict), writes OUT/NAME_finetuned.onnx and its
onnxruntime logits OUT/NAME_finetuned.ort.json.
"""

import argparse
import json
import os

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from onnx_table_models import MODELS, prepare, read_idx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--masks", required=True)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(2)
    cls, side, channels, _ = MODELS[args.name]
    model = cls()
    model.load_state_dict(torch.load(os.path.join(args.dir, f"{args.name}.pt")))
    images = prepare(read_idx(os.path.join(args.mnist, "train-images-idx3-ubyte")), side, channels)
    labels = torch.from_numpy(read_idx(os.path.join(args.mnist, "train-labels-idx1-ubyte")).astype(np.int64))
    test = prepare(read_idx(os.path.join(args.mnist, "t10k-images-idx3-ubyte")), side, channels)
    test_labels = read_idx(os.path.join(args.mnist, "t10k-labels-idx1-ubyte")).astype(np.int64)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), batch_size=128, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)

    # --- the loop of docs/onnx.md ---
    masks = load_file(args.masks)                      # {parameter name: 0/1 tensor}
    params = dict(model.named_parameters())

    def apply_masks():
        with torch.no_grad():
            for name, mask in masks.items():
                params[name].mul_(mask)

    apply_masks()
    model.train()
    for _ in range(args.epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            apply_masks()                              # pruned weights stay exactly zero
    model.eval()
    path = os.path.join(args.dir, f"{args.name}_finetuned.onnx")
    torch.onnx.export(model, test[:1], path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}}, dynamo=False, do_constant_folding=False)
    # --- end of the loop ---

    zeros = {name: int((params[name] == 0).sum()) for name in masks}
    pruned = {name: int((mask == 0).sum()) for name, mask in masks.items()}
    assert all(zeros[n] >= pruned[n] for n in masks), (zeros, pruned)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input": test.numpy()})[0]
    accuracy = float((logits.argmax(1) == test_labels).mean())
    with open(os.path.join(args.dir, f"{args.name}_finetuned.ort.json"), "w") as f:
        json.dump({"logits": logits[:1000].tolist(), "labels": test_labels[:1000].tolist()}, f)
    print(json.dumps({"accuracy": accuracy, "zero_weights": zeros, "masked": pruned}))


if __name__ == "__main__":
    main()
