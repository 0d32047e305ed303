-- nosco-sql trace schema. Applied once to a new, empty trace file.
-- PRAGMA user_version holds the schema version (set by the writer, see
-- NOSCO_SCHEMA_VERSION). Every table and column is documented in
-- schema/README.md. Addresses are INTEGERs (absolute virtual addresses in the
-- traced process); "seq" numbers count executed instructions: the n-th
-- instruction recorded in the whole trace has seq n (0-based), so seq orders
-- everything, and per thread it is the exact execution order.

-- Exactly one row: what was traced, how, and how it ended.
CREATE TABLE trace (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    format       TEXT    NOT NULL,          -- always 'nosco-sql trace'
    tool_version TEXT    NOT NULL,
    argv         TEXT    NOT NULL,          -- JSON array, as given to PROG
    cwd          TEXT,
    engine       TEXT    NOT NULL,          -- 'step' or 'block'
    options      TEXT    NOT NULL,          -- JSON object of the run options
    start_time   TEXT    NOT NULL,          -- ISO 8601, UTC
    end_time     TEXT,                      -- NULL while the trace is written
    end_reason   TEXT,                      -- exited | killed | interrupted | error
    exit_status  INTEGER,                   -- PROG's exit code, if it exited
    exit_signal  INTEGER,                   -- signal that killed PROG, if any
    instructions INTEGER,                   -- executed instructions recorded
    error        TEXT,                      -- tracer error message, if any
    env          TEXT                       -- JSON array of NAME=VALUE, with --record-env
);

CREATE TABLE processes (
    id          INTEGER PRIMARY KEY,        -- ordinal, 1 = the traced program
    pid         INTEGER NOT NULL,
    parent_id   INTEGER REFERENCES processes(id), -- the process that forked it
    executable  TEXT,                       -- its program (the last exec'd)
    argv        TEXT,                       -- JSON array, of that program
    start_seq   INTEGER NOT NULL,
    end_seq     INTEGER,
    exit_status INTEGER,
    exit_signal INTEGER
);

-- Each execve that succeeded in a traced process, in order.
CREATE TABLE execs (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    thread_id   INTEGER REFERENCES threads(id),
    seq         INTEGER NOT NULL,           -- where in the stream it happened
    executable  TEXT,                       -- the new program (/proc/PID/exe)
    argv        TEXT                        -- JSON array
);

-- Every system call of the traced threads (recorded or running free), in
-- order of entry. Path and fd arguments are decoded at entry, like strace -y.
CREATE TABLE syscalls (
    id          INTEGER PRIMARY KEY,        -- 1, 2, 3... in order of entry
    thread_id   INTEGER NOT NULL REFERENCES threads(id),
    call_id     INTEGER REFERENCES calls(id), -- the call that made it
    seq         INTEGER,                    -- seq of its syscall instruction; NULL: not recorded
    nr          INTEGER NOT NULL,           -- x86-64 number
    name        TEXT,                       -- NULL: unknown to this build
    arg0 INTEGER, arg1 INTEGER, arg2 INTEGER, arg3 INTEGER, arg4 INTEGER, arg5 INTEGER,
    ret         INTEGER,                    -- raw return value; NULL: never returned
    errno       INTEGER,                    -- -ret when it failed, else NULL
    duration_ns INTEGER,                    -- entry to exit, as the tracer saw it
    path        TEXT,                       -- absolute path argument, or the fd's target
    path2       TEXT,                       -- second one (rename/link target, sendfile input)
    created     INTEGER                     -- 1: created path (path2 for link/rename); NULL: n/a
);

CREATE TABLE threads (
    id               INTEGER PRIMARY KEY,   -- ordinal in order of creation
    process_id       INTEGER NOT NULL REFERENCES processes(id),
    tid              INTEGER NOT NULL,
    parent_id        INTEGER REFERENCES threads(id),
    creating_call_id INTEGER REFERENCES calls(id),
    root_call_id     INTEGER REFERENCES calls(id),
    first_seq        INTEGER NOT NULL,      -- seq when the thread appeared
    last_seq         INTEGER,               -- seq of its last instruction
    instructions     INTEGER NOT NULL DEFAULT 0,
    exit_status      INTEGER,
    exit_signal      INTEGER
);

CREATE TABLE binaries (
    id             INTEGER PRIMARY KEY,
    process_id     INTEGER NOT NULL REFERENCES processes(id),
    path           TEXT    NOT NULL,        -- as the loader names it
    name           TEXT    NOT NULL,        -- file name part of path
    kind           TEXT    NOT NULL,        -- exe | interp | lib | vdso
    build_id       TEXT,                    -- hex
    base           INTEGER NOT NULL,        -- load bias (l_addr)
    lo             INTEGER NOT NULL,        -- first mapped address
    hi             INTEGER NOT NULL,        -- one past the last
    load_seq       INTEGER NOT NULL,
    unload_seq     INTEGER,
    load_thread_id INTEGER REFERENCES threads(id)
);

CREATE TABLE functions (
    id        INTEGER PRIMARY KEY,
    binary_id INTEGER REFERENCES binaries(id),
    name      TEXT    NOT NULL,             -- demangled
    raw_name  TEXT    NOT NULL,             -- as in the symbol table
    addr      INTEGER NOT NULL,
    offset    INTEGER NOT NULL,             -- addr - binary base
    size      INTEGER
);

CREATE TABLE source_files (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);

-- Distinct instructions, decoded once.
CREATE TABLE instructions (
    id          INTEGER PRIMARY KEY,
    binary_id   INTEGER REFERENCES binaries(id),
    addr        INTEGER NOT NULL,
    offset      INTEGER,                    -- addr - binary base
    bytes       BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    mnemonic    TEXT,                       -- NULL: capstone cannot decode it
    operands    TEXT,
    function_id INTEGER REFERENCES functions(id),
    file_id     INTEGER REFERENCES source_files(id),
    line        INTEGER
);

-- Distinct runs: instructions executed one after the other, through
-- not-taken conditional jumps and direct jmps; the last one is the transfer
-- that ended the run (a taken branch, call, ret, indirect jmp, syscall...).
CREATE TABLE blocks (
    id    INTEGER PRIMARY KEY,
    addr  INTEGER NOT NULL,
    count INTEGER NOT NULL
);

CREATE TABLE block_instructions (
    block_id       INTEGER NOT NULL REFERENCES blocks(id),
    idx            INTEGER NOT NULL,        -- 0-based position in the block
    instruction_id INTEGER NOT NULL REFERENCES instructions(id),
    PRIMARY KEY (block_id, idx)
) WITHOUT ROWID;

-- The execution stream: block block_id ran as instructions seq .. seq+count-1.
CREATE TABLE exec_blocks (
    seq      INTEGER PRIMARY KEY,
    block_id INTEGER NOT NULL
);

-- Which thread and call the stream belongs to: every exec_blocks row with
-- first_seq <= seq < the next segment's first_seq.
CREATE TABLE exec_segments (
    first_seq INTEGER PRIMARY KEY,
    thread_id INTEGER NOT NULL,
    call_id   INTEGER NOT NULL
);

CREATE TABLE calls (
    id           INTEGER PRIMARY KEY,       -- ordinal in order of entry
    thread_id    INTEGER NOT NULL REFERENCES threads(id),
    parent_id    INTEGER REFERENCES calls(id),
    depth        INTEGER NOT NULL,          -- 0 = the thread's root call
    kind         TEXT    NOT NULL,          -- root | call | signal
    function_id  INTEGER REFERENCES functions(id),
    addr         INTEGER NOT NULL,          -- first instruction of the callee
    call_site    INTEGER,                   -- address of the call instruction
    return_addr  INTEGER,
    entry_sp     INTEGER,                   -- rsp at the callee's first instruction
    entry_seq    INTEGER NOT NULL,          -- seq of the callee's first instruction
    exit_seq     INTEGER,                   -- seq after its last instruction
    end_kind     TEXT,                      -- ret | unwind | exit | NULL (still running)
    recorded     INTEGER NOT NULL,          -- 0: deeper than --depth, not recorded inside
    instructions INTEGER NOT NULL DEFAULT 0, -- recorded in this call, not in sub-calls
    entry_ns     INTEGER,                   -- when the tracer saw it begin and end: ns since
    exit_ns      INTEGER                    -- the trace began (the program ran slowed by tracing)
);

-- Call stacks (--backtrace-depth frames at most): at the entry of a traced
-- scope, for the scope's call; and when a thread creates another, for the
-- creating call (threads.creating_call_id). Unwound by libdwfl from the
-- stopped thread's registers and CFI.
CREATE TABLE backtraces (
    call_id     INTEGER NOT NULL REFERENCES calls(id),
    frame       INTEGER NOT NULL,           -- 0 = where the thread was; 1.. its callers
    addr        INTEGER NOT NULL,           -- pc; for frame > 0 a return address
    function_id INTEGER REFERENCES functions(id),
    PRIMARY KEY (call_id, frame)
) WITHOUT ROWID;

-- Allocator calls (run --trace-alloc), in order of entry: malloc, calloc,
-- realloc, reallocarray, aligned_alloc (and memalign), posix_memalign,
-- free, and the C++ operators new and delete of every common mangling. An
-- allocator called by another (operator new -> malloc) is part of the
-- outer call. A block is live from the row that returned it (result) until
-- the row whose frees_id names that row.
CREATE TABLE allocations (
    id              INTEGER PRIMARY KEY,   -- 1, 2, 3... in order of entry
    thread_id       INTEGER NOT NULL REFERENCES threads(id),
    call_id         INTEGER REFERENCES calls(id), -- the call that called the allocator
    seq             INTEGER,               -- seq of the allocator's first instruction; NULL: not recorded
    syscalls_before INTEGER NOT NULL,      -- syscalls (ids) entered before it
    kind            TEXT    NOT NULL,      -- malloc calloc realloc reallocarray aligned_alloc
                                           -- posix_memalign free new new[] delete delete[]
    symbol          TEXT    NOT NULL,      -- the symbol entered, e.g. _Znwm
    size            INTEGER,               -- bytes asked for (calloc: count * size)
    align           INTEGER,               -- alignment asked for
    ptr             INTEGER,               -- the block passed in (free, delete, realloc)
    result          INTEGER,               -- the block returned; NULL: none, failed, or never returned
    returned        INTEGER NOT NULL,      -- 0: never returned (thread ended, stack unwound)
    frees_id        INTEGER REFERENCES allocations(id), -- whose block this call released
    stack_id        INTEGER                -- its call stack: stack_frames
);

-- Distinct call stacks of allocator calls: frame 0 is the allocator's
-- entry, then return addresses, innermost first (--backtrace-depth frames).
CREATE TABLE stack_frames (
    stack_id    INTEGER NOT NULL,
    frame       INTEGER NOT NULL,
    addr        INTEGER NOT NULL,
    function_id INTEGER REFERENCES functions(id),
    PRIMARY KEY (stack_id, frame)
) WITHOUT ROWID;
