"""Exports small, randomly initialized Hugging Face `transformers` models
(built from their configs: nothing is downloaded) with PyTorch's dynamo
exporter (torch.onnx.export(dynamo=True), opset 20, the batch symbolic),
and saves an input batch and the models' own outputs for it: references
kiln did not compute.

The tests' environment has neither a recent torch nor transformers, so
the files are committed (hf-transformers/); regenerate them in a throwaway
environment:

  python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch onnxscript transformers
  /tmp/tv/bin/python test/e2e/Inputs/generate_hf_fixtures.py \\
      test/e2e/Inputs/hf-transformers

(written with torch 2.15.0, onnxscript 0.7.2, transformers 5.25.0)

  bert    BertModel (2 layers, 2 heads): token, position and segment
          Embeddings, the attention mask the library builds (a bool
          tensor Expand-ed to the batch), last_hidden_state
  distil  DistilBertModel (2 layers, 2 heads), last_hidden_state
  gpt2    GPT2LMHeadModel (2 layers, 2 heads): the ids reshaped
          (view(-1, seq)), a causal mask, logits
  vit     ViTModel (2 layers, 2 heads) on 16x16 images in 4x4 patches, a
          class token, last_hidden_state

Each as <name>.onnx, <name>_x.npy (batch 3; int64 ids or float images)
and <name>_y.npy. Then bert, distil and gpt2 again, given an
attention_mask input beside the ids (two of the three samples padded):
<name>_mask.onnx, <name>_mask_x.npy (ids), <name>_mask_m.npy (the int64
mask) and <name>_mask_y.npy. The library picks each sample's mask row
with torch.arange(batch_size) (Range(0, batch, 1) and a GatherND).
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
from transformers import (BertConfig, BertModel, DistilBertConfig,
                          DistilBertModel, GPT2Config, GPT2LMHeadModel,
                          LlamaConfig, LlamaForCausalLM, RobertaConfig,
                          RobertaModel, ViTConfig, ViTModel)

warnings.filterwarnings("ignore")
out = sys.argv[1]
torch.manual_seed(0)


class Masked(torch.nn.Module):
    """One field of the model's output, given ids and an attention mask."""

    def __init__(self, model, field):
        super().__init__()
        self.model = model
        self.field = field

    def forward(self, ids, mask):
        return getattr(self.model(input_ids=ids, attention_mask=mask),
                       self.field)


class Output(torch.nn.Module):
    """One field of the model's output as a tensor."""

    def __init__(self, model, field):
        super().__init__()
        self.model = model
        self.field = field

    def forward(self, x):
        return getattr(self.model(x), self.field)


H = dict(layers=2, heads=2, hidden=16, inner=32)
models = {
    "bert": (Output(BertModel(BertConfig(
        vocab_size=40, hidden_size=H["hidden"],
        num_hidden_layers=H["layers"], num_attention_heads=H["heads"],
        intermediate_size=H["inner"], max_position_embeddings=16)),
        "last_hidden_state"), (8,)),
    "distil": (Output(DistilBertModel(DistilBertConfig(
        vocab_size=40, dim=H["hidden"], n_layers=H["layers"],
        n_heads=H["heads"], hidden_dim=H["inner"],
        max_position_embeddings=16)), "last_hidden_state"), (8,)),
    "gpt2": (Output(GPT2LMHeadModel(GPT2Config(
        vocab_size=40, n_embd=H["hidden"], n_layer=H["layers"],
        n_head=H["heads"], n_positions=16)), "logits"), (8,)),
    "vit": (Output(ViTModel(ViTConfig(
        image_size=16, patch_size=4, num_channels=3,
        hidden_size=H["hidden"], num_hidden_layers=H["layers"],
        num_attention_heads=H["heads"], intermediate_size=H["inner"])),
        "last_hidden_state"), (3, 16, 16)),
}
def export(stem, model, inputs, optimize=True):
    """<stem>.onnx with a symbolic batch, and the model's output for the
    inputs: <stem>_y.npy. One input is "x" (<stem>_x.npy); two are the ids
    and the attention mask ("ids", "mask": <stem>_x.npy, <stem>_m.npy)."""
    stem = os.path.join(out, stem)
    names, suffixes = (["x"], ["x"]) if len(inputs) == 1 else (
        ["ids", "mask"], ["x", "m"])
    batch = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(model.eval(), tuple(inputs), stem + ".onnx",
                      input_names=names,
                      dynamic_shapes=tuple({0: batch} for _ in inputs),
                      dynamo=True, optimize=optimize, external_data=False)
    for suffix, value in zip(suffixes, inputs):
        np.save(stem + "_" + suffix + ".npy", value.numpy())
    with torch.no_grad():
        np.save(stem + "_y.npy", model(*inputs).numpy())


for name, (model, shape) in models.items():
    x = (torch.randn((3,) + shape) if name == "vit" else
         torch.randint(0, 40, (3,) + shape))
    export(name, model, [x])

# The same models (their weights unchanged) with an attention mask.
mask = torch.ones(3, 8, dtype=torch.int64)
mask[1, 5:] = 0
mask[2, 6:] = 0
for name in ("bert", "distil", "gpt2"):
    model = Masked(models[name][0].model, models[name][0].field)
    export(name + "_mask", model, [torch.randint(0, 40, (3, 8)), mask])

# RoBERTa, made last so that the fixtures above keep their values.
roberta = RobertaModel(RobertaConfig(
    vocab_size=40, hidden_size=H["hidden"], num_hidden_layers=H["layers"],
    num_attention_heads=H["heads"], intermediate_size=H["inner"],
    max_position_embeddings=20)).eval()
ids = torch.randint(2, 40, (3, 8))
export("roberta", Output(roberta, "last_hidden_state"), [ids])
padded = torch.where(mask.bool(), ids, torch.ones_like(ids))
export("roberta_mask", Masked(roberta, "last_hidden_state"), [padded, mask])

# A Llama, made last too.
llama = LlamaForCausalLM(LlamaConfig(
    vocab_size=40, hidden_size=H["hidden"], intermediate_size=H["inner"],
    num_hidden_layers=H["layers"], num_attention_heads=H["heads"],
    num_key_value_heads=1, max_position_embeddings=32))
ids = torch.randint(0, 40, (3, 8))
export("llama", Output(llama, "logits"), [ids])
export("llama_mask", Masked(llama, "logits"), [ids, mask])


class FirstToken(torch.nn.Module):
    """A linear head on the first token's last hidden state."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.head = torch.nn.Linear(H["hidden"], 3)

    def forward(self, ids, mask):
        states = self.model(input_ids=ids, attention_mask=mask)
        return self.head(states.last_hidden_state[:, 0])


no_dropout = dict(vocab_size=40, hidden_size=H["hidden"],
                  num_hidden_layers=H["layers"],
                  num_attention_heads=H["heads"],
                  intermediate_size=H["inner"], hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0)
for name, encoder in (
        ("bert", lambda: BertModel(BertConfig(max_position_embeddings=16,
                                              **no_dropout))),
        ("roberta", lambda: RobertaModel(RobertaConfig(
            max_position_embeddings=20, **no_dropout)))):
    model = FirstToken(encoder())
    ids = torch.randint(2, 40, (6, 8))
    pad = torch.ones(6, 8, dtype=torch.int64)
    pad[1, 5:] = 0
    pad[4, 3:] = 0
    ids = torch.where(pad.bool(), ids, torch.ones_like(ids))
    targets = torch.randn(6, 3)
    stem = os.path.join(out, name + "_cls")
    export(name + "_cls", model, [ids, pad], optimize=False)
    np.save(stem + "_t.npy", targets.numpy())
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(4):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(ids, pad), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with open(stem + "_losses.json", "w") as f:
        json.dump(losses, f)
