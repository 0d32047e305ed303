-- @usage call ID
-- @about One call in detail, then its backtrace: the chain of calls that led to it, with call sites.
-- @arg id int
-- @mode line
WITH r AS (
  SELECT c.*,
         coalesce((SELECT n.id FROM calls n WHERE n.id > c.id AND n.entry_seq >= c.exit_seq
                    ORDER BY n.id LIMIT 1), 9223372036854775807) AS end_id
  FROM calls c WHERE c.id = :id
)
SELECT c.id                                              AS call,
       c.thread_id                                       AS thread,
       coalesce(f.name, printf('0x%x', c.addr))          AS function,
       b.name                                            AS binary,
       printf('0x%x', c.addr)                            AS address,
       (SELECT sf.path || ':' || i.line FROM instructions i
          JOIN source_files sf ON sf.id = i.file_id
         WHERE i.addr = c.addr LIMIT 1)                  AS source,
       c.kind                                            AS kind,
       c.parent_id                                       AS parent,
       c.depth                                           AS depth,
       iif(c.call_site IS NULL, NULL, printf('0x%x', c.call_site))                       AS call_site,
       iif(c.return_addr IS NULL, NULL, printf('0x%x', c.return_addr))                     AS return_addr,
       iif(c.entry_sp IS NULL, NULL, printf('0x%x', c.entry_sp))                        AS entry_sp,
       c.entry_seq                                       AS entry_seq,
       c.exit_seq                                        AS exit_seq,
       coalesce(c.end_kind, 'running')                   AS ended,
       c.recorded                                        AS recorded,
       c.instructions                                    AS insns_self,
       (SELECT sum(d.instructions) FROM calls d
         WHERE d.id >= c.id AND d.id < c.end_id AND d.thread_id = c.thread_id) AS insns_total,
       (SELECT count(*) FROM calls d WHERE d.parent_id = c.id) AS subcalls
FROM r c
LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN binaries b ON b.id = f.binary_id;

-- Backtrace from the recorded parent chain: frame 0 is the call itself,
-- called_from the place in its caller that called it.
WITH RECURSIVE bt(frame, id) AS (
  SELECT 0, id FROM calls WHERE id = :id
  UNION ALL
  SELECT bt.frame + 1, c.parent_id FROM bt JOIN calls c ON c.id = bt.id
   WHERE c.parent_id IS NOT NULL
)
SELECT bt.frame                                          AS frame,
       c.id                                              AS call,
       coalesce(f.name, printf('0x%x', c.addr))          AS function,
       b.name                                            AS binary,
       iif(c.call_site IS NULL, NULL, printf('0x%x', c.call_site))                       AS called_from,
       (SELECT coalesce(sf.path || ':' || i.line, cf.name)
          FROM instructions i
          LEFT JOIN source_files sf ON sf.id = i.file_id
          LEFT JOIN functions cf ON cf.id = i.function_id
         WHERE i.addr = c.call_site LIMIT 1)             AS call_source
FROM bt
JOIN calls c ON c.id = bt.id
LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN binaries b ON b.id = f.binary_id
ORDER BY bt.frame;

-- A backtrace recorded by the tracer itself, when the trace has one.
-- @requires backtraces
SELECT * FROM backtraces WHERE call_id = :id;
