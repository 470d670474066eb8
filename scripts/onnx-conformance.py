#!/usr/bin/env python3
"""Runs ONNX's backend node tests through wse-translate and wse-sim.

The node tests of the installed onnx package (about 900 at onnx 1.12) are
generated at run time (or reused from --tests-dir). For each test:

  1. wse-translate --import-onnx model.onnx -o model.mlir
       exit 1 with an error message   -> "unsupported (import)"
  2. every test_data_set_*/input_<i>.pb becomes a .npy file, named by the
     i-th graph input that is not an initializer; integer and float16 arrays
     are widened without changing a value to a dtype wse-sim reads (int32 /
     int64 / float32); other dtypes are passed as they are.
  3. wse-sim model.mlir --input NAME=FILE.npy ... --dump-outputs DIR
       exit 1 with an error message   -> "unsupported / runtime error (sim)"
  4. every output_<i>.npy is compared with test_data_set_*/output_<i>.pb:
     same shape; float outputs as np.testing.assert_allclose with ONNX's
     defaults (rtol 1e-3, atol 1e-7, NaN == NaN); bool and integer outputs
     exactly (wse-sim writes f32 or i64, so only the kind of the dtype must
     match: float for float, int/bool for int/bool)
       all equal -> "passed", otherwise -> "wrong numbers"

A signal, an exit code other than 0 and 1, exit 1 without "error" in stderr,
or a test running longer than --timeout seconds (import + sim) is "crashed or
hung"; the script exits 1 if any test crashed or hung (known gaps included).

  --list-passing FILE   writes the sorted names of the passing tests
  --check-passing FILE  exit 1 if a test named in FILE does not pass now;
                        tests that pass but are not in FILE are reported as
                        newly passing (not a failure)
  --known-gaps FILE     lines "test_name reason...": failures listed there are
                        counted as known gaps in the table

Example:
  /usr/bin/python3 scripts/onnx-conformance.py --bin-dir build/bin --verbose
"""

import argparse
import concurrent.futures
import errno
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(f"onnx-conformance: error: cannot import onnx ({e}); run with "
             f"/usr/bin/python3 (numpy, onnx 1.12)")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PASSED = "passed"
WRONG = "wrong numbers"
UNSUP_IMPORT = "unsupported (import)"
UNSUP_SIM = "unsupported / runtime error (sim)"
CRASHED = "crashed or hung"
CATEGORIES = [PASSED, WRONG, UNSUP_IMPORT, UNSUP_SIM, CRASHED]

RTOL, ATOL = 1e-3, 1e-7

# numpy >= 1.24 dropped these aliases; onnx 1.12's test generators use them.
GENERATE = """
import sys
import numpy as np
np.float = float; np.int = int; np.bool = bool; np.object = object; np.str = str
sys.argv = ['onnx-backend-test-tool', 'generate-data', '-o', sys.argv[1]]
from onnx.backend.test.cmd_tools import main
main()
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin-dir", default=os.path.join(REPO_ROOT, "build", "bin"),
                   help="directory holding wse-translate and wse-sim "
                        "(default: build/bin)")
    p.add_argument("--tests-dir",
                   help="where the generated tests go (DIR/node/test_*); "
                        "reused if DIR/node already holds tests. Default: a "
                        "temporary directory, removed at the end")
    p.add_argument("--work-dir",
                   help="keep the per-test files (model.mlir, inputs, "
                        "outputs) here. Default: a temporary directory, "
                        "removed at the end")
    p.add_argument("--filter", default="",
                   help="only run tests whose name matches this regex")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="tests run in parallel (default 2)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds per test, import + sim (default 60)")
    p.add_argument("--verbose", action="store_true",
                   help="list every test with its first error line")
    p.add_argument("--list-passing", metavar="FILE",
                   help="write the sorted names of the passing tests")
    p.add_argument("--check-passing", metavar="FILE",
                   help="fail if a test named in FILE does not pass")
    p.add_argument("--known-gaps", metavar="FILE",
                   help="'test_name reason' per line: expected failures")
    return p.parse_args(argv)


# --- test generation and discovery -----------------------------------------

def generate_tests(tests_dir):
    node_dir = os.path.join(tests_dir, "node")
    if os.path.isdir(node_dir) and any(
            n.startswith("test_") for n in os.listdir(node_dir)):
        return node_dir
    os.makedirs(tests_dir, exist_ok=True)
    r = subprocess.run([sys.executable, "-c", GENERATE, tests_dir],
                       capture_output=True, text=True)
    if r.returncode != 0 or not os.path.isdir(node_dir):
        raise SystemExit(
            f"onnx-conformance: error: generating the ONNX node tests failed "
            f"(exit {r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return node_dir


def read_name_list(path):
    """Test names, one per line ('#' starts a comment)."""
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line.split()[0])
    return names


def read_known_gaps(path):
    """{test name: reason} from 'test_name reason...' lines."""
    gaps = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 1)
            gaps[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return gaps


# --- running one test -------------------------------------------------------

class Result:
    def __init__(self, name, category, message="", command=""):
        self.name = name
        self.category = category
        self.message = message
        self.command = command


class Outcome(Exception):
    """Ends a test with a category and a message."""

    def __init__(self, category, message, command=""):
        super().__init__(message)
        self.category = category
        self.message = message
        self.command = command


def first_line(text):
    """The first line that looks like an error, else the first line."""
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    for l in lines:
        if "error:" in l:  # drop the "file:line:col: " location prefix
            return l[l.index("error:"):]
    for l in lines:
        if "error" in l.lower():
            return l
    return lines[0] if lines else "<no output>"


def signal_name(code):
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_tool(cmd, deadline, cwd):
    """Runs cmd; retries for a while if the binary is missing or being
    rewritten (the tools are rebuilt from time to time)."""
    for attempt in range(30):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Outcome(CRASHED, "timed out", shlex.join(cmd))
        try:
            return subprocess.run(cmd, cwd=cwd, capture_output=True,
                                  text=True, errors="replace",
                                  timeout=remaining)
        except subprocess.TimeoutExpired:
            raise Outcome(CRASHED, f"timed out (test budget exhausted) in "
                          f"{os.path.basename(cmd[0])}", shlex.join(cmd))
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ETXTBSY, errno.EACCES):
                raise
            time.sleep(2)
    raise Outcome(CRASHED, f"cannot run {cmd[0]}", shlex.join(cmd))


def classify_failure(r, tool, unsupported_category, cmd):
    """Raises the Outcome of a tool run that did not exit 0."""
    command = shlex.join(cmd)
    if r.returncode < 0:
        raise Outcome(CRASHED, f"{tool} killed by {signal_name(r.returncode)}"
                      f": {first_line(r.stderr)}", command)
    if r.returncode != 1:
        raise Outcome(CRASHED, f"{tool} exited with {r.returncode}: "
                      f"{first_line(r.stderr)}", command)
    if "error" not in r.stderr.lower():
        raise Outcome(CRASHED, f"{tool} exited 1 without an error message",
                      command)
    raise Outcome(unsupported_category, first_line(r.stderr), command)


def value_kind(vi):
    """'tensor', 'sequence', 'optional', ... for a ValueInfoProto."""
    return vi.type.WhichOneof("value") or "unknown"


def load_pb(path, vi):
    """Loads a .pb the way ONNX's runner does; returns an array or raises
    Outcome for non-tensor values (sequences, optionals, maps)."""
    kind = value_kind(vi)
    if kind != "tensor_type":
        raise Outcome(UNSUP_SIM, f"'{vi.name}' is a {kind.replace('_type', '')}"
                      f", not a tensor: wse-sim takes and writes .npy tensors")
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    a = numpy_helper.to_array(t)
    if onnx.TensorProto.BFLOAT16 in (t.data_type, vi.type.tensor_type.elem_type) \
            and a.dtype == np.uint16:
        # onnx 1.12 hands bfloat16 over as its raw 16 bits; wse imports
        # bfloat16 as float32, so widen the bits to the float32 they denote.
        a = (a.astype(np.uint32) << 16).view(np.float32)
    return a


def widen(a):
    """A value-preserving dtype that wse-sim's .npy reader accepts."""
    if a.dtype == np.float16:
        return a.astype(np.float32)
    if a.dtype in (np.int8, np.int16, np.uint8, np.uint16):
        return a.astype(np.int32)
    if a.dtype == np.uint32:
        return a.astype(np.int64)
    if a.dtype == np.uint64 and (a.size == 0 or a.max() <= np.iinfo(np.int64).max):
        return a.astype(np.int64)
    return a


def compare(got, want, index):
    """None if got matches want, else a one-line description."""
    what = f"output {index}"
    if got.shape != want.shape:
        return f"{what}: shape {got.shape} but ONNX expects {want.shape}"
    want_float = want.dtype.kind in "fc"
    got_float = got.dtype.kind in "fc"
    if want.dtype.kind in "biu":
        if got.dtype.kind not in "biu":
            return f"{what}: dtype {got.dtype} but ONNX expects {want.dtype}"
        bad = got.astype(np.int64) != want.astype(np.int64) \
            if want.dtype != np.uint64 else got != want
        if np.any(bad):
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            return (f"{what}: {int(np.count_nonzero(bad))} of {want.size} "
                    f"elements differ, first at {idx}: {got[idx]} vs "
                    f"{want[idx]}")
        return None
    if want_float:
        if not got_float:
            return f"{what}: dtype {got.dtype} but ONNX expects {want.dtype}"
        g = got.astype(np.float64)
        w = want.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
        if not np.all(close):
            bad = ~close
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            with np.errstate(invalid="ignore", over="ignore"):
                diff = np.abs(g - w)
                diff = diff[np.isfinite(diff)]
            worst = float(diff.max()) if diff.size else float("nan")
            return (f"{what}: {int(np.count_nonzero(bad))} of {want.size} "
                    f"elements not close (rtol {RTOL}, atol {ATOL}), max "
                    f"|diff| {worst:.3g}, first at {idx}: {g[idx]!r} vs "
                    f"{w[idx]!r}")
        return None
    # Strings and other object outputs: exact, as ONNX's runner does.
    if got.dtype != want.dtype or not np.array_equal(got, want):
        return f"{what}: {got.dtype} values differ from {want.dtype} expected"
    return None


def run_test(test_dir, work_root, bin_dir, timeout):
    name = os.path.basename(test_dir)
    deadline = time.monotonic() + timeout
    work = os.path.join(work_root, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    translate = os.path.join(bin_dir, "wse-translate")
    sim = os.path.join(bin_dir, "wse-sim")
    try:
        model_path = os.path.join(test_dir, "model.onnx")
        mlir = os.path.join(work, "model.mlir")
        cmd = [translate, "--import-onnx", model_path, "-o", mlir]
        r = run_tool(cmd, deadline, work)
        if r.returncode != 0:
            classify_failure(r, "wse-translate", UNSUP_IMPORT, cmd)
        if not os.path.isfile(mlir):
            raise Outcome(CRASHED, "wse-translate exited 0 but wrote no file",
                          shlex.join(cmd))

        model = onnx.load(model_path, load_external_data=False)
        inits = {t.name for t in model.graph.initializer}
        inputs = [vi for vi in model.graph.input if vi.name not in inits]
        outputs = list(model.graph.output)
        data_sets = sorted(d for d in os.listdir(test_dir)
                           if d.startswith("test_data_set_"))
        if not data_sets:
            raise Outcome(UNSUP_SIM, "the test has no test_data_set_*")
        last_cmd = ""
        for ds in data_sets:
            ds_dir = os.path.join(test_dir, ds)
            ds_work = os.path.join(work, ds)
            out_dir = os.path.join(ds_work, "outputs")
            os.makedirs(ds_work)
            cmd = [sim, mlir]
            n_in = len([f for f in os.listdir(ds_dir)
                        if re.fullmatch(r"input_\d+\.pb", f)])
            if n_in > len(inputs):
                raise Outcome(UNSUP_SIM, f"{n_in} input files but the graph "
                              f"has {len(inputs)} inputs")
            for i in range(n_in):
                vi = inputs[i]
                a = widen(load_pb(os.path.join(ds_dir, f"input_{i}.pb"), vi))
                npy = os.path.join(ds_work, f"input_{i}.npy")
                np.save(npy, a, allow_pickle=False) if a.dtype != object \
                    else np.save(npy, a, allow_pickle=True)
                cmd += ["--input", f"{vi.name}={npy}"]
            cmd += ["--dump-outputs", out_dir]
            last_cmd = shlex.join(cmd)
            r = run_tool(cmd, deadline, work)
            if r.returncode != 0:
                classify_failure(r, "wse-sim", UNSUP_SIM, cmd)
            n_out = len([f for f in os.listdir(ds_dir)
                         if re.fullmatch(r"output_\d+\.pb", f)])
            problems = []
            for i in range(n_out):
                if i >= len(outputs):
                    problems.append(f"output_{i}.pb but the graph has "
                                    f"{len(outputs)} outputs")
                    continue
                want = load_pb(os.path.join(ds_dir, f"output_{i}.pb"),
                               outputs[i])
                path = os.path.join(out_dir, f"output_{i}.npy")
                if not os.path.isfile(path):
                    problems.append(f"output {i}: wse-sim wrote no "
                                    f"output_{i}.npy")
                    continue
                got = np.load(path, allow_pickle=False)
                msg = compare(got, want, i)
                if msg:
                    problems.append(msg)
            extra = os.path.join(out_dir, f"output_{n_out}.npy")
            if os.path.isfile(extra):
                problems.append(f"wse-sim wrote more than the {n_out} "
                                f"expected outputs")
            if problems:
                pre = f"{ds}: " if len(data_sets) > 1 else ""
                raise Outcome(WRONG, pre + "; ".join(problems), last_cmd)
        return Result(name, PASSED, command=last_cmd)
    except Outcome as o:
        return Result(name, o.category, o.message, o.command)
    except Exception as e:  # a harness problem on this test, not a tool one
        return Result(name, UNSUP_SIM,
                      f"harness: {type(e).__name__}: {first_line(str(e))}")


# --- reporting ---------------------------------------------------------------

def print_table(results, gaps):
    counts = {c: 0 for c in CATEGORIES}
    gap_counts = {c: 0 for c in CATEGORIES}
    for r in results:
        counts[r.category] += 1
        if r.category != PASSED and r.name in gaps:
            gap_counts[r.category] += 1
    width = max(len(c) for c in CATEGORIES + ["total"])
    print()
    header = f"{'category':<{width}}  {'tests':>6}"
    if gaps:
        header += f"  {'known gaps':>10}  {'new':>6}"
    print(header)
    print("-" * len(header))
    for c in CATEGORIES:
        line = f"{c:<{width}}  {counts[c]:>6}"
        if gaps:
            if c == PASSED:
                line += f"  {'':>10}  {'':>6}"
            else:
                line += f"  {gap_counts[c]:>10}  {counts[c] - gap_counts[c]:>6}"
        print(line)
    print("-" * len(header))
    total = len(results)
    line = f"{'total':<{width}}  {total:>6}"
    if gaps:
        g = sum(gap_counts.values())
        line += f"  {g:>10}  {total - counts[PASSED] - g:>6}"
    print(line)
    if total:
        print(f"pass rate: {counts[PASSED]}/{total} "
              f"({100.0 * counts[PASSED] / total:.1f}%)")
    return counts


def main(argv=None):
    args = parse_args(argv)
    bin_dir = os.path.abspath(args.bin_dir)
    for tool in ("wse-translate", "wse-sim"):
        path = os.path.join(bin_dir, tool)
        for _ in range(30):  # the tools may be mid-rebuild
            if os.access(path, os.X_OK):
                break
            time.sleep(2)
        else:
            print(f"onnx-conformance: error: {path} not found",
                  file=sys.stderr)
            return 2
    gaps = read_known_gaps(args.known_gaps) if args.known_gaps else {}
    expected = read_name_list(args.check_passing) if args.check_passing else []

    cleanup = []
    try:
        tests_dir = args.tests_dir
        if not tests_dir:
            tests_dir = tempfile.mkdtemp(prefix="onnx-node-tests-")
            cleanup.append(tests_dir)
        work_root = args.work_dir
        if not work_root:
            work_root = tempfile.mkdtemp(prefix="onnx-conformance-work-")
            cleanup.append(work_root)
        work_root = os.path.abspath(work_root)
        os.makedirs(work_root, exist_ok=True)

        t0 = time.monotonic()
        node_dir = generate_tests(tests_dir)
        names = sorted(n for n in os.listdir(node_dir) if n.startswith("test_")
                       and os.path.isfile(os.path.join(node_dir, n,
                                                       "model.onnx")))
        if args.filter:
            rx = re.compile(args.filter)
            names = [n for n in names if rx.search(n)]
        print(f"onnx-conformance: {len(names)} ONNX {onnx.__version__} node "
              f"tests from {node_dir}, {args.jobs} jobs, bin dir {bin_dir}",
              flush=True)

        results = []
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = [pool.submit(run_test, os.path.join(node_dir, n),
                                   work_root, bin_dir, args.timeout)
                       for n in names]
            for f in futures:
                results.append(f.result())
        elapsed = time.monotonic() - t0

        if args.verbose:
            width = max((len(r.name) for r in results), default=0)
            for r in results:
                tag = ""
                if r.category != PASSED and r.name in gaps:
                    tag = f" [known gap: {gaps[r.name]}]"
                msg = f" -- {r.message}" if r.message else ""
                print(f"{r.name:<{width}}  {r.category}{tag}{msg}")
        crashed = [r for r in results if r.category == CRASHED]
        if crashed:
            keep = "" if args.work_dir else \
                " after rerunning with --work-dir DIR, which keeps the files"
            print(f"\ncrashed or hung (replay the command{keep}):")
            for r in crashed:
                print(f"  {r.name}: {r.message}\n    {r.command}")
        counts = print_table(results, gaps)
        print(f"({elapsed:.0f} s)")

        passing = sorted(r.name for r in results if r.category == PASSED)
        by_name = {r.name: r for r in results}
        status = 0
        if args.list_passing:
            with open(args.list_passing, "w") as f:
                f.write("".join(n + "\n" for n in passing))
            print(f"wrote {len(passing)} passing test names to "
                  f"{args.list_passing}")
        fixed_gaps = sorted(n for n in gaps
                            if n in by_name and by_name[n].category == PASSED)
        if fixed_gaps:
            print(f"\n{len(fixed_gaps)} known gaps now pass (remove them from "
                  f"{args.known_gaps}): " + " ".join(fixed_gaps))
        if args.check_passing:
            exp = set(expected)
            regressed = []
            for n in sorted(exp):
                r = by_name.get(n)
                if r is None:
                    if args.filter and not re.search(args.filter, n):
                        continue
                    regressed.append((n, "not found among the generated "
                                         "tests"))
                elif r.category != PASSED:
                    regressed.append((n, f"{r.category}: {r.message}"))
            newly = [n for n in passing if n not in exp]
            if newly:
                print(f"\n{len(newly)} newly passing tests (not in "
                      f"{args.check_passing}; add them with --list-passing):")
                for n in newly:
                    print(f"  {n}")
            if regressed:
                print(f"\nREGRESSION: {len(regressed)} tests listed in "
                      f"{args.check_passing} do not pass:")
                for n, why in regressed:
                    print(f"  {n}: {why}")
                status = 1
            else:
                print(f"\nall {len(exp)} tests listed in {args.check_passing}"
                      f" pass")
        if counts[CRASHED]:
            print(f"\nFAIL: {counts[CRASHED]} tests crashed or hung")
            status = 1
        return status
    finally:
        for d in cleanup:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
