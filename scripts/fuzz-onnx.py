#!/usr/bin/env python3
"""Feeds damaged ONNX models to wse-translate --import-onnx.

Seeds: the torch MLP of models/mlp/export.py (the default 64-128-10 one and a
4-8-3 one, whose bytes are mostly structure rather than weights) and a
handful of ONNX 1.12 node-test models (generated at run time), chosen to
cover ops the importer maps today and ops it is about to map. From each seed
(with a fixed random seed) come
  truncated    copies cut at a random length
  bit-flipped  copies with 1-5 random bits flipped
  mutated      copies that still parse, with one field changed: a dim, an
               element type, an attribute value, an opset or IR version, a
               node input renamed, a node or an initializer dropped, weight
               bytes cut short
Every run must end with exit code 0, or 1 with "error" in its stderr; a
signal, another exit code, or more than --timeout seconds (default 30) is a
crash. The seeds themselves are run too, and the MLP seeds must import.
Crashing variants are kept in WORK_DIR/crashes with a replay command.
Exit 0 only if nothing crashed.

Example: /usr/bin/python3 scripts/fuzz-onnx.py --bin-dir build/bin
"""

import argparse
import concurrent.futures
import errno
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import onnx
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(f"fuzz-onnx: error: cannot import onnx ({e}); run with "
             f"/usr/bin/python3")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPORT = os.path.join(REPO_ROOT, "models", "mlp", "export.py")

NODE_TESTS = [
    "test_gemm_all_attributes", "test_matmul_4d", "test_reshape_extended_dims",
    "test_softmax_axis_1", "test_layer_normalization_4d_axis_negative_1",
    "test_einsum_batch_matmul", "test_gather_1", "test_where_long_example",
    "test_cast_FLOAT_to_DOUBLE", "test_reduce_mean_keepdims_example",
    "test_constant", "test_transpose_all_permutations_0",
]

GENERATE = """
import sys
import numpy as np
np.float = float; np.int = int; np.bool = bool; np.object = object; np.str = str
sys.argv = ['onnx-backend-test-tool', 'generate-data', '-o', sys.argv[1]]
from onnx.backend.test.cmd_tools import main
main()
"""

INTERESTING = [0, -1, 1, 2, 3, 7, 1000, 2**31 - 1, 2**31, 2**32 + 1, 2**62,
               -2**62, 2**63 - 1, -2**63]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin-dir", default=os.path.join(REPO_ROOT, "build", "bin"))
    p.add_argument("--work-dir", help="default: a temporary directory "
                   "(kept only if something crashed)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--truncated", type=int, default=10,
                   help="truncated copies per seed model (default 10)")
    p.add_argument("--flipped", type=int, default=10,
                   help="bit-flipped copies per seed model (default 10)")
    p.add_argument("--mutated", type=int, default=6,
                   help="field-mutated copies per seed model (default 6)")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


# --- seeds -------------------------------------------------------------------

def make_seeds(work):
    """Returns [(name, bytes)]; raises SystemExit if a seed cannot be made."""
    seeds = []
    for name, extra in (("mlp", []),
                        ("mlp_small", ["--batch", "2", "--in-features", "4",
                                       "--hidden", "8", "--classes", "3"])):
        out = os.path.join(work, name + ".onnx")
        r = subprocess.run([sys.executable, EXPORT, "--out", out] + extra,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"fuzz-onnx: error: exporting the MLP failed:\n"
                             f"{r.stdout[-2000:]}{r.stderr[-2000:]}")
        seeds.append((name, open(out, "rb").read()))
    tests = os.path.join(work, "onnx-tests")
    r = subprocess.run([sys.executable, "-c", GENERATE, tests],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"fuzz-onnx: error: generating ONNX node tests "
                         f"failed:\n{r.stderr[-2000:]}")
    for t in NODE_TESTS:
        path = os.path.join(tests, "node", t, "model.onnx")
        if not os.path.isfile(path):
            raise SystemExit(f"fuzz-onnx: error: node test {t} not generated")
        seeds.append((t, open(path, "rb").read()))
    shutil.rmtree(tests, ignore_errors=True)
    return seeds


# --- mutations ---------------------------------------------------------------

def truncate(data, rng):
    return data[:rng.randrange(len(data))]


def flip(data, rng):
    b = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    return bytes(b)


def value_infos(g):
    return list(g.input) + list(g.output) + list(g.value_info)


def mutation_sites(m):
    """Closures that each change one field of ModelProto m in place."""
    g = m.graph
    sites = []

    def set_int(obj, field):
        def f(rng):
            setattr(obj, field, rng.choice(INTERESTING))
        return f

    def set_list(lst, i):
        def f(rng):
            lst[i] = rng.choice(INTERESTING)
        return f

    sites.append(set_int(m, "ir_version"))
    for op in m.opset_import:
        sites.append(set_int(op, "version"))
    for vi in value_infos(g):
        tt = vi.type.tensor_type
        sites.append(set_int(tt, "elem_type"))
        for d in tt.shape.dim:
            sites.append(set_int(d, "dim_value"))
    for t in g.initializer:
        sites.append(set_int(t, "data_type"))
        for i in range(len(t.dims)):
            sites.append(set_list(t.dims, i))
        if t.raw_data:
            def cut(rng, t=t):
                t.raw_data = t.raw_data[:rng.randrange(len(t.raw_data))]
            sites.append(cut)

        def drop_init(rng, t=t):
            g.initializer.remove(t)
        sites.append(drop_init)
    names = [vi.name for vi in g.input] + [o for n in g.node for o in n.output]
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.INT:
                sites.append(set_int(a, "i"))
            for i in range(len(a.ints)):
                sites.append(set_list(a.ints, i))
            if a.type == onnx.AttributeProto.TENSOR:
                sites.append(set_int(a.t, "data_type"))
                for i in range(len(a.t.dims)):
                    sites.append(set_list(a.t.dims, i))
        for i in range(len(n.input)):
            def rename(rng, n=n, i=i):
                n.input[i] = rng.choice(names + ["", "no_such_value"])
            sites.append(rename)

        def drop_node(rng, n=n):
            g.node.remove(n)
        sites.append(drop_node)
    return sites


def mutate(data, rng):
    """A copy of the model that still parses, with one field changed."""
    for _ in range(20):
        m = onnx.ModelProto()
        m.ParseFromString(data)
        sites = mutation_sites(m)
        try:
            rng.choice(sites)(rng)
            return m.SerializeToString()
        except (ValueError, TypeError):  # e.g. 2**62 in an int32 field
            continue
    return data


# --- running -----------------------------------------------------------------

def signal_name(code):
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_import(translate, path, timeout):
    """('ok' | 'error' | 'crash', detail)."""
    cmd = [translate, "--import-onnx", path, "-o", path + ".mlir"]
    for _ in range(30):
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            return "crash", f"no exit after {timeout:g} s"
        except OSError as e:  # the tool is being rebuilt
            if e.errno not in (errno.ENOENT, errno.ETXTBSY, errno.EACCES):
                raise
            time.sleep(2)
    else:
        return "crash", f"cannot run {translate}"
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode == 0:
        return "ok", ""
    if r.returncode == 1:
        if "error" in err.lower():
            return "error", err.strip().splitlines()[0] if err.strip() else ""
        return "crash", "exit 1 without an error message"
    if r.returncode < 0:
        return "crash", f"killed by {signal_name(r.returncode)}: {err[-400:]}"
    return "crash", f"exit code {r.returncode}: {err[-400:]}"


def main(argv=None):
    args = parse_args(argv)
    translate = os.path.join(os.path.abspath(args.bin_dir), "wse-translate")
    for _ in range(30):
        if os.access(translate, os.X_OK):
            break
        time.sleep(2)
    else:
        print(f"fuzz-onnx: error: {translate} not found", file=sys.stderr)
        return 2
    temp = not args.work_dir
    work = os.path.abspath(args.work_dir or
                           tempfile.mkdtemp(prefix="fuzz-onnx-"))
    shutil.rmtree(os.path.join(work, "variants"), ignore_errors=True)
    shutil.rmtree(os.path.join(work, "crashes"), ignore_errors=True)
    os.makedirs(os.path.join(work, "variants"), exist_ok=True)

    seeds = make_seeds(work)
    rng = random.Random(args.seed)
    jobs = []  # (seed name, kind, index, bytes)
    for name, data in seeds:
        jobs.append((name, "seed", 0, data))
        for i in range(args.truncated):
            jobs.append((name, "truncated", i, truncate(data, rng)))
        for i in range(args.flipped):
            jobs.append((name, "bit-flipped", i, flip(data, rng)))
        for i in range(args.mutated):
            jobs.append((name, "mutated", i, mutate(data, rng)))

    def run(job):
        name, kind, i, data = job
        path = os.path.join(work, "variants", f"{name}.{kind}.{i}.onnx")
        with open(path, "wb") as f:
            f.write(data)
        status, detail = run_import(translate, path, args.timeout)
        if status == "crash":
            crash_dir = os.path.join(work, "crashes")
            os.makedirs(crash_dir, exist_ok=True)
            kept = os.path.join(crash_dir, os.path.basename(path))
            shutil.move(path, kept)
            path = kept
        else:
            os.remove(path)
        for p in (path + ".mlir",):
            if os.path.exists(p):
                os.remove(p)
        return job, status, detail, path

    kinds = ["seed", "truncated", "bit-flipped", "mutated"]
    counts = {k: {"ok": 0, "error": 0, "crash": 0} for k in kinds}
    crashes, problems = [], []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for (name, kind, i, _), status, detail, path in pool.map(run, jobs):
            counts[kind][status] += 1
            if args.verbose:
                print(f"{name}.{kind}.{i}: {status} {detail}")
            if status == "crash":
                crashes.append(f"{name} {kind} #{i}: {detail}\n    "
                               f"{shlex.join([translate, '--import-onnx', path])}")
            if kind == "seed" and name.startswith("mlp") and status != "ok":
                problems.append(f"the unmodified {name} does not import: "
                                f"{detail}")

    print(f"{'variants':<12} {'count':>6} {'imported':>9} {'rejected':>9} "
          f"{'crashed':>8}")
    total = {"ok": 0, "error": 0, "crash": 0}
    for k in kinds:
        c = counts[k]
        n = sum(c.values())
        print(f"{k:<12} {n:>6} {c['ok']:>9} {c['error']:>9} {c['crash']:>8}")
        for s in total:
            total[s] += c[s]
    n = sum(total.values())
    print(f"{'total':<12} {n:>6} {total['ok']:>9} {total['error']:>9} "
          f"{total['crash']:>8}")
    print(f"{n} runs on {len(seeds)} seed models: {total['ok']} imported, "
          f"{total['error']} rejected with an error, {total['crash']} crashed")
    for c in crashes:
        print(f"CRASH: {c}")
    for p in problems:
        print(f"FAIL: {p}")
    if temp and not crashes:
        shutil.rmtree(work, ignore_errors=True)
    elif crashes:
        print(f"crashing inputs kept in {os.path.join(work, 'crashes')}")
    return 1 if crashes or problems else 0


if __name__ == "__main__":
    sys.exit(main())
