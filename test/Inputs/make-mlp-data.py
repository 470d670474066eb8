# Writes x.npy [steps, 4, 8] f32 and labels.npy [steps, 4] i64 into argv[1].
import os
import sys

import numpy as np

out, steps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
np.save(os.path.join(out, "x.npy"), rng.standard_normal((steps, 4, 8)).astype(np.float32))
np.save(os.path.join(out, "labels.npy"), rng.integers(0, 4, (steps, 4)).astype(np.int64))
np.save(os.path.join(out, "x1.npy"), rng.standard_normal((4, 8)).astype(np.float32))
np.save(os.path.join(out, "bad.npy"), rng.standard_normal((3, 8)).astype(np.float32))
np.save(os.path.join(out, "badlabels.npy"), np.full((steps, 4), 9, dtype=np.int64))
