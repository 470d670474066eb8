#!/usr/bin/env python3
"""Trains model.py in PyTorch (the oracle); the logic, shared by the language models, is in
models/lm/lm_train_torch.py (run with --help)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lm")]

from lm_train_torch import run  # noqa: E402

if __name__ == "__main__":
    run()
