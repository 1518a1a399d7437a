"""PyTorch Transformer modules that both exporters' fixture generators
export (generate_torch_dynamo_fixtures.py under a recent torch,
make_torch_attention.py under Debian's): plain nn.Module code that both
torch versions run."""
import torch
from torch import nn

E = 16


class Encoder(nn.Module):
    """A TransformerEncoderLayer (2 heads), the mean over the sequence,
    Linear."""

    def __init__(self, features=16, hidden=32, activation="gelu"):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            features, 2, hidden, dropout=0.0, batch_first=True,
            activation=activation)
        self.fc = nn.Linear(features, 3)

    def forward(self, x):
        return self.fc(self.layer(x).mean(dim=1))


class Encoder2(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(E, 4, 32, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.fc = nn.Linear(E, 3)

    def forward(self, x):
        return self.fc(self.enc(x)[:, 0])


class AttentionWeights(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(E, 2, batch_first=True)

    def forward(self, x):
        y, w = self.mha(x, x, x, need_weights=True)
        return y + w.sum(dim=-1, keepdim=True)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(E, 2, 32, dropout=0.0,
                                                batch_first=True)
        self.mem = nn.Linear(E, E)

    def forward(self, x):
        return self.layer(x[:, :4], self.mem(x))


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, E, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, E) * 0.1)
        self.layer = nn.TransformerEncoderLayer(E, 2, 32, dropout=0.0,
                                                batch_first=True)
        self.head = nn.Linear(E, 5)

    def forward(self, x):
        p = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(x.shape[0], -1, -1), p], dim=1)
        return self.head(self.layer(t)[:, 0])


class SeqFirst(nn.Module):
    """A sequence-first nn.MultiheadAttention between transposes."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(E, 4)

    def forward(self, x):
        t = x.transpose(0, 1)
        y, _ = self.mha(t, t, t, need_weights=False)
        return y.transpose(0, 1)
