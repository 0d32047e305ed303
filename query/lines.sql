-- @usage lines FILE:LINE
-- @about Each execution of a source line, in order: seq, thread, call, function, instructions of the line run then.
-- @arg at file_line
-- FILE matches the whole recorded path or its last components (fib_impl.c,
-- samples/fib_impl.c). One row per run (exec_blocks row) that went through
-- the line: one pass over exec_blocks in seq order, keeping the runs of the
-- blocks that hold the line's instructions (CROSS JOIN keeps that order).
WITH li AS MATERIALIZED (
  SELECT i.id, i.addr
  FROM source_files sf
  CROSS JOIN instructions i ON i.file_id = sf.id AND i.line = :at_line
  WHERE sf.path = :at_file OR substr(sf.path, -length(:at_file) - 1) = '/' || :at_file
),
lb AS MATERIALIZED (
  SELECT bi.block_id, min(bi.idx) AS idx, count(*) AS insns, min(li.addr) AS addr
  FROM li CROSS JOIN block_instructions bi ON bi.instruction_id = li.id
  GROUP BY bi.block_id
)
SELECT e.seq + lb.idx                                 AS seq,
       s.thread_id                                    AS thread,
       s.call_id                                      AS call,
       coalesce(f.name, printf('0x%x', c.addr))       AS function,
       printf('0x%x', lb.addr)                        AS address,
       lb.insns                                       AS insns
FROM exec_blocks e
CROSS JOIN lb ON lb.block_id = e.block_id
CROSS JOIN exec_segments s
  ON s.first_seq = (SELECT max(first_seq) FROM exec_segments WHERE first_seq <= e.seq)
LEFT JOIN calls c ON c.id = s.call_id
LEFT JOIN functions f ON f.id = c.function_id
WHERE EXISTS (SELECT 1 FROM lb)
ORDER BY e.seq;
