"""Execute samples/analysis.ipynb headless (jupyter nbconvert --execute, with
this Python's kernel: Debian's /usr/bin/python3) on a trace this test makes
with the real nosco-sql, and check the executed notebook: no error output,
every plot is a real PNG image, and the values the samples' source fixes
appear in the outputs.

  run_notebook.py --nosco NOSCO --samples DIR --src SRCDIR CASE

CASE:
  forker         samples/forker: 2 processes (exit 0 and 7), fib(10) in each
                 (354 calls to fib, 177 in the tree of the first), syscalls
  threads        samples/threads: 4 threads, worker called 3 times (once
                 per thread), its first call has 1 + 10 calls in its tree
  old_trace      the fib trace without syscalls (as before they were
                 recorded): the syscall cells say so, the rest works
  syscalls_only  sh -c 'cat in > out; ls missing' with --syscalls-only: no
                 calls; processes and files

Exit status 77 (skipped) when pandas, matplotlib, nbconvert or ipykernel is
missing, or ptrace is not permitted.
"""

import argparse
import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracing  # noqa: E402

fails = 0


def check(name, ok, detail=""):
    global fails
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f"\n  {detail}"))
    if not ok:
        fails += 1


def png_size(data):
    """(width, height) of a PNG, or None if DATA is not one."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def fib_calls(n):
    return 1 if n < 2 else 1 + fib_calls(n - 1) + fib_calls(n - 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nosco", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("case", choices=["forker", "threads", "old_trace", "syscalls_only"])
    a = ap.parse_args()
    nosco, samples, src = (os.path.abspath(p) for p in (a.nosco, a.samples, a.src))
    tracing.require("pandas", "matplotlib", "nbformat", "nbconvert", "ipykernel")
    import nbformat

    work = tempfile.mkdtemp(prefix=f"nosco-nb-{a.case}-")
    try:
        db = os.path.join(work, "trace.db")
        if a.case in ("forker", "threads"):
            status = tracing.trace(nosco, [os.path.join(samples, a.case)], db)
            check(f"{a.case} exits 0", status == 0, f"exit status {status}")
        elif a.case == "old_trace":
            fib = os.path.join(work, "fib.db")
            tracing.trace(nosco, [os.path.join(samples, "fib")], fib)
            tracing.make_old_trace(fib, db)
        else:
            status, plain = tracing.shell_case(nosco, os.path.join(work, "sh"), db)
            check("shell: same exit status as without the tracer", status == plain,
                  f"{status} != {plain}")

        # A kernel spec of our own, so the kernel is this Python (Debian's,
        # with the packages) whatever else is installed; Jupyter's and
        # matplotlib's config and caches in the work folder.
        home = os.path.join(work, "jupyter")
        spec = os.path.join(home, "data", "kernels", "python3")
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f",
                                "{connection_file}"],
                       "display_name": "Python 3", "language": "python"}, f)
        env = dict(os.environ,
                   NOSCO_TRACE=db,
                   JUPYTER_PATH=os.path.join(home, "data"),
                   JUPYTER_DATA_DIR=os.path.join(home, "data"),
                   JUPYTER_CONFIG_DIR=os.path.join(home, "config"),
                   JUPYTER_RUNTIME_DIR=os.path.join(home, "runtime"),
                   IPYTHONDIR=os.path.join(home, "ipython"),
                   MPLCONFIGDIR=os.path.join(home, "mpl"),
                   MPLBACKEND="module://matplotlib_inline.backend_inline",
                   PYTHONDONTWRITEBYTECODE="1",
                   PYDEVD_DISABLE_FILE_VALIDATION="1")
        for k in ("NOSCO_FUNCTION", "NOSCO_CALL", "PYTHONPATH"):
            env.pop(k, None)
        nb_in = os.path.join(src, "samples", "analysis.ipynb")
        cmd = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=600",
               "--ExecutePreprocessor.kernel_name=python3",
               "--output-dir", work, "--output", "executed.ipynb", nb_in]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        out_nb = os.path.join(work, "executed.ipynb")
        check("nbconvert --execute succeeds", p.returncode == 0 and os.path.isfile(out_nb),
              f"exit {p.returncode}:\n{p.stdout[-6000:]}")
        if not os.path.isfile(out_nb):
            return 1
        nb = nbformat.read(out_nb, as_version=4)
        check("the executed notebook is valid", nbformat.validate(nb) is None)

        code = [c for c in nb.cells if c.cell_type == "code"]
        errors = [o for c in code for o in c.outputs if o.output_type == "error"]
        check("no error output", not errors,
              "; ".join(f"{o.ename}: {o.evalue}" for o in errors))
        check("every code cell ran", all(c.execution_count for c in code))
        warnings = [o.text for c in code for o in c.outputs
                    if o.output_type == "stream" and o.name == "stderr"]
        check("nothing on stderr", not warnings, "".join(warnings)[:2000])

        images = []
        for c in code:
            for o in c.outputs:
                data = o.get("data", {})
                if "image/png" in data:
                    images.append(png_size(base64.b64decode(data["image/png"])))
        # hot functions, call tree, source lines, coverage, syscalls; fewer
        # when the trace has no calls or no syscalls.
        want = {"forker": 5, "threads": 5, "old_trace": 4, "syscalls_only": 1}[a.case]
        check(f"{want} plots", len(images) == want, f"{len(images)} images")
        check("each plot a PNG of a sensible size",
              all(s and s[0] >= 200 and s[1] >= 100 for s in images), str(images))

        # All the text the notebook showed: printed lines and tables.
        text = "\n".join(
            o.text if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
            for c in code for o in c.outputs)

        def has(name, pattern):
            check(name, re.search(pattern, text, re.M) is not None,
                  f"no match for {pattern!r} in the outputs")

        def hasnt(name, pattern):
            check(name, re.search(pattern, text, re.M) is None, f"{pattern!r} appears")

        has("the trace is named", re.escape(f"trace:        {db}"))
        n = fib_calls(10)
        if a.case == "forker":
            has("ended: exited 0", r"^ended: +exited, exit status 0\b")
            has("2 processes, exit 0 and 7", r"^2 process\(es\), exit statuses: 0, 7$")
            has("2 threads", r"^2 thread\(s\)$")
            has("function fib chosen, 354 calls", rf"^function fib: {2 * n} calls,")
            has("fib's callers: fib, main", rf"^callers: .*fib \({2 * n - 2}\).*main \(1\)")
            has("the first fib call's tree: 177 calls, 9 levels",
                rf"^call \d+ \(fib\): {n} calls in its tree, 9 levels below it")
            has("hot table: fib in forker, 354 calls", rf"^\s*\d+\s+fib\s+forker\s+{2 * n}\s")
            has("source lines of fib_impl.c", r"fib_impl\.c\s+\d+\s+\d+\s+\d+$")
            has("coverage: fib 100%", r"^\s*\d+\s+forker\s+fib\s+\d+\s+\d+\s+\d+\s+100\.0$")
            has("syscalls summary", r"^\d+ syscalls, \d+ failed, \d+ distinct$")
            has("wait4 in the syscalls", r"^\s*\d+\s+wait4\s+1\s")
            has("exit_group twice", r"^\s*\d+\s+exit_group\s+2\s")
            has("files: libc read", r"/libc\.so\.6\s+1\s")
        elif a.case == "threads":
            has("4 threads", r"^4 thread\(s\)$")
            has("1 process, exit 0", r"^1 process\(es\), exit statuses: 0$")
            has("function worker, 3 calls", r"^function worker: 3 calls,")
            has("worker's first call: itself and 10 work_items",
                r"^call \d+ \(worker\): 11 calls in its tree, 1 levels below it")
            has("worker called by start_thread in each thread", r"^callers: start_thread \(3\)$")
            has("source lines of threads.c", r"threads\.c\s+\d+\s+\d+\s+\d+$")
            has("coverage: worker 100%",
                r"^\s*\d+\s+threads\s+worker\s+\d+\s+\d+\s+\d+\s+100\.0$")
            has("syscalls: clone3 3 times (pthread_create)", r"^\s*\d+\s+clone3\s+3\s")
        elif a.case == "old_trace":
            has("fib chosen", rf"^function fib: {n} calls,")
            has("tree of fib(10)", rf"^call \d+ \(fib\): {n} calls in its tree, 9 levels")
            has("no syscalls", r"^This trace has no syscalls recorded\.$")
            has("no files", r"^This trace has no files")
        else:
            has("3 processes", r"^3 process\(es\)")
            has("sh, cat, ls", r"\[cat, in\][\s\S]*\[ls, missing\]")
            has("no calls", r"^No calls recorded in this trace")
            hasnt("no call tree", r"calls in its tree")
            wd = re.escape(os.path.realpath(os.path.join(work, "sh")))
            # path read written created deleted executed stat_only failed
            has("files: in read", rf"{wd}/in\s+1\s+0\s+0\s+0\s+0\s+0\s+0\s")
            has("files: out written and created", rf"{wd}/out\s+0\s+1\s+1\s+0\s+0\s+0\s+0\s")
            has("files: missing failed", rf"{wd}/missing\s+0\s+0\s+0\s+0\s+0\s+0\s+1\s")
        print(f"{'FAILED' if fails else 'passed'}: {fails} check(s) failed; work folder {work}")
        return 1 if fails else 0
    finally:
        if not a.keep and not fails:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
