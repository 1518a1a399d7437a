"""Exports PyTorch Transformer models with the TorchScript exporter
(torch.onnx.export, opset 17, a symbolic batch; Debian's python3-torch,
run with /usr/bin/python3) for onnx_torch_attention.test, and saves an
input batch and PyTorch's own outputs for it: references kiln did not
compute. The exporter writes the attention's (seq, batch * heads,
head_dim) reshapes from Shape arithmetic: Shape(x)[1] * heads.

  enc2    a TransformerEncoder of two pre-norm layers (4 heads), its
          first token, Linear
  mhaw    nn.MultiheadAttention with need_weights (averaged over heads)
  dec     a TransformerDecoderLayer over a memory
  gpt     token ids through an Embedding plus a learned position
          embedding, a layer under a causal mask, a Linear head
  vit     Conv patches, a class token expanded to the batch, a layer
  seqmha  a sequence-first nn.MultiheadAttention between transposes
  train   a TransformerEncoderLayer -> mean -> Linear exported for
          training (no constant folding: every parameter an initializer)
          and PyTorch's own 4 full-batch SGD steps (lr 0.5) of MSE on 6
          samples: train.onnx, train_x.npy, train_y.npy, train_losses.json
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn
from torch_transformers import (E, AttentionWeights, Decoder, Encoder,
                                Encoder2, SeqFirst, ViT)

warnings.filterwarnings("ignore")
out = sys.argv[1]
torch.manual_seed(0)


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(20, E)
        self.pos = nn.Parameter(torch.randn(1, 6, E) * 0.1)
        self.layer = nn.TransformerEncoderLayer(E, 2, 32, dropout=0.0,
                                                batch_first=True,
                                                norm_first=True)
        self.head = nn.Linear(E, 20)
        self.register_buffer(
            "mask", nn.Transformer.generate_square_subsequent_mask(6))

    def forward(self, ids):
        return self.head(self.layer(self.tok(ids) + self.pos,
                                    src_mask=self.mask))


models = {
    "enc2": (Encoder2(), (6, E)),
    "mhaw": (AttentionWeights(), (6, E)),
    "dec": (Decoder(), (6, E)),
    "gpt": (TinyGPT(), (6,)),
    "vit": (ViT(), (3, 8, 8)),
    "seqmha": (SeqFirst(), (6, E)),
}
for name, (model, shape) in models.items():
    model.eval()
    x = (torch.randint(0, 20, (3,) + shape) if name == "gpt" else
         torch.randn((3,) + shape))
    torch.onnx.export(model, (x,), os.path.join(out, name + ".onnx"),
                      input_names=["x"], dynamic_axes={"x": {0: "batch"}},
                      opset_version=17)
    np.save(os.path.join(out, name + "_x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, name + "_y.npy"), model(x).numpy())

model = Encoder(8, 16, activation="relu")
x, y = torch.randn(6, 5, 8), torch.randn(6, 3)
torch.onnx.export(model, (x,), os.path.join(out, "train.onnx"),
                  input_names=["x"], dynamic_axes={"x": {0: "batch"}},
                  opset_version=17, do_constant_folding=False,
                  training=torch.onnx.TrainingMode.TRAINING)
np.save(os.path.join(out, "train_x.npy"), x.numpy())
np.save(os.path.join(out, "train_y.npy"), y.numpy())
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
losses = []
for _ in range(4):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
with open(os.path.join(out, "train_losses.json"), "w") as f:
    json.dump(losses, f)
