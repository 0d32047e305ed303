-- Views of the canned queries that take no arguments, for any SQLite client
-- (sqlite3, Python, the nosco-sql REPL): SELECT * FROM q_hot. The writer
-- creates them with schema/views.sql when it makes a trace. Each body is the
-- statement of query/NAME.sql; tests/query checks that they stay the same.

-- Every thread: process, parent, creating call, root calls, instructions, calls, exit status.
CREATE VIEW q_threads AS
SELECT t.id                                          AS thread,
       t.tid                                         AS tid,
       t.process_id                                  AS process,
       t.parent_id                                   AS parent,
       t.creating_call_id                            AS created_by_call,
       cf.name                                       AS created_in,
       t.root_call_id                                AS root_call,
       coalesce(rf.name, printf('0x%x', rc.addr))    AS root_function,
       (SELECT group_concat(r.id, ' ') FROM calls r
         WHERE r.parent_id IS NULL AND r.thread_id = t.id) AS root_calls,
       coalesce(n.calls, 0)                          AS calls,
       t.instructions                                AS instructions,
       t.first_seq                                   AS first_seq,
       t.last_seq                                    AS last_seq,
       t.exit_status                                 AS exit_status,
       t.exit_signal                                 AS exit_signal
FROM threads t
LEFT JOIN (SELECT thread_id, count(*) AS calls FROM calls GROUP BY thread_id) n
       ON n.thread_id = t.id
LEFT JOIN calls rc ON rc.id = t.root_call_id
LEFT JOIN functions rf ON rf.id = rc.function_id
LEFT JOIN calls cc ON cc.id = t.creating_call_id
LEFT JOIN functions cf ON cf.id = cc.function_id
ORDER BY t.id;

-- Every loaded image: address range, load and unload, and which thread and function loaded it.
CREATE VIEW q_binaries AS
WITH l AS (
  SELECT b.*,
         (SELECT s.call_id FROM exec_segments s
           WHERE s.first_seq <= b.load_seq AND s.thread_id = b.load_thread_id
           ORDER BY s.first_seq DESC LIMIT 1) AS load_call
  FROM binaries b
)
SELECT l.id                                  AS binary,
       l.process_id                          AS process,
       l.name                                AS name,
       l.kind                                AS kind,
       printf('0x%x', l.lo)                  AS lo,
       printf('0x%x', l.hi)                  AS hi,
       l.hi - l.lo                           AS size,
       printf('0x%x', l.base)                AS base,
       l.load_seq                            AS load_seq,
       l.load_thread_id                      AS load_thread,
       l.load_call                           AS load_call,
       coalesce(f.name, printf('0x%x', c.addr)) AS loaded_by,
       l.unload_seq                          AS unload_seq,
       l.build_id                            AS build_id,
       l.path                                AS path
FROM l
LEFT JOIN calls c ON c.id = l.load_call
LEFT JOIN functions f ON f.id = c.function_id
ORDER BY l.id;

-- Functions by number of calls, with exclusive (own) and inclusive (with sub-calls) instruction counts.
CREATE VIEW q_hot AS
WITH m(multi) AS (SELECT (SELECT count(*) FROM threads) > 1),
s AS (
  SELECT c.function_id AS fid,
         CASE WHEN c.function_id IS NULL THEN c.addr END AS addr,
         count(*) AS calls,
         sum(c.instructions) AS exclusive,
         sum(CASE
               WHEN p.function_id IS c.function_id
                    AND (c.function_id IS NOT NULL OR p.addr = c.addr) THEN 0
               WHEN m.multi THEN
                 (SELECT sum(d.instructions) FROM calls d
                   WHERE d.id >= c.id AND d.thread_id = c.thread_id
                     AND d.id < coalesce((SELECT n.id FROM calls n
                                           WHERE n.id > c.id AND n.entry_seq >= c.exit_seq
                                           ORDER BY n.id LIMIT 1), 9223372036854775807))
               ELSE coalesce(c.exit_seq, t.last_seq + 1) - c.entry_seq
             END) AS inclusive
  FROM calls c
  JOIN m
  JOIN threads t ON t.id = c.thread_id
  LEFT JOIN calls p ON p.id = c.parent_id
  GROUP BY c.function_id, CASE WHEN c.function_id IS NULL THEN c.addr END
)
SELECT coalesce(f.name, printf('0x%x', s.addr))                        AS function,
       coalesce(b.name, (SELECT u.name FROM binaries u
                          WHERE s.addr >= u.lo AND s.addr < u.hi LIMIT 1)) AS binary,
       s.calls                                                        AS calls,
       s.exclusive                                                    AS exclusive,
       s.inclusive                                                    AS inclusive
FROM s
LEFT JOIN functions f ON f.id = s.fid
LEFT JOIN binaries b ON b.id = f.binary_id
ORDER BY s.calls DESC, s.inclusive DESC, function;

-- Code coverage per binary, then per function: distinct instructions executed, their bytes, against the size of the code.
CREATE VIEW q_coverage AS
WITH x AS (
  SELECT binary_id, function_id, count(*) AS insns, sum(size) AS bytes
  FROM instructions GROUP BY binary_id, function_id
),
fs AS (
  SELECT binary_id, count(*) AS functions, sum(size) AS size
  FROM functions GROUP BY binary_id
),
bx AS (
  SELECT binary_id, sum(insns) AS insns, sum(bytes) AS bytes,
         sum(CASE WHEN function_id IS NOT NULL THEN bytes END) AS fbytes,
         count(function_id) AS functions_run
  FROM x GROUP BY binary_id
)
SELECT scope, binary, function, functions, size, insns, bytes, percent FROM (
  SELECT 0 AS k, b.id AS bid, 0 AS fk,
         'binary'                        AS scope,
         b.name                          AS binary,
         NULL                            AS function,
         coalesce(bx.functions_run, 0) || '/' || coalesce(fs.functions, 0) AS functions,
         fs.size                         AS size,
         coalesce(bx.insns, 0)           AS insns,
         coalesce(bx.bytes, 0)           AS bytes,
         round(100.0 * bx.fbytes / nullif(fs.size, 0), 1) AS percent
  FROM binaries b
  LEFT JOIN fs ON fs.binary_id = b.id
  LEFT JOIN bx ON bx.binary_id = b.id
  UNION ALL
  SELECT 1, x.binary_id, -x.bytes,
         'function',
         b.name,
         coalesce(f.name, '?'),
         NULL,
         f.size,
         x.insns,
         x.bytes,
         round(100.0 * x.bytes / nullif(f.size, 0), 1)
  FROM x
  LEFT JOIN functions f ON f.id = x.function_id
  LEFT JOIN binaries b ON b.id = x.binary_id
)
ORDER BY k, bid, fk, function;
