-- @usage lines FILE:LINE
-- @about Each execution of a source line, in order: seq, thread, call, function, instructions of the line run then.
-- @arg at file_line
-- FILE matches the whole recorded path or its last components (fib.c,
-- samples/fib.c). One row per straight-line run that went through the line.
-- CROSS JOIN keeps the loops in this order (line -> blocks -> runs), so the
-- work is proportional to the line's executions, not to the trace.
WITH li AS MATERIALIZED (
  SELECT i.id, i.addr
  FROM source_files sf
  JOIN instructions i ON i.file_id = sf.id AND i.line = :at_line
  WHERE sf.path = :at_file OR substr(sf.path, -length(:at_file) - 1) = '/' || :at_file
),
runs AS (
  SELECT e.seq + min(bi.idx) AS seq, count(*) AS insns, min(li.addr) AS addr
  FROM li
  CROSS JOIN block_instructions bi ON bi.instruction_id = li.id
  CROSS JOIN exec_blocks e ON e.block_id = bi.block_id
  GROUP BY e.seq
)
SELECT r.seq                                          AS seq,
       s.thread_id                                    AS thread,
       s.call_id                                      AS call,
       coalesce(f.name, printf('0x%x', c.addr))       AS function,
       printf('0x%x', r.addr)                         AS address,
       r.insns                                        AS insns
FROM runs r
JOIN exec_segments s
  ON s.first_seq = (SELECT max(first_seq) FROM exec_segments WHERE first_seq <= r.seq)
LEFT JOIN calls c ON c.id = s.call_id
LEFT JOIN functions f ON f.id = c.function_id
ORDER BY r.seq;
