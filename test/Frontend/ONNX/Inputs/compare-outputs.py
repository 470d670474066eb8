#!/usr/bin/env python3
"""compare-outputs.py GOT_DIR EXPECTED_DIR: every output_<i>.npy agrees to
rtol 1e-3, atol 1e-5 (the ONNX backend tests' tolerance, a little looser in
atol for float32 sums)."""
import os
import sys

import numpy as np

got, want = sys.argv[1:3]
names = sorted(n for n in os.listdir(want) if n.endswith(".npy"))
for n in names:
    g, w = np.load(os.path.join(got, n)), np.load(os.path.join(want, n))
    assert g.shape == w.shape, (n, g.shape, w.shape)
    err = np.abs(g.astype(np.float64) - w).max() if g.size else 0.0
    assert np.allclose(g, w, rtol=1e-3, atol=1e-5), (n, err)
    print(f"{n} agrees")
