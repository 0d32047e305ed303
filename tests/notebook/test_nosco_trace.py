"""Unit tests of samples/nosco_trace.py on traces of the samples made by the
real nosco-sql, checked against facts fixed by the samples' source (never
against output copied from a run):

  fib      fib(10) makes 177 calls to fib; the call tree of fib(10) follows
           fib's recursion; each line of fib runs a number of times the
           recursion fixes (samples/fib.c, fib_impl.c)
  threads  4 threads; thread i calls work_item 10 * (i + 1) times
           (samples/threads.c)
  forker   2 processes, the child exits 7, each calls fib(10)
           (samples/forker.c)
  shell    sh -c 'cat in > out; ls missing' with --syscalls-only: in read,
           out written and created, missing failed; no calls at all
  old      the fib trace without the syscalls table and what reads it, as
           written before syscalls were recorded

  test_nosco_trace.py --nosco NOSCO --samples DIR --src SRCDIR [unittest args]

Exit status 77 (skipped) when pandas is missing or ptrace is not permitted.
"""

import argparse
import os
import re
import sqlite3
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracing  # noqa: E402

ARGS = None
TRACES = {}
WORK = None


def fib_calls(n):
    """Calls to fib made by fib(n), by fib's definition (fib_impl.c)."""
    return 1 if n < 2 else 1 + fib_calls(n - 1) + fib_calls(n - 2)


def fib_leaves(n):
    """Calls of fib(n)'s tree that take the `return n` branch (n < 2)."""
    return 1 if n < 2 else fib_leaves(n - 1) + fib_leaves(n - 2)


def fib_depths(n, d=0, acc=None):
    """Number of calls at each depth of fib(n)'s tree (fib(n) at depth 0)."""
    acc = {} if acc is None else acc
    acc[d] = acc.get(d, 0) + 1
    if n >= 2:
        fib_depths(n - 1, d + 1, acc)
        fib_depths(n - 2, d + 1, acc)
    return acc


def source_line(path, pattern, after=None):
    """The number of the first line of PATH matching the regex PATTERN
    (after line AFTER)."""
    with open(path) as f:
        for n, text in enumerate(f, 1):
            if (after is None or n > after) and re.search(pattern, text):
                return n
    raise AssertionError(f"{path}: no line matches {pattern!r}")


def setUpModule():
    global WORK
    WORK = tempfile.mkdtemp(prefix="nosco-nb-")
    samples = ARGS.samples
    for name, prog in (("fib", "fib"), ("threads", "threads"), ("forker", "forker")):
        out = os.path.join(WORK, name + ".db")
        status = tracing.trace(ARGS.nosco, [os.path.join(samples, prog)], out)
        TRACES[name] = (out, status)
    out = os.path.join(WORK, "shell.db")
    status, plain = tracing.shell_case(ARGS.nosco, os.path.join(WORK, "sh"), out)
    TRACES["shell"] = (out, status, plain)
    old = os.path.join(WORK, "old.db")
    tracing.make_old_trace(TRACES["fib"][0], old)
    TRACES["old"] = (old, TRACES["fib"][1])


def tearDownModule():
    import shutil
    if WORK and not os.environ.get("NOSCO_KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)


class Opening(unittest.TestCase):
    def test_info(self):
        with nt.open_trace(TRACES["fib"][0]) as tr:
            info = tr.info()
        self.assertEqual(info["format"], nt.FORMAT)
        self.assertEqual(info["end_reason"], "exited")
        self.assertEqual(info["exit_status"], 0)     # fib(10) == 55
        self.assertEqual(info["argv"], [os.path.join(ARGS.samples, "fib")])
        self.assertIsInstance(info["options"], dict)

    def test_read_only(self):
        path = TRACES["fib"][0]
        before = os.stat(path).st_mtime_ns
        with nt.open_trace(path) as tr:
            with self.assertRaises(sqlite3.OperationalError):
                tr.conn.execute("CREATE TABLE mine (x)")
            with self.assertRaises(sqlite3.OperationalError):
                tr.conn.execute("DELETE FROM calls")
        self.assertEqual(os.stat(path).st_mtime_ns, before)

    def test_not_a_trace(self):
        missing = os.path.join(WORK, "missing.db")
        with self.assertRaisesRegex(nt.TraceError, "no such file"):
            nt.open_trace(missing)
        text = os.path.join(WORK, "text.db")
        with open(text, "w") as f:
            f.write("not a database\n" * 100)
        with self.assertRaisesRegex(nt.TraceError, "not an SQLite database"):
            nt.open_trace(text)
        other = os.path.join(WORK, "other.db")
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        with self.assertRaisesRegex(nt.TraceError, "not a nosco-sql trace"):
            nt.open_trace(other)

    def test_newer_schema(self):
        newer = os.path.join(WORK, "newer.db")
        with open(TRACES["fib"][0], "rb") as s, open(newer, "wb") as d:
            d.write(s.read())
        db = sqlite3.connect(newer)
        db.execute(f"PRAGMA user_version = {nt.SCHEMA_VERSION + 1}")
        db.commit()
        db.close()
        with self.assertRaisesRegex(nt.TraceError, "newer"):
            nt.open_trace(newer)

    def test_sql(self):
        with nt.open_trace(TRACES["fib"][0]) as tr:
            df = tr.sql("SELECT count(*) AS n FROM calls c JOIN functions f "
                        "ON f.id = c.function_id WHERE f.name = ?", ("fib",))
        self.assertEqual(df.n[0], fib_calls(10))


class Fib(unittest.TestCase):
    """samples/fib.c: main calls fib(10) once, exits 0."""

    @classmethod
    def setUpClass(cls):
        cls.tr = nt.open_trace(TRACES["fib"][0])
        cls.src = os.path.join(ARGS.src, "samples", "fib_impl.c")

    @classmethod
    def tearDownClass(cls):
        cls.tr.close()

    def test_processes_and_threads(self):
        p = self.tr.processes()
        self.assertEqual(list(p.process), [1])
        self.assertTrue(p.parent.isna().all())
        self.assertEqual(list(p.exit_status), [0])
        self.assertEqual(list(p.threads), [1])
        t = self.tr.threads()
        self.assertEqual(list(t.thread), [1])
        self.assertEqual(list(t.exit_status), [0])
        self.assertEqual(t.instructions[0], self.tr.info()["instructions"])

    def test_hot_functions(self):
        hot = self.tr.hot_functions()
        fib = hot[hot.function == "fib"]
        self.assertEqual(len(fib), 1)
        self.assertEqual(fib.calls.iloc[0], fib_calls(10))
        self.assertEqual(fib.binary.iloc[0], "fib")
        # fib calls nothing but fib: inclusive (outermost call) = exclusive.
        self.assertEqual(fib.exclusive.iloc[0], fib.inclusive.iloc[0])
        self.assertEqual(hot[hot.function == "main"].calls.iloc[0], 1)
        self.assertTrue(hot.exclusive.is_monotonic_decreasing)
        by_calls = self.tr.hot_functions(5, by="calls")
        self.assertEqual(len(by_calls), 5)
        self.assertTrue(by_calls.calls.is_monotonic_decreasing)
        self.assertEqual(list(self.tr.hot_functions(binary="fib").binary.unique()), ["fib"])
        with self.assertRaises(ValueError):
            self.tr.hot_functions(by="nonsense")

    def test_calls_of(self):
        calls = self.tr.calls_of("fib")
        self.assertEqual(len(calls), fib_calls(10))
        self.assertEqual(calls.caller.value_counts().to_dict(),
                         {"fib": fib_calls(10) - 1, "main": 1})
        self.assertEqual(set(calls.end_kind), {"ret"})
        self.assertEqual(len(self.tr.calls_of("fib", binary="libc.so.6")), 0)
        self.assertEqual(self.tr.first_call("fib"), calls.call.min())
        self.assertIsNone(self.tr.first_call("no_such_function"))

    def test_call_tree(self):
        first = self.tr.first_call("fib")
        tree = self.tr.call_tree(first)
        self.assertEqual(len(tree), fib_calls(10))
        self.assertEqual(tree.call[0], first)
        self.assertEqual(set(tree.function), {"fib"})
        self.assertEqual(tree.groupby("depth").size().to_dict(), fib_depths(10))
        # Pre-order: ids grow, each parent is already listed.
        self.assertTrue(tree.call.is_monotonic_increasing)
        seen = set()
        for call, parent in zip(tree.call, tree.parent):
            if call != first:
                self.assertIn(parent, seen)
            seen.add(call)
        # inclusive = self + the children's inclusive.
        kids = tree.groupby("parent").inclusive.sum().to_dict()
        for r in tree.itertuples():
            self.assertEqual(r.inclusive, r.self + kids.get(r.call, 0))
        # One thread: a call's inclusive count is its seq span.
        self.assertTrue((tree.inclusive == tree.exit_seq - tree.entry_seq).all())
        self.assertEqual(tree.inclusive[0], self.tr.calls_of("fib").self.sum())
        self.assertEqual(tree.tree[1], "  fib")
        cut = self.tr.call_tree(first, max_depth=1)
        self.assertEqual(list(cut.depth), [0, 1, 1])         # fib(10), fib(9), fib(8)
        self.assertEqual(cut.inclusive[0], tree.inclusive[0])
        self.assertTrue(self.tr.call_tree(10 ** 12).empty)

    def test_tree_layout(self):
        tree = self.tr.call_tree(self.tr.first_call("fib"))
        lay = nt.tree_layout(tree)
        self.assertEqual(lay.x[0], 0)
        self.assertEqual(lay.width[0], tree.inclusive[0])
        box = {r.call: (r.x, r.x + r.width) for r in lay.itertuples()}
        for r in lay.itertuples():
            if r.depth:
                lo, hi = box[r.parent]
                self.assertTrue(lo <= r.x and r.x + r.width <= hi)
        # Siblings do not overlap.
        for _, sib in lay[lay.depth > 0].groupby("parent"):
            ends = list(zip(sib.x, sib.x + sib.width))
            for (a0, a1), (b0, b1) in zip(ends, ends[1:]):
                self.assertLessEqual(a1, b0)

    def test_line_heat(self):
        heat = self.tr.line_heat("fib")
        self.assertEqual(set(heat.file.map(os.path.basename)), {"fib_impl.c"})
        per = dict(zip(heat.line, zip(heat.executed, heat["distinct"])))
        sig = source_line(self.src, r"int fib\(int n\)")
        # How many times each line runs, from fib's recursion: every call
        # runs the entry and the test; the leaves (n < 2) return n; the
        # others recurse twice and add.
        passes = {
            source_line(self.src, r"^\{", sig): fib_calls(10),
            source_line(self.src, r"if \(n < 2\)"): fib_calls(10),
            source_line(self.src, r"return n;"): fib_leaves(10),
            source_line(self.src, r"int a = fib\(n - 1\);"): fib_calls(10) - fib_leaves(10),
            source_line(self.src, r"int b = fib\(n - 2\);"): fib_calls(10) - fib_leaves(10),
            source_line(self.src, r"return a \+ b;"): fib_calls(10) - fib_leaves(10),
            source_line(self.src, r"^\}", sig): fib_calls(10),
        }
        for line, n in passes.items():
            self.assertIn(line, per)
            executed, distinct = per[line]
            self.assertGreater(distinct, 0)
            # At -O0 every instruction of these lines runs once per pass.
            self.assertEqual(executed, n * distinct, f"line {line}")
        # Every instruction of fib is counted once: the calls table agrees.
        self.assertEqual(heat.executed.sum(), self.tr.calls_of("fib").self.sum())
        # And so does the exec_trace view, one row per instruction.
        view = self.tr.sql("SELECT source, count(*) AS n FROM exec_trace "
                           "WHERE function = 'fib' GROUP BY source")
        mine = {f"{f}:{l}": e for f, l, e in zip(heat.file, heat.line, heat.executed)}
        self.assertEqual(dict(zip(view.source, view.n)), mine)
        self.assertTrue(self.tr.line_heat("no_such_function").empty)

    def test_source_lines(self):
        heat = self.tr.line_heat("fib")
        text = self.tr.source_lines(heat.file[0], 1, 3)
        self.assertEqual(sorted(text), [1, 2, 3])
        with open(self.src) as f:
            self.assertEqual(text[1], f.readline().rstrip("\n"))
        self.assertIsNone(self.tr.source_lines(os.path.join(WORK, "nowhere.c")))

    def test_coverage(self):
        cov = self.tr.coverage()
        fib = cov[(cov.function == "fib") & (cov.binary == "fib")]
        self.assertEqual(len(fib), 1)
        # Both branches of fib ran: every byte of it.
        self.assertEqual(fib.percent.iloc[0], 100.0)
        self.assertEqual(fib.bytes.iloc[0], fib["size"].iloc[0])
        self.assertTrue((cov.bytes[cov["size"] > 0] <= cov["size"][cov["size"] > 0]).all())
        only = self.tr.coverage(binary="fib")
        self.assertEqual(set(only.binary), {"fib"})
        self.assertIn("main", set(only.function))

    def test_default_function(self):
        self.assertEqual(self.tr.default_function(), "fib")
        self.assertEqual(self.tr.executable(), "fib")

    def test_syscalls(self):
        self.assertTrue(self.tr.has_syscalls())
        sc = self.tr.syscalls()
        self.assertEqual(sc.calls.sum(), self.tr.sql("SELECT count(*) AS n FROM syscalls").n[0])
        # The program ends by exit_group (returning from main), once.
        self.assertEqual(sc[sc.syscall == "exit_group"].calls.iloc[0], 1)
        self.assertTrue(sc.calls.is_monotonic_decreasing)
        failed = self.tr.failed_syscalls()
        self.assertEqual(len(failed), sc.errors.sum())
        files = self.tr.files()
        self.assertEqual(list(files.columns),
                         ["path", "read", "written", "created", "deleted", "executed",
                          "stat_only", "failed", "syscalls", "processes"])
        # The dynamic loader reads libc (the sample is linked with it).
        libc = files[files.path.str.endswith("/libc.so.6") & (files.read == 1)]
        self.assertGreaterEqual(len(libc), 1)


class Threads(unittest.TestCase):
    """samples/threads.c: main starts 3 threads; thread i calls work_item
    10 * (i + 1) times."""

    @classmethod
    def setUpClass(cls):
        cls.tr = nt.open_trace(TRACES["threads"][0])

    @classmethod
    def tearDownClass(cls):
        cls.tr.close()

    def test_threads(self):
        self.assertEqual(TRACES["threads"][1], 0)
        t = self.tr.threads()
        self.assertEqual(list(t.thread), [1, 2, 3, 4])
        self.assertEqual(t.parent.tolist()[1:], [1, 1, 1])
        self.assertTrue(pd.isna(t.parent[0]))
        self.assertEqual(list(t.exit_status), [0, 0, 0, 0])
        self.assertEqual(set(t.process), {1})
        self.assertEqual(list(self.tr.processes().threads), [4])

    def test_work_item_per_thread(self):
        calls = self.tr.calls_of("work_item")
        self.assertEqual(calls.groupby("thread").size().to_dict(), {2: 10, 3: 20, 4: 30})
        self.assertEqual(set(calls.caller), {"worker"})
        hot = self.tr.hot_functions(by="calls")
        self.assertEqual(hot[hot.function == "work_item"].calls.iloc[0], 60)
        self.assertEqual(hot[hot.function == "worker"].calls.iloc[0], 3)

    def test_worker_trees(self):
        # Each worker call's tree: itself and its work_item calls.
        # Threads start in creation order but the scheduler decides which
        # worker enters first, so order them by thread, not by call id.
        workers = self.tr.calls_of("worker").sort_values("thread").reset_index(drop=True)
        self.assertEqual(list(workers.thread), [2, 3, 4])
        for i, call in enumerate(workers.call):
            tree = self.tr.call_tree(call)
            self.assertEqual(len(tree[tree.function == "work_item"]), 10 * (i + 1))
            self.assertEqual(tree.depth.max(), 1)
            self.assertEqual(set(tree.thread), {i + 2})
            kids = tree.inclusive[1:].sum()
            self.assertEqual(tree.inclusive[0], tree.self[0] + kids)

    def test_root_tree_inclusive(self):
        # A thread's root call's inclusive count is all the thread executed.
        t = self.tr.threads()
        for thread, n in zip(t.thread, t.instructions):
            root = self.tr.sql("SELECT root_call_id AS c FROM threads WHERE id = ?",
                               (int(thread),)).c[0]
            self.assertEqual(self.tr.call_tree(int(root)).inclusive[0], n)


class Forker(unittest.TestCase):
    """samples/forker.c: main calls fib(10), forks; the child calls fib(10)
    and exits 7; main exits 0."""

    @classmethod
    def setUpClass(cls):
        cls.tr = nt.open_trace(TRACES["forker"][0])

    @classmethod
    def tearDownClass(cls):
        cls.tr.close()

    def test_processes(self):
        self.assertEqual(TRACES["forker"][1], 0)
        p = self.tr.processes()
        self.assertEqual(list(p.process), [1, 2])
        self.assertEqual(p.parent.tolist()[1], 1)
        self.assertEqual(list(p.exit_status), [0, 7])
        self.assertEqual(list(p.threads), [1, 1])
        self.assertEqual(p.argv[0], [os.path.join(ARGS.samples, "forker")])
        self.assertEqual(p.syscalls.sum(), self.tr.syscalls().calls.sum())

    def test_same_function_two_processes(self):
        hot = self.tr.hot_functions()
        fib = hot[hot.function == "fib"]
        self.assertEqual(len(fib), 1)                     # one row for both processes
        self.assertEqual(fib.calls.iloc[0], 2 * fib_calls(10))
        calls = self.tr.calls_of("fib")
        self.assertEqual(calls.groupby("process").size().to_dict(),
                         {1: fib_calls(10), 2: fib_calls(10)})
        # Lines: counted in both processes, distinct instructions once.
        heat = self.tr.line_heat("fib")
        line = source_line(os.path.join(ARGS.src, "samples", "fib_impl.c"), r"return n;")
        row = heat[heat.line == line]
        self.assertEqual(row.executed.iloc[0], 2 * fib_leaves(10) * row["distinct"].iloc[0])
        # Coverage: fib's bytes once, not once per process.
        cov = self.tr.coverage(binary="forker")
        fibc = cov[cov.function == "fib"]
        self.assertEqual(len(fibc), 1)
        self.assertEqual(fibc.percent.iloc[0], 100.0)

    def test_syscalls(self):
        sc = self.tr.syscalls().set_index("syscall")
        # Both processes end with exit_group: main returns, the child _exits.
        self.assertEqual(sc.calls["exit_group"], 2)
        # The parent's waitpid (wait4) returns the child's pid.
        child = int(self.tr.processes().pid[1])
        rets = self.tr.sql("SELECT ret FROM syscalls WHERE name = 'wait4' AND errno IS NULL").ret
        self.assertIn(child, set(rets))


class SyscallsOnly(unittest.TestCase):
    """sh -c 'cat in > out; ls missing' traced with --syscalls-only: three
    processes, no instructions, no calls."""

    @classmethod
    def setUpClass(cls):
        cls.tr = nt.open_trace(TRACES["shell"][0])
        cls.work = os.path.realpath(os.path.join(WORK, "sh"))

    @classmethod
    def tearDownClass(cls):
        cls.tr.close()

    def test_processes(self):
        _, status, plain = TRACES["shell"]
        self.assertEqual(status, plain)
        p = self.tr.processes()
        self.assertEqual([os.path.basename(a[0]) for a in p.argv], ["sh", "cat", "ls"])
        self.assertEqual(p.parent.tolist()[1:], [1, 1])
        self.assertEqual(p.exit_status[0], plain)
        self.assertEqual(list(p.execs), [0, 1, 1])

    def test_files(self):
        files = self.tr.files().set_index("path")
        f = lambda name: files.loc[os.path.join(self.work, name)]
        self.assertEqual((f("in").read, f("in").written, f("in").failed), (1, 0, 0))
        self.assertEqual((f("out").written, f("out").created, f("out").failed), (1, 1, 0))
        self.assertEqual((f("missing").read, f("missing").failed), (0, 1))
        failed = self.tr.failed_syscalls()
        self.assertIn(os.path.join(self.work, "missing"), set(failed.path))

    def test_no_calls(self):
        self.assertTrue(self.tr.hot_functions().empty)
        self.assertEqual(list(self.tr.hot_functions().columns),
                         ["function", "binary", "calls", "exclusive", "inclusive"])
        self.assertIsNone(self.tr.default_function())
        self.assertTrue(self.tr.coverage().empty)
        self.assertTrue(self.tr.line_heat("main").empty)
        self.assertTrue(self.tr.calls_of("main").empty)
        self.assertEqual(list(self.tr.threads().instructions), [0, 0, 0])


class OldTrace(unittest.TestCase):
    """The fib trace without syscalls, execs and what reads them."""

    @classmethod
    def setUpClass(cls):
        cls.tr = nt.open_trace(TRACES["old"][0])

    @classmethod
    def tearDownClass(cls):
        cls.tr.close()

    def test_really_old(self):
        for name in ("syscalls", "execs", "file_events", "q_files", "q_syscalls"):
            self.assertFalse(self.tr.has(name), name)
        self.assertTrue(self.tr.has("calls"))

    def test_empty_but_shaped(self):
        self.assertFalse(self.tr.has_syscalls())
        self.assertTrue(self.tr.syscalls().empty)
        self.assertEqual(list(self.tr.syscalls().columns),
                         ["syscall", "calls", "errors", "total_us", "avg_us"])
        self.assertTrue(self.tr.files().empty)
        self.assertIn("path", self.tr.files().columns)
        self.assertTrue(self.tr.failed_syscalls().empty)
        p = self.tr.processes()
        self.assertEqual((p.execs[0], p.syscalls[0], p.exit_status[0]), (0, 0, 0))

    def test_the_rest_still_works(self):
        self.assertEqual(len(self.tr.calls_of("fib")), fib_calls(10))
        self.assertEqual(len(self.tr.call_tree(self.tr.first_call("fib"))), fib_calls(10))
        self.assertEqual(self.tr.default_function(), "fib")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--nosco", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--src", required=True)
    ARGS, rest = ap.parse_known_args()
    for a in ("nosco", "samples", "src"):
        setattr(ARGS, a, os.path.abspath(getattr(ARGS, a)))
    tracing.require("pandas")
    import pandas as pd
    sys.path.insert(0, os.path.join(ARGS.src, "samples"))
    import nosco_trace as nt
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
