"""Two-layer MLP used as the end-to-end training example for wse."""

import torch
from torch import nn


class MLP(nn.Module):
    """fc1 -> ReLU -> fc2, producing unnormalized logits."""

    def __init__(self, in_features=64, hidden=128, classes=10):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def make_model(seed=0, in_features=64, hidden=128, classes=10):
    """Builds the MLP with deterministic initial weights for `seed`."""
    torch.manual_seed(seed)
    return MLP(in_features, hidden, classes)
