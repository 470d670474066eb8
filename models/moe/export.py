#!/usr/bin/env python3
"""Exports model.py to ONNX; the logic, shared by the language models, is in
models/lm/lm_export.py (run with --help)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lm")]

from lm_export import run  # noqa: E402

if __name__ == "__main__":
    run()
