"""The MLP used as the end-to-end training example for wse."""

import torch
from torch import nn


class MLP(nn.Module):
    """fc1 -> ReLU -> fc2 (-> ReLU -> fc3 ...), producing unnormalized
    logits. `hidden` is one width or a list of widths, one per hidden
    layer; the layers are named fc1, fc2, ... in order."""

    def __init__(self, in_features=64, hidden=128, classes=10):
        super().__init__()
        widths = [in_features] + list(hidden_widths(hidden)) + [classes]
        self.layers = len(widths) - 1
        for i in range(self.layers):
            setattr(self, f"fc{i + 1}", nn.Linear(widths[i], widths[i + 1]))
        self.relu = nn.ReLU()

    def forward(self, x):
        for i in range(self.layers):
            x = getattr(self, f"fc{i + 1}")(x)
            if i + 1 < self.layers:
                x = self.relu(x)
        return x


def hidden_widths(hidden):
    """A width, a list of widths, or a comma-separated string of them."""
    if isinstance(hidden, str):
        hidden = [int(w) for w in hidden.split(",")]
    if isinstance(hidden, int):
        hidden = [hidden]
    widths = list(hidden)
    if not widths or any(w < 1 for w in widths):
        raise ValueError(f"hidden widths must be positive: {hidden}")
    return widths


def make_model(seed=0, in_features=64, hidden=128, classes=10):
    """Builds the MLP with deterministic initial weights for `seed`."""
    torch.manual_seed(seed)
    return MLP(in_features, hidden, classes)
