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
