"""Exports PyTorch models to ONNX with torch.onnx.export (Debian's
python3-torch, run with /usr/bin/python3) and saves an input batch and
PyTorch's own outputs for it: references kiln did not compute.

  mlp     Flatten, Linear(784, 64), ReLU, Linear(64, 10)
  cnn     the tutorial's CNN: Conv(1->32, 3) ReLU MaxPool(2), Conv(32->64, 3)
          ReLU MaxPool(2), Flatten, Linear(1600, 10)
  resnet  a residual block: Conv BN ReLU Conv BN + skip, ReLU, global
          average pool, Linear
  embed   nn.Embedding(50, 8) over int64 ids (N, 6), mean over the steps,
          Linear: Gather with ids computed at run time
  view    Conv, ReLU, then `y.view(y.size(0), -1)` (exported as Shape ->
          Gather -> Unsqueeze -> Concat -> Reshape of the dynamic batch)
          and Linear
Each as <name>.onnx (batch dimension symbolic), <name>_x.npy (batch 5) and
<name>_y.npy.

  classify  outputs of other element types: Linear over a leaky
            `torch.where(x > 0, x, 0.1 * x)` (Greater, Where), then the
            logits, their argmax (int64), `logits > 0` (bool) and
            `(3 * logits).long()` (Cast, truncation): classify_<output>.npy
"""
import os
import sys

import numpy as np
import torch
from torch import nn

out = sys.argv[1]
torch.manual_seed(0)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = torch.relu(x + y)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


class ViewFlatten(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.head = nn.Linear(4 * 10 * 10, 10)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.head(y.view(y.size(0), -1))


class EmbeddingBag(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, ids):
        return self.head(self.embed(ids).mean(dim=1))


models = {
    "embed": (EmbeddingBag(), (5, 6)),
    "view": (ViewFlatten(), (5, 1, 12, 12)),
    "mlp": (nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(),
                          nn.Linear(64, 10)), (5, 1, 28, 28)),
    "cnn": (nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1600, 10)), (5, 1, 28, 28)),
    "resnet": (Residual(), (5, 3, 12, 12)),
}
for name, (model, shape) in models.items():
    model.eval()
    # Running statistics that are not the identity, so that BN matters.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    x = (torch.randint(0, 50, shape) if name == "embed" else
         torch.randn(*shape))
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(out, name + ".onnx"),
                      input_names=["x"], output_names=["y"], opset_version=13,
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    np.save(os.path.join(out, name + "_x.npy"), x.numpy())
    np.save(os.path.join(out, name + "_y.npy"), y.numpy())


class Classify(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(6, 4)

    def forward(self, x):
        logits = self.linear(torch.where(x > 0, x, 0.1 * x))
        return (logits, logits.argmax(dim=1), logits > 0,
                (3 * logits).long())


model, x = Classify().eval(), torch.randn(5, 6)
names = ["logits", "cls", "positive", "trunc"]
with torch.no_grad():
    outputs = model(x)
torch.onnx.export(model, x, os.path.join(out, "classify.onnx"),
                  input_names=["x"], output_names=names, opset_version=13,
                  dynamic_axes={n: {0: "N"} for n in ["x"] + names})
np.save(os.path.join(out, "classify_x.npy"), x.numpy())
for name, value in zip(names, outputs):
    np.save(os.path.join(out, "classify_" + name + ".npy"), value.numpy())
