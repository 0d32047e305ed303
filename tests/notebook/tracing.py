"""Helpers shared by the notebook tests: skipping, and making traces of the
samples with the real nosco-sql."""

import importlib
import os
import shutil
import sqlite3
import subprocess
import sys

SKIP = 77


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def require(*modules):
    """Exit 77 (skipped) unless every module imports: the tests need
    Debian's python3-pandas (and for the notebook python3-matplotlib,
    jupyter-nbconvert, python3-ipykernel), as tools/quickstart.sh deps
    installs them."""
    missing = []
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            missing.append(m)
    if missing:
        skip(f"{sys.executable} lacks {', '.join(missing)} (tools/quickstart.sh deps installs them)")


def trace(nosco, argv, out, *options, cwd=None):
    """nosco-sql run -f -o OUT OPTIONS -- ARGV. Returns nosco-sql's exit
    status (the program's). Exits 77 when ptrace is not permitted here;
    raises when no trace was written."""
    cmd = [nosco, "run", "-f", "-o", out, *options, "--", *argv]
    p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if "not permitted" in p.stderr.lower():
        skip("ptrace is not permitted here")
    if not os.path.isfile(out) or os.path.getsize(out) == 0:
        raise RuntimeError(f"{' '.join(cmd)}: no trace written (exit {p.returncode}):\n{p.stderr}")
    return p.returncode


def plain_status(argv, cwd=None):
    """The exit status of ARGV run without the tracer."""
    return subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def shell_case(nosco, work, out):
    """The files case of tests/trace/syscalls.sh: in WORK, `sh -c 'cat in >
    out; ls missing'` traced with --syscalls-only: `in` is read, `out`
    written and created, `missing` fails. Returns (trace status, plain
    status)."""
    os.makedirs(work, exist_ok=True)
    argv = ["sh", "-c", "cat in > out; ls missing"]
    with open(os.path.join(work, "in"), "w") as f:
        f.write("hello\n")
    for name in ("out",):
        try:
            os.unlink(os.path.join(work, name))
        except FileNotFoundError:
            pass
    status = plain_status(argv, cwd=work)
    os.unlink(os.path.join(work, "out"))
    return trace(nosco, argv, out, "--syscalls-only", cwd=work), status


# What a trace written before syscalls were recorded (commit 90ef27b) did
# not have: these tables, and the views that read them.
NEWER_TABLES = ("syscalls", "execs", "allocations", "stack_frames")


def make_old_trace(src, dst):
    """Copy trace SRC to DST without the tables and views that older traces
    lack (syscalls and everything built on it), as a trace from before
    syscalls were recorded."""
    shutil.copyfile(src, dst)
    db = sqlite3.connect(dst)
    views = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'view' AND (" +
        " OR ".join(f"sql LIKE '%{t}%'" for t in NEWER_TABLES) + ")")]
    # q_processes reads syscalls and execs; file_events, q_files, q_syscalls
    # read syscalls; q_leaks, q_alloc_hot read allocations.
    for v in views:
        db.execute(f'DROP VIEW "{v}"')
    for t in NEWER_TABLES:
        db.execute(f'DROP TABLE IF EXISTS "{t}"')
    db.commit()
    db.execute("VACUUM")
    db.close()
