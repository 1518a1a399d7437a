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
  text   an Embedding of int64 ids (Shape(ids) beside the Gather), a
         two-layer LSTM, its last layer's final state h[-1] (the layers'
         states concatenated, (2, batch, H), then gathered), Linear
  mobile a MobileNet block: strided Conv, BatchNorm, Hardswish, a
         depthwise Conv with ReLU6, squeeze-and-excitation, a residual,
         adaptive average pooling
  unet   a U-Net step: Conv, MaxPool, Conv, ConvTranspose, Concat of the
         skip connection
  pixel  Conv, PixelShuffle (DepthToSpace), bilinear interpolate to a size
         (Resize whose sizes hold the batch, from Shape)
  enc    a TransformerEncoderLayer (2 heads, Gelu), mean over the
         sequence, Linear: the exporter's attention runs sequence-first
         and folds the heads into the batch, (seq, batch * heads,
         head_dim)
  enc2   a TransformerEncoder of two pre-norm layers (4 heads), its first
         token, Linear
  mhaw   nn.MultiheadAttention with need_weights: the weights averaged
         over the heads, (batch * heads, seq, seq) reshaped to (batch,
         heads, seq, seq)
  causal a TransformerEncoderLayer with a causal mask (is_causal)
  dec    a TransformerDecoderLayer: self-attention over 4 steps, cross-
         attention over a memory of 6
  gpt    token Embedding of int64 ids plus a learned position embedding, a
         causal pre-norm layer, a Linear head per position
  vit    a Conv patch embedding, flatten(2).transpose(1, 2), a class token
         expanded to the batch and concatenated, an encoder layer, the
         class token's Linear head
  sdpa   F.scaled_dot_product_attention (causal) of q, k, v cut from one
         Linear's output by view and permute
  bert   token and position (arange) Embeddings, LayerNorm, a two-layer
         encoder (4 heads, Gelu), the mean over the sequence, Linear
  masked an encoder layer with src_key_padding_mask, a second model
         input of bool (masked_pad.npy)

Each as <name>.onnx, <name>_x.npy (batch 3) and <name>_y.npy.

  train, train_bigru, train_gn, train_bn, train_enc
         the LSTM model, a bidirectional GRU one, Conv -> GroupNorm ->
         Gelu -> mean -> Linear, Conv -> BatchNorm -> ReLU -> Linear, and
         a TransformerEncoderLayer (2 heads) -> mean -> Linear
         (trained in PyTorch's train mode: batch statistics, the running
         ones updated), exported with optimize=False, which keeps
         every parameter an initializer the graph signature marks
         PARAMETER (the default optimize=True folds the LSTM's reordered
         gates into constants), and PyTorch's own training of each: 4
         full-batch SGD steps (lr 0.5) of MSE on 6 samples: <name>.onnx,
         <name>_x.npy, <name>_y.npy (the targets), <name>_losses.json
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn
from torch_transformers import (E, AttentionWeights, Decoder, Encoder,
                                Encoder2, ViT)

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


class Text(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 10, num_layers=2, batch_first=True)
        self.fc = nn.Linear(10, 2)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.embed(ids))
        return self.fc(h[-1])


class SqueezeExcite(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // 2, 1)
        self.expand = nn.Conv2d(channels // 2, channels, 1)

    def forward(self, x):
        w = nn.functional.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.expand(torch.relu(self.reduce(w))))


class Mobile(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1),
                                  nn.BatchNorm2d(8), nn.Hardswish())
        self.depthwise = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8),
            nn.ReLU6())
        self.excite = SqueezeExcite(8)
        self.pointwise = nn.Conv2d(8, 12, 1)
        self.head = nn.Linear(12, 5)

    def forward(self, x):
        y = self.stem(x)
        y = self.pointwise(y + self.excite(self.depthwise(y)))
        y = nn.functional.adaptive_avg_pool2d(y, (1, 1))
        return self.head(torch.flatten(y, 1))


class UNetStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = nn.Conv2d(1, 4, 3, padding=1)
        self.down2 = nn.Conv2d(4, 8, 3, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        a = torch.relu(self.down1(x))
        b = torch.relu(self.down2(nn.functional.max_pool2d(a, 2)))
        return self.out(torch.cat([a, self.up(b)], dim=1))


class Pixel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        return nn.functional.interpolate(self.shuffle(self.conv(x)),
                                         size=(5, 5), mode="bilinear",
                                         align_corners=True)


class Causal(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(E, 2, 32, dropout=0.0,
                                                batch_first=True)
        self.fc = nn.Linear(E, 3)

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.fc(self.layer(x, src_mask=mask, is_causal=True))


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(20, E)
        self.pos = nn.Parameter(torch.randn(1, 6, E) * 0.1)
        self.layer = nn.TransformerEncoderLayer(E, 2, 32, dropout=0.0,
                                                batch_first=True,
                                                norm_first=True)
        self.head = nn.Linear(E, 20)

    def forward(self, ids):
        mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
        return self.head(self.layer(self.tok(ids) + self.pos, src_mask=mask,
                                    is_causal=True))


class ScaledDotProduct(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(E, 3 * E)
        self.o = nn.Linear(E, E)

    def forward(self, x):
        b, s, _ = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, 4, 4).permute(2, 0, 3, 1, 4)
        y = nn.functional.scaled_dot_product_attention(q, k, v,
                                                       is_causal=True)
        return self.o(y.transpose(1, 2).reshape(b, s, E))


class TinyBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(20, E)
        self.pos = nn.Embedding(8, E)
        layer = nn.TransformerEncoderLayer(E, 4, 32, dropout=0.0,
                                           batch_first=True,
                                           activation="gelu")
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(E)
        self.fc = nn.Linear(E, 2)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        h = self.norm(self.tok(ids) + self.pos(pos))
        return self.fc(self.enc(h).mean(1))


class Masked(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(E, 2, 32, dropout=0.0,
                                                batch_first=True)
        self.fc = nn.Linear(E, 3)

    def forward(self, x, pad):
        return self.fc(self.layer(x, src_key_padding_mask=pad)[:, 0])


def export_predicting(name, model, inputs, suffixes=("x",)):
    """<name>.onnx with a symbolic batch in every input, the inputs as
    <name>_<suffix>.npy, and PyTorch's outputs as <name>_y.npy."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(model, tuple(inputs), os.path.join(out, name + ".onnx"),
                      input_names=list(suffixes),
                      dynamic_shapes=tuple({0: batch} for _ in inputs),
                      dynamo=True, external_data=False)
    for suffix, value in zip(suffixes, inputs):
        np.save(os.path.join(out, name + "_" + suffix + ".npy"), value.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, name + "_y.npy"), model(*inputs).numpy())


def export_trained(name, model, x, y):
    """<name>.onnx exported with optimize=False, x and the targets y, and
    PyTorch's own 4 full-batch SGD steps (lr 0.5) of MSE from it."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(model.eval(), (x,), os.path.join(out, name + ".onnx"),
                      input_names=["x"], dynamic_shapes=({0: batch},),
                      dynamo=True, optimize=False, external_data=False)
    np.save(os.path.join(out, name + "_x.npy"), x.numpy())
    np.save(os.path.join(out, name + "_y.npy"), y.numpy())
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(4):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with open(os.path.join(out, name + "_losses.json"), "w") as f:
        json.dump(losses, f)


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
    "text": (Text(), (7,)),
    "mobile": (Mobile(), (3, 16, 16)),
    "unet": (UNetStep(), (1, 8, 8)),
    "pixel": (Pixel(), (3, 4, 4)),
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
    x = (torch.randint(0, 30, (3,) + shape) if name == "text" else
         torch.randn((3,) + shape))
    export_predicting(name, model, [x])

class NormGelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.norm = nn.GroupNorm(2, 4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y = nn.functional.gelu(self.norm(self.conv(x)))
        return self.fc(y.mean(dim=(2, 3)))


training = {
    "train": (LastStep(nn.LSTM(5, 12, batch_first=True), 12), (7, 5)),
    "train_bigru": (LastStep(nn.GRU(5, 4, batch_first=True,
                                    bidirectional=True), 8), (7, 5)),
    "train_gn": (NormGelu(), (3, 5, 5)),
    "train_bn": (nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4),
                               nn.ReLU(), nn.Flatten(),
                               nn.Linear(4 * 6 * 6, 3)), (1, 8, 8)),
}
for name, (model, shape) in training.items():
    x, y = torch.randn((6,) + shape), torch.randn(6, 3)
    export_trained(name, model, x, y)


# The Transformer family (seeded anew, so that the files above stay as
# they were written).
torch.manual_seed(1)
transformers = {
    "enc2": (Encoder2(), (6, E)),
    "mhaw": (AttentionWeights(), (6, E)),
    "causal": (Causal(), (6, E)),
    "dec": (Decoder(), (6, E)),
    "gpt": (TinyGPT(), (6,)),
    "vit": (ViT(), (3, 8, 8)),
    "sdpa": (ScaledDotProduct(), (6, E)),
    "bert": (TinyBert(), (8,)),
}
for name, (model, shape) in transformers.items():
    model.eval()
    x = (torch.randint(0, 20, (3,) + shape) if name in ("gpt", "bert") else
         torch.randn((3,) + shape))
    export_predicting(name, model, [x])

model = Masked().eval()
x = torch.randn(3, 6, E)
pad = torch.zeros(3, 6, dtype=torch.bool)
pad[1, 4:] = True
pad[2, 5:] = True
export_predicting("masked", model, [x, pad], ("x", "pad"))

model = Encoder(8, 16)
x, y = torch.randn(6, 5, 8), torch.randn(6, 3)
export_trained("train_enc", model, x, y)
