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
  SELECT fm.id AS fid, coalesce(k.n, 0) AS n, k.first_call, k.last_call
  FROM fm
  LEFT JOIN (SELECT function_id, count(*) AS n, min(id) AS first_call, max(id) AS last_call
               FROM calls WHERE function_id IN (SELECT id FROM fm)
              GROUP BY function_id) k
         ON k.function_id = fm.id
),
im AS (
  SELECT * FROM instructions WHERE addr = :what_addr
),
ib AS MATERIALIZED (
  SELECT bi.block_id, bi.idx, im.id AS iid
  FROM im CROSS JOIN block_instructions bi ON bi.instruction_id = im.id
),
-- One pass over exec_blocks for the runs of the blocks holding it.
ir AS (
  SELECT im.id AS iid, count(x.seq) AS n, min(x.seq) AS first_seq, max(x.seq) AS last_seq
  FROM im
  LEFT JOIN (SELECT ib.iid, e.seq + ib.idx AS seq FROM exec_blocks e
               CROSS JOIN ib ON ib.block_id = e.block_id
              WHERE EXISTS (SELECT 1 FROM ib)) x ON x.iid = im.id
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
