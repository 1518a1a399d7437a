"""Writes the PyTorch side of onnx_torch_train.test: fresh CNNs with
BatchNorm exported the way README.md says a model to train is exported
(BatchNorm kept, no constant folding, no merged initializers), and the
losses of three SGD steps that PyTorch takes on one batch in train mode
(batch statistics): references kiln did not compute.

The tests' environment has no recent torch (about 5 GB; Debian's 1.13
merges equal initializers whatever the flags), so the files are committed
(torch-train/); regenerate them in a throwaway environment:

  python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch onnx
  /tmp/tv/bin/python test/e2e/Inputs/generate_torch_train_fixtures.py \\
      test/e2e/Inputs/torch-train

(written with torch 2.15.0, onnx 1.23.2)

  resnet         stem Conv, two Conv-BatchNorm pairs, a skip, mean over the
                 image, Linear
  mbconv         MobileNetV3's block: Conv-BatchNorm-Hardswish, a
                 depthwise Conv-BatchNorm-ReLU, squeeze-and-excitation
                 (mean, 1x1 Conv, ReLU, 1x1 Conv, Hardsigmoid, Mul), a
                 1x1 Conv-BatchNorm, a skip, mean, Linear
  resnet_merged  resnet exported without keep_initializers_as_inputs: the
                 exporter merges each fresh BatchNorm's bias with its
                 running mean (zeros) and its scale with its running
                 variance (ones), which kiln refuses to train
  NAME_losses.txt  PyTorch's three losses, one per line
  x.npy, t.npy   the batch: 6 images (3, 10, 10) and class indices
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = torch.relu(x + y)
        return self.head(y.mean(dim=(2, 3)))


class MBConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.Hardswish())
        self.dw = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
            nn.BatchNorm2d(8), nn.ReLU())
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 4, 1),
                                nn.ReLU(), nn.Conv2d(4, 8, 1),
                                nn.Hardsigmoid())
        self.project = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False),
                                     nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(x)
        y = self.project(y * self.se(y))
        return self.head((x + y).mean(dim=(2, 3)))


x = torch.randn(6, 3, 10, 10)
t = torch.randint(0, 5, (6,))
np.save(os.path.join(out, "x.npy"), x.numpy())
np.save(os.path.join(out, "t.npy"), t.numpy().astype(np.int64))


def export(model, name, keep):
    torch.onnx.export(model, (x,), os.path.join(out, name + ".onnx"),
                      dynamo=False, input_names=["x"], output_names=["y"],
                      opset_version=17,
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False,
                      keep_initializers_as_inputs=keep)


for name, model in [("resnet", Residual()), ("mbconv", MBConv())]:
    model.eval()
    export(model, name, keep=True)
    if name == "resnet":
        export(model, "resnet_merged", keep=False)
    model.train()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        sgd.zero_grad()
        loss = nn.functional.cross_entropy(model(x), t)
        loss.backward()
        sgd.step()
        losses.append(loss.item())
    with open(os.path.join(out, name + "_losses.txt"), "w") as f:
        f.write("\n".join(repr(v) for v in losses) + "\n")
