"""Running the wse tools from the Python end-to-end tests.

`run` prints the command, and turns a failure (exit code, signal, timeout)
into `StageFailed` naming the stage and the tool's first error line.
"""
import os
import shlex
import subprocess
import time


class StageFailed(Exception):
    def __init__(self, stage, message):
        super().__init__(message)
        self.stage = stage
        self.message = message


def tool(bin_dir, name):
    """The path of tool `name`, waiting briefly if it is being rebuilt."""
    path = os.path.join(bin_dir, name)
    for _ in range(30):
        if os.access(path, os.X_OK):
            return path
        time.sleep(2)
    raise StageFailed("setup", f"{name} not found or not executable at {path}")


def first_error(text):
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    for l in lines:
        if "error:" in l:
            return l[l.index("error:"):]
    for l in lines:
        if "error" in l.lower():
            return l
    return lines[-1] if lines else "<no output>"


def run(stage, cmd, cwd, timeout, echo_prefixes=()):
    """Runs `cmd` in `cwd`; returns the CompletedProcess. Lines of its stdout
    that start with one of `echo_prefixes` are shown."""
    print(f"== {stage}: cd {shlex.quote(cwd)} && {shlex.join(cmd)}",
          flush=True)
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                           errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StageFailed(stage, f"no exit after {timeout:g} s")
    except OSError as e:
        raise StageFailed(stage, f"cannot run {cmd[0]}: {e}")
    if r.returncode != 0:
        how = (f"killed by signal {-r.returncode}" if r.returncode < 0
               else f"exit code {r.returncode}")
        out = (r.stdout or "") + (r.stderr or "")
        for l in [l for l in out.splitlines() if l.strip()][:20]:
            print(f"   {l}")
        raise StageFailed(stage, f"{how}: {first_error(r.stderr or r.stdout)}")
    if echo_prefixes:
        for l in (r.stdout or "").splitlines():
            if l.startswith(tuple(echo_prefixes)):
                print(f"   {l}")
    return r
