"""nosco_trace: read a nosco-sql trace from Python, as pandas DataFrames.

A nosco-sql trace is a plain SQLite file (tables and views documented in
schema/README.md), so the standard library's sqlite3 reads it. This module
adds the few queries an analysis keeps asking, each returning a DataFrame,
and is what samples/analysis.ipynb uses. It needs only the standard library
and pandas; plotting is left to the caller.

    import nosco_trace as nt
    with nt.open_trace("fib.trace.db") as tr:
        print(tr.info()["exit_status"])
        print(tr.hot_functions(10))
        fib10 = tr.first_call("fib")
        print(tr.call_tree(fib10, max_depth=2))
        print(tr.line_heat("fib"))

Functions of the same name in the same binary are counted together across
processes (a forked child has its own rows for the binaries it shares with
its parent). Traces written before syscalls were recorded have no
`syscalls` table and no `file_events` view: `syscalls()`, `files()` and
`failed_syscalls()` then return empty DataFrames with the usual columns,
and `has_syscalls()` says False.

The file is opened read-only (SQLite URI `mode=ro`) with
`trusted_schema = OFF` and `query_only = ON`: a trace is data from a traced
program and is read as untrusted.
"""

import json
import os
import sqlite3
import urllib.parse

import pandas as pd

__all__ = ["open_trace", "Trace", "TraceError", "tree_layout", "FORMAT", "SCHEMA_VERSION"]

#: trace.format of every nosco-sql trace.
FORMAT = "nosco-sql trace"
#: Newest PRAGMA user_version this module understands.
SCHEMA_VERSION = 1


class TraceError(Exception):
    """The file is missing, not SQLite, not a nosco-sql trace, or too new."""


def open_trace(path):
    """Open the trace at `path` read-only and return a `Trace`.

    Raises `TraceError` with a one-line reason when `path` does not exist,
    is not an SQLite file, is not a nosco-sql trace, or has a schema newer
    than this module knows. The path defaults nowhere: pass it explicitly
    (the notebook reads it from $NOSCO_TRACE).
    """
    return Trace(path)


class Trace:
    """A nosco-sql trace opened read-only. Use as a context manager or call
    `close()`. `conn` is the underlying sqlite3 connection, for your own SQL
    (or use `sql()`, which returns a DataFrame)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise TraceError(f"{self.path}: no such file")
        uri = "file:" + urllib.parse.quote(os.path.abspath(self.path)) + "?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True)
        except sqlite3.Error as e:
            raise TraceError(f"{self.path}: cannot open: {e}") from None
        try:
            self.conn.execute("PRAGMA trusted_schema = OFF")
            self.conn.execute("PRAGMA query_only = ON")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            names = self._names()
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise TraceError(f"{self.path}: not an SQLite database ({e})") from None
        fmt = None
        if "trace" in names:
            try:
                row = self.conn.execute("SELECT format FROM trace WHERE id = 1").fetchone()
                fmt = row[0] if row else None
            except sqlite3.Error:
                fmt = None
        if fmt != FORMAT:
            self.conn.close()
            raise TraceError(f"{self.path}: not a nosco-sql trace")
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise TraceError(f"{self.path}: trace schema version {version} is newer than "
                             f"this module's ({SCHEMA_VERSION})")
        self._objects = names

    # -- basics --------------------------------------------------------------

    def close(self):
        """Close the connection."""
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Trace({self.path!r})"

    def _names(self):
        return {r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}

    def has(self, name):
        """True if the trace has a table or view called `name`."""
        return name in self._objects

    def sql(self, query, params=()):
        """Run any SQL on the trace and return the result as a DataFrame."""
        return pd.read_sql_query(query, self.conn, params=params)

    def _empty(self, columns):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})

    @staticmethod
    def _ints(df, *columns):
        """Integer columns that may hold NULL: pandas' nullable Int64 (shown
        as <NA>) instead of floats or objects."""
        for c in columns:
            df[c] = df[c].astype("Int64")
        return df

    def info(self):
        """The `trace` row as a dict: argv (a list), cwd, engine, options (a
        dict), start_time, end_time, end_reason, exit_status, exit_signal,
        instructions, error, tool_version."""
        cur = self.conn.execute("SELECT * FROM trace WHERE id = 1")
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
        for key in ("argv", "options"):
            if isinstance(row.get(key), str):
                try:
                    row[key] = json.loads(row[key])
                except ValueError:
                    pass
        return row

    # -- who ran -------------------------------------------------------------

    def processes(self):
        """One row per process: process, pid, parent, executable, argv (a
        list), execs, threads, syscalls, exit_status, exit_signal. execs and
        syscalls are 0 in traces that predate their tables."""
        execs = ("(SELECT count(*) FROM execs e WHERE e.process_id = p.id)"
                 if self.has("execs") else "0")
        sys_n = ("(SELECT count(*) FROM syscalls y JOIN threads h ON h.id = y.thread_id"
                 " WHERE h.process_id = p.id)" if self.has("syscalls") else "0")
        df = self.sql(f"""
            SELECT p.id AS process, p.pid, p.parent_id AS parent, p.executable,
                   p.argv, {execs} AS execs,
                   (SELECT count(*) FROM threads h WHERE h.process_id = p.id) AS threads,
                   {sys_n} AS syscalls, p.exit_status, p.exit_signal
            FROM processes p ORDER BY p.id""")
        df["argv"] = df["argv"].map(lambda a: json.loads(a) if isinstance(a, str) else a)
        return self._ints(df, "parent", "exit_status", "exit_signal")

    def threads(self):
        """One row per thread (the `thread_info` view, like the `threads`
        canned query): thread, tid, process, parent, created_in (the function
        of the call that created it), root_function, calls, instructions,
        first_seq, last_seq, exit_status, exit_signal."""
        return self._ints(self.sql("""
            SELECT t.id AS thread, t.tid, t.process_id AS process, t.parent_id AS parent,
                   cf.name AS created_in, t.root_function, t.calls, t.instructions,
                   t.first_seq, t.last_seq, t.exit_status, t.exit_signal
            FROM thread_info t
            LEFT JOIN calls cc ON cc.id = t.creating_call_id
            LEFT JOIN functions cf ON cf.id = cc.function_id
            ORDER BY t.id"""), "parent", "last_seq", "exit_status", "exit_signal")

    # -- where the time went -------------------------------------------------

    def hot_functions(self, limit=None, by="exclusive", binary=None):
        """Functions by instructions executed, from the `q_hot` view (the
        `hot` canned query): function, binary, calls, exclusive (instructions
        in the function's own calls, not their sub-calls), inclusive (with
        sub-calls; a recursive call counted once, in the outermost). Rows of
        the same function and binary in several processes are added up.
        `by`: 'exclusive', 'inclusive' or 'calls', the sort order (largest
        first); `limit`: keep that many rows; `binary`: only functions of
        that binary (its file name)."""
        if by not in ("exclusive", "inclusive", "calls"):
            raise ValueError("by must be 'exclusive', 'inclusive' or 'calls'")
        df = self.sql("SELECT function, binary, calls, exclusive, inclusive FROM q_hot")
        df["binary"] = df["binary"].fillna("?")
        if binary is not None:
            df = df[df["binary"] == binary]
        if df.empty:
            return df.astype({c: "int64" for c in ("calls", "exclusive", "inclusive")})
        df = (df.groupby(["function", "binary"], as_index=False, sort=False)
                [["calls", "exclusive", "inclusive"]].sum())
        df = df.sort_values([by, "calls", "function"], ascending=[False, False, True],
                            kind="mergesort").reset_index(drop=True)
        return df.head(limit) if limit else df

    def calls_of(self, function, binary=None):
        """Every call of a function (by name, demangled or raw; `binary`: the
        file name of its binary, to tell apart functions of the same name):
        call, thread, process, depth, caller, entry_seq, exit_seq, end_kind,
        self (instructions in the call itself), ordered by call id (the order
        of entry within a thread; across threads the scheduler decides)."""
        return self.sql("""
            SELECT c.id AS call, c.thread_id AS thread, t.process_id AS process, c.depth,
                   coalesce(pf.name, printf('0x%x', p.addr)) AS caller,
                   c.entry_seq, c.exit_seq, c.end_kind, c.instructions AS self
            FROM functions f
            JOIN binaries b ON b.id = f.binary_id
            JOIN calls c ON c.function_id = f.id
            JOIN threads t ON t.id = c.thread_id
            LEFT JOIN calls p ON p.id = c.parent_id
            LEFT JOIN functions pf ON pf.id = p.function_id
            WHERE (f.name = :fn OR f.raw_name = :fn) AND (:bin IS NULL OR b.name = :bin)
            ORDER BY c.id""", {"fn": function, "bin": binary})

    def first_call(self, function, binary=None):
        """The id of the first call of `function` (None if it was never
        called): for a recursive function, the outermost call."""
        row = self.conn.execute("""
            SELECT min(c.id) FROM functions f JOIN binaries b ON b.id = f.binary_id
            JOIN calls c ON c.function_id = f.id
            WHERE (f.name = :fn OR f.raw_name = :fn) AND (:bin IS NULL OR b.name = :bin)""",
            {"fn": function, "bin": binary}).fetchone()
        return row[0]

    def call_tree(self, call_id, max_depth=None):
        """The tree of calls under call `call_id` (a recursive CTE over
        calls.parent_id), in order of entry (a depth-first pre-order): call,
        parent, thread, depth (0 for the call itself), tree (the function
        name indented by depth), function, binary, kind, entry_seq, exit_seq,
        end_kind, recorded, self (instructions in the call itself), inclusive
        (self plus every call below it). `max_depth` keeps the rows at depth
        <= max_depth (inclusive still counts the whole tree). An unknown id
        gives an empty DataFrame."""
        df = self.sql("""
            WITH RECURSIVE sub(id, rel) AS (
              SELECT id, 0 FROM calls WHERE id = :id
              UNION ALL
              SELECT c.id, sub.rel + 1 FROM sub JOIN calls c ON c.parent_id = sub.id
            )
            SELECT c.id AS call, c.parent_id AS parent, c.thread_id AS thread,
                   sub.rel AS depth,
                   coalesce(f.name, printf('0x%x', c.addr)) AS function,
                   b.name AS binary, c.kind, c.entry_seq, c.exit_seq, c.end_kind,
                   c.recorded, c.instructions AS self
            FROM sub JOIN calls c ON c.id = sub.id
            LEFT JOIN functions f ON f.id = c.function_id
            LEFT JOIN binaries b ON b.id = f.binary_id
            ORDER BY c.id""", {"id": int(call_id)})
        inclusive = dict(zip(df["call"], df["self"].astype("int64")))
        root = int(call_id)
        for call, parent in zip(df["call"].iloc[::-1], df["parent"].iloc[::-1]):
            if call != root and parent in inclusive:
                inclusive[parent] += inclusive[call]
        df["inclusive"] = df["call"].map(inclusive).astype("int64")
        df = self._ints(df, "parent", "exit_seq")
        df.insert(4, "tree", ["  " * d + f for d, f in zip(df["depth"], df["function"])])
        if max_depth is not None:
            df = df[df["depth"] <= max_depth].reset_index(drop=True)
        return df

    # -- source lines and coverage -------------------------------------------

    def line_heat(self, function, binary=None):
        """Instructions executed per source line of a function (every call of
        it, every thread and process): file, line, executed (instructions
        executed on that line), distinct (distinct instructions of the line
        that ran, by address in their binary), in line order. Each run in `exec_blocks` counts its
        block's instructions, so this equals
        `SELECT source, count(*) FROM exec_trace WHERE function = ? GROUP BY source`
        without expanding the whole trace. Instructions without line
        information are counted under line None."""
        return self.sql("""
            WITH fi AS MATERIALIZED (
              SELECT i.id, i.file_id, i.line, b.path || ':' || i.offset AS place FROM functions f
              JOIN binaries b ON b.id = f.binary_id
              CROSS JOIN instructions i ON i.function_id = f.id
              WHERE (f.name = :fn OR f.raw_name = :fn) AND (:bin IS NULL OR b.name = :bin)
            ),
            fb AS MATERIALIZED (
              SELECT DISTINCT bi.block_id FROM fi
              CROSS JOIN block_instructions bi ON bi.instruction_id = fi.id
            ),
            runs AS MATERIALIZED (
              SELECT e.block_id, count(*) AS n FROM exec_blocks e
              WHERE e.block_id IN (SELECT block_id FROM fb) GROUP BY e.block_id
            )
            SELECT sf.path AS file, fi.line AS line, sum(r.n) AS executed,
                   count(DISTINCT fi.place) AS distinct_
            FROM fi
            CROSS JOIN block_instructions bi ON bi.instruction_id = fi.id
            JOIN runs r ON r.block_id = bi.block_id
            LEFT JOIN source_files sf ON sf.id = fi.file_id
            GROUP BY fi.file_id, fi.line
            ORDER BY sf.path, fi.line""", {"fn": function, "bin": binary}
        ).rename(columns={"distinct_": "distinct"})

    def source_lines(self, path, first=None, last=None):
        """The text of source file `path` as {line number: text}, lines
        `first`..`last` (1-based, inclusive; default all): from the trace
        itself when it embeds that file (run --embed-sources), else from
        the file at `path` on this machine; None if neither has it (the
        trace names the path it was built from)."""
        text = None
        if self.has("source_lines") and self.has("sources"):
            rows = self.conn.execute(
                "SELECT CAST(l.text AS BLOB) FROM sources s JOIN source_lines l"
                " ON l.file_id = s.file_id WHERE s.path = ? AND s.status = 'ok'"
                " ORDER BY l.line", (path,)).fetchall()
            if rows or self.conn.execute("SELECT 1 FROM sources WHERE path = ? AND"
                                         " status = 'ok'", (path,)).fetchone():
                text = [r[0].decode("utf-8", errors="replace") for r in rows]
        if text is None:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read().splitlines()
            except OSError:
                return None
        lo = max(1, first or 1)
        hi = min(len(text), last or len(text))
        return {n: text[n - 1] for n in range(lo, hi + 1)}

    def coverage(self, binary=None):
        """Code coverage of every function that ran: binary, function, size
        (bytes, from the symbol table), instructions (distinct instructions
        executed), bytes (their bytes), percent (bytes / size). Like the
        `coverage` canned query, per function, except that a function's
        instructions are counted once across processes (a forked child has
        its own copy of its parent's binaries). The `functions` table only
        holds functions that ran or were called, so functions that never ran
        are not listed. `binary`: only that binary (its file name). Sorted
        by binary, then by bytes executed."""
        return self.sql("""
            WITH x AS (
              SELECT DISTINCT b.path AS bpath, b.name AS binary, coalesce(b.build_id, '') AS bid,
                     f.name AS function, f.offset AS foff, f.size AS fsize,
                     i.offset AS ioff, i.size AS isize
              FROM instructions i
              JOIN functions f ON f.id = i.function_id
              JOIN binaries b ON b.id = i.binary_id
              WHERE :bin IS NULL OR b.name = :bin
            )
            SELECT binary, function, fsize AS size, count(*) AS instructions,
                   sum(isize) AS bytes, round(100.0 * sum(isize) / nullif(fsize, 0), 1) AS percent
            FROM x GROUP BY bpath, bid, foff, function
            ORDER BY binary, bytes DESC, function""", {"bin": binary})

    def executable(self):
        """The file name of the program's executable (the `exe` binary of
        process 1), or None."""
        row = self.conn.execute("""
            SELECT name FROM binaries WHERE kind = 'exe' ORDER BY process_id = 1 DESC, id
            LIMIT 1""").fetchone()
        return row[0] if row else None

    def default_function(self):
        """A function worth looking at first: the one that executed the most
        instructions in its own calls, preferring functions of the executable
        (binaries.kind = 'exe') and, among them, those with source line
        information. None if no call of a known function was recorded
        (e.g. a trace made with --syscalls-only)."""
        row = self.conn.execute("""
            SELECT f.name FROM calls c
            JOIN functions f ON f.id = c.function_id
            JOIN binaries b ON b.id = f.binary_id
            GROUP BY f.name
            ORDER BY max(b.kind = 'exe') DESC,
                     max(EXISTS (SELECT 1 FROM instructions i
                                  WHERE i.function_id = f.id AND i.line IS NOT NULL)) DESC,
                     sum(c.instructions) DESC, f.name
            LIMIT 1""").fetchone()
        return row[0] if row else None

    # -- syscalls and files --------------------------------------------------

    def has_syscalls(self):
        """True if the trace recorded syscalls (has a non-empty `syscalls`
        table)."""
        return (self.has("syscalls")
                and self.conn.execute("SELECT EXISTS (SELECT 1 FROM syscalls)").fetchone()[0] == 1)

    def syscalls(self):
        """Syscall counts per name, like `strace -c` (the `syscalls` canned
        query): syscall, calls, errors, total_us, avg_us, most called first.
        Empty when the trace has no syscalls."""
        cols = ["syscall", "calls", "errors", "total_us", "avg_us"]
        if not self.has("syscalls"):
            return self._empty(cols)
        return self.sql("""
            SELECT coalesce(name, 'syscall_' || nr) AS syscall, count(*) AS calls,
                   count(errno) AS errors, sum(duration_ns) / 1000 AS total_us,
                   sum(duration_ns) / count(*) / 1000 AS avg_us
            FROM syscalls GROUP BY nr ORDER BY calls DESC, syscall""")

    def failed_syscalls(self):
        """Every syscall that failed: id, process, thread, syscall, errno,
        path, in order. Empty when the trace has no syscalls."""
        cols = ["id", "process", "thread", "syscall", "errno", "path"]
        if not self.has("syscalls"):
            return self._empty(cols)
        return self.sql("""
            SELECT y.id, t.process_id AS process, y.thread_id AS thread,
                   coalesce(y.name, 'syscall_' || y.nr) AS syscall, y.errno, y.path
            FROM syscalls y JOIN threads t ON t.id = y.thread_id
            WHERE y.errno IS NOT NULL ORDER BY y.id""")

    def files(self):
        """Files the program touched, by path (the `files` canned query, from
        the `file_events` view): path, read, written, created, deleted,
        executed, stat_only, failed (1/0), syscalls, processes. Empty when
        the trace has no syscalls."""
        cols = ["path", "read", "written", "created", "deleted", "executed", "stat_only",
                "failed", "syscalls", "processes"]
        if not self.has("file_events"):
            return self._empty(cols)
        return self.sql("""
            SELECT path,
                   max(action = 'read' AND ok)   AS read,
                   max(action = 'write' AND ok)  AS written,
                   max(action = 'create' AND ok) AS created,
                   max(action = 'delete' AND ok) AS deleted,
                   max(action = 'exec' AND ok)   AS executed,
                   max(action = 'stat' AND ok) AND NOT max(action IN ('read', 'write', 'create',
                        'delete', 'exec', 'open') AND ok) AS stat_only,
                   NOT max(ok)                   AS failed,
                   count(DISTINCT syscall_id)    AS syscalls,
                   group_concat(DISTINCT process_id) AS processes
            FROM file_events GROUP BY path ORDER BY path""")


def tree_layout(tree):
    """Place a `call_tree()` as an icicle (a flame graph of one call, root
    on top): returns a copy with columns x and width, in instructions. A
    call spans `inclusive` instructions; its sub-calls sit side by side from
    its left edge, in order of entry; what is left on the right is its own
    instructions. Draw row `depth` from x to x + width."""
    df = tree.copy()
    x = {}
    next_x = {}
    xs = []
    for call, parent, incl in zip(df["call"], df["parent"], df["inclusive"]):
        if parent in next_x:
            x[call] = next_x[parent]
            next_x[parent] += incl
        else:
            x[call] = 0
        next_x[call] = x[call]
        xs.append(x[call])
    df["x"] = xs
    df["width"] = df["inclusive"]
    return df
