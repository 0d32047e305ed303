-- @usage search ADDR|SYMBOL
-- @about Where and when an address or function ran: binary, source, how many times, first and last time, first call. SYMBOL may be a GLOB pattern (fib*).
-- @arg what addr_or_name
WITH fm AS (
  SELECT * FROM functions
   WHERE name = :what OR raw_name = :what
      OR ((instr(:what, '*') OR instr(:what, '?'))
          AND (name GLOB :what OR raw_name GLOB :what))
      OR (:what_addr IS NOT NULL AND addr = :what_addr)
),
fr AS (
  SELECT fm.id AS fid,
         (SELECT count(*) FROM calls c WHERE c.function_id = fm.id) AS n,
         (SELECT min(c.id) FROM calls c WHERE c.function_id = fm.id) AS first_call,
         (SELECT max(c.id) FROM calls c WHERE c.function_id = fm.id) AS last_call
  FROM fm
),
im AS (
  SELECT * FROM instructions WHERE addr = :what_addr
),
ir AS (
  SELECT im.id AS iid, count(e.seq) AS n, min(e.seq + bi.idx) AS first_seq,
         max(e.seq + bi.idx) AS last_seq
  FROM im
  LEFT JOIN block_instructions bi ON bi.instruction_id = im.id
  LEFT JOIN exec_blocks e ON e.block_id = bi.block_id
  GROUP BY im.id
)
SELECT 'function'                                   AS kind,
       f.name                                       AS name,
       b.name                                       AS binary,
       printf('0x%x', f.addr)                       AS address,
       (SELECT sf.path || ':' || i.line FROM instructions i
          JOIN source_files sf ON sf.id = i.file_id
         WHERE i.addr = f.addr LIMIT 1)             AS source,
       fr.n                                         AS times,
       fc.entry_seq                                 AS first_seq,
       lc.entry_seq                                 AS last_seq,
       fr.first_call                                AS first_call,
       fc.thread_id                                 AS first_thread
FROM fr
JOIN functions f ON f.id = fr.fid
LEFT JOIN binaries b ON b.id = f.binary_id
LEFT JOIN calls fc ON fc.id = fr.first_call
LEFT JOIN calls lc ON lc.id = fr.last_call
UNION ALL
SELECT 'instruction',
       coalesce(f.name || '+' || (i.addr - f.addr), '?') || ': '
         || coalesce(i.mnemonic || ' ' || i.operands, i.mnemonic, '(bad)'),
       b.name,
       printf('0x%x', i.addr),
       sf.path || ':' || i.line,
       ir.n,
       ir.first_seq,
       ir.last_seq,
       s.call_id,
       s.thread_id
FROM ir
JOIN instructions i ON i.id = ir.iid
LEFT JOIN functions f ON f.id = i.function_id
LEFT JOIN binaries b ON b.id = i.binary_id
LEFT JOIN source_files sf ON sf.id = i.file_id
LEFT JOIN exec_segments s
  ON s.first_seq = (SELECT max(first_seq) FROM exec_segments WHERE first_seq <= ir.first_seq)
ORDER BY kind, times DESC, name;
