-- Views for people typing SQL (in sqlite3, the REPL or Python). They are
-- plain SQL over the tables, so they work in any SQLite client.

-- One row per executed instruction, in execution order (order by seq; per
-- thread this is the exact order in which the thread executed them).
CREATE VIEW exec_trace AS
SELECT e.seq + bi.idx                               AS seq,
       s.thread_id                                  AS thread_id,
       s.call_id                                    AS call_id,
       i.id                                         AS instruction_id,
       i.addr                                       AS addr,
       printf('0x%x', i.addr)                       AS address,
       b.name                                       AS binary,
       i.offset                                     AS offset,
       CASE WHEN i.mnemonic IS NULL THEN '(bad) ' || hex(i.bytes)
            WHEN i.operands = '' THEN i.mnemonic
            ELSE i.mnemonic || ' ' || i.operands END AS disasm,
       f.name                                       AS function,
       CASE WHEN i.line IS NULL THEN NULL
            ELSE sf.path || ':' || i.line END       AS source
FROM exec_blocks e
JOIN exec_segments s ON s.first_seq =
     (SELECT max(first_seq) FROM exec_segments WHERE first_seq <= e.seq)
JOIN block_instructions bi ON bi.block_id = e.block_id
JOIN instructions i ON i.id = bi.instruction_id
LEFT JOIN binaries b ON b.id = i.binary_id
LEFT JOIN functions f ON f.id = i.function_id
LEFT JOIN source_files sf ON sf.id = i.file_id;

-- Every call with its callee's name, indented by depth.
CREATE VIEW call_tree AS
SELECT c.id, c.thread_id, c.parent_id, c.depth, c.kind,
       substr(printf('%*s', 2 * c.depth, ''), 1, 2 * c.depth)
         || coalesce(f.name, printf('0x%x', c.addr))          AS tree,
       coalesce(f.name, printf('0x%x', c.addr))               AS function,
       b.name                                                 AS binary,
       printf('0x%x', c.addr)                                 AS address,
       c.entry_seq, c.exit_seq, c.end_kind, c.recorded, c.instructions
FROM calls c
LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN binaries b ON b.id = f.binary_id
ORDER BY c.thread_id, c.entry_seq, c.id;

CREATE VIEW thread_info AS
SELECT t.id, t.tid, t.process_id, t.parent_id, t.creating_call_id,
       t.root_call_id, rf.name AS root_function,
       t.first_seq, t.last_seq, t.instructions,
       (SELECT count(*) FROM calls c WHERE c.thread_id = t.id) AS calls,
       t.exit_status, t.exit_signal
FROM threads t
LEFT JOIN calls rc ON rc.id = t.root_call_id
LEFT JOIN functions rf ON rf.id = rc.function_id
ORDER BY t.id;

CREATE VIEW binary_info AS
SELECT b.id, b.process_id, b.name, b.kind, b.path,
       printf('0x%x', b.lo) AS lo, printf('0x%x', b.hi) AS hi,
       printf('0x%x', b.base) AS base, b.build_id,
       b.load_seq, b.unload_seq, b.load_thread_id
FROM binaries b
ORDER BY b.id;

-- What each path-naming syscall did to its file(s): one row per (syscall,
-- path, action). action: read | write | create | delete | exec | stat |
-- chdir | open (openat2, whose flags are not in its registers). ok: the
-- syscall succeeded. An open's access mode is flags & 3: O_RDONLY (0)
-- reads, O_WRONLY (1) writes, O_RDWR (2) both; O_TRUNC also writes.
CREATE VIEW file_events AS
WITH s AS (
  SELECT y.*, t.process_id,
         CASE y.name WHEN 'open' THEN y.arg1 WHEN 'openat' THEN y.arg2
                     WHEN 'creat' THEN 577 END AS oflags   -- creat: O_WRONLY|O_CREAT|O_TRUNC
  FROM syscalls y JOIN threads t ON t.id = y.thread_id
  WHERE y.path IS NOT NULL
)
SELECT id AS syscall_id, process_id, thread_id, name AS syscall, path,
       a.action, errno IS NULL AND ret IS NOT NULL AS ok
FROM s JOIN (
  SELECT 'read' AS action UNION ALL SELECT 'write' UNION ALL SELECT 'create'
  UNION ALL SELECT 'delete' UNION ALL SELECT 'exec' UNION ALL SELECT 'stat'
  UNION ALL SELECT 'chdir' UNION ALL SELECT 'open') a
ON CASE a.action
     WHEN 'read'   THEN oflags IS NOT NULL AND (oflags & 3) IN (0, 2)
     WHEN 'write'  THEN (oflags IS NOT NULL AND ((oflags & 3) IN (1, 2) OR (oflags & 512) != 0))
                        OR name = 'truncate'
     WHEN 'create' THEN created = 1 AND name NOT IN ('rename', 'renameat', 'renameat2',
                                                     'link', 'linkat')
     WHEN 'delete' THEN name IN ('unlink', 'unlinkat', 'rmdir', 'rename', 'renameat', 'renameat2')
     WHEN 'exec'   THEN name IN ('execve', 'execveat')
     WHEN 'stat'   THEN name IN ('stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat',
                                 'faccessat2', 'readlink', 'readlinkat', 'statfs')
     WHEN 'chdir'  THEN name = 'chdir'
     WHEN 'open'   THEN name = 'openat2'
   END
UNION ALL
-- The second path of rename and link: written, and created if it was new.
SELECT y.id, t.process_id, y.thread_id, y.name, y.path2, a.action,
       y.errno IS NULL AND y.ret IS NOT NULL
FROM syscalls y JOIN threads t ON t.id = y.thread_id
JOIN (SELECT 'write' AS action UNION ALL SELECT 'create') a
  ON a.action = 'write' OR y.created = 1
WHERE y.path2 IS NOT NULL
  AND y.name IN ('rename', 'renameat', 'renameat2', 'link', 'linkat');
