"""Exports PyTorch models with torch.onnx.export(dynamo=True), PyTorch's
exporter since 2.9 (torch.export, then onnxscript; ONNX opset 20 and IR 10
by default, the batch a symbolic dimension), and saves an input batch and
PyTorch's own outputs for it: references kiln did not compute.

The tests' environment has neither a recent torch nor onnxscript (torch is
about 5 GB), so the files are committed (torch-dynamo/); regenerate them in
a throwaway environment:

  python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch onnxscript
  /tmp/tv/bin/python test/e2e/Inputs/generate_torch_dynamo_fixtures.py \\
      test/e2e/Inputs/torch-dynamo

(written with torch 2.15.0, onnxscript 0.7.2, onnx 1.23.2)

  mlp    Flatten, Linear, ReLU, Linear (Reshape of the batch, Gemm)
  cnn    the tutorial's CNN: Conv, ReLU, MaxPool twice, Flatten, Linear
  res    a residual block: Conv, BatchNorm (folded into the Conv by the
         exporter), ReLU, skip, mean over the image, Linear
  up     Conv, GroupNorm (the exporter's InstanceNormalization of a
         reshape), Mish, bilinear Upsample (Resize), tanh-Gelu, amax over
         the image (ReduceMax-20), Linear
  lstm   LSTM, its last step, Linear: zero states Expand-ed to (1, batch,
         H) from Shape(x), the seq-first LSTM between transposes, y[:, -1]
         a Gather along axis 1 of the batched output
  gru    the same with a GRU
  bigru  a bidirectional GRU, its last step, Linear
  enc    a TransformerEncoderLayer (2 heads, Gelu), mean over the
         sequence, Linear: the exporter's attention reshapes the batch
         with the heads (2 * batch), which kiln's dynamic batch does not
         follow; it compiles with the batch fixed (--input-shape)

Each as <name>.onnx, <name>_x.npy (batch 3) and <name>_y.npy.
"""
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn

warnings.filterwarnings("ignore")
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
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(x + self.bn2(self.conv2(y)))
        return self.fc(y.mean(dim=(2, 3)))


class Upsampling(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(4, 8)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear",
                              align_corners=False)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = self.up(nn.functional.mish(self.norm(self.conv(x))))
        y = nn.functional.gelu(y, approximate="tanh")
        return self.fc(torch.amax(y, dim=(2, 3)))


class LastStep(nn.Module):
    def __init__(self, rnn, features):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(features, 3)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            16, 2, 32, dropout=0.0, batch_first=True, activation="gelu")
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.layer(x).mean(dim=1))


models = {
    "mlp": (nn.Sequential(nn.Flatten(), nn.Linear(20, 16), nn.ReLU(),
                          nn.Linear(16, 4)), (4, 5)),
    "cnn": (nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3),
        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 5 * 5, 10)),
        (1, 28, 28)),
    "res": (Residual(), (3, 8, 8)),
    "up": (Upsampling(), (3, 6, 6)),
    "lstm": (LastStep(nn.LSTM(5, 12, batch_first=True), 12), (7, 5)),
    "gru": (LastStep(nn.GRU(5, 12, batch_first=True), 12), (7, 5)),
    "bigru": (LastStep(nn.GRU(5, 6, batch_first=True, bidirectional=True),
                       12), (7, 5)),
    "enc": (Encoder(), (6, 16)),
}
for name, (model, shape) in models.items():
    model.eval()
    # Statistics that are not the initial zeros and ones.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
    x = torch.randn((3,) + shape)
    batch = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(model, (x,), os.path.join(out, name + ".onnx"),
                      input_names=["x"], dynamic_shapes=({0: batch},),
                      dynamo=True, external_data=False)
    np.save(os.path.join(out, name + "_x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, name + "_y.npy"), model(x).numpy())
