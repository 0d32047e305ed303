-- @usage hot
-- @about Functions by number of calls, with exclusive (own) and inclusive (with sub-calls) instruction counts.
-- inclusive counts a directly recursive call once, inside the outermost one.
-- Calls into code without a symbol are grouped by entry address.
-- In a trace with a single thread, a call's inclusive count is
-- exit_seq - entry_seq; with several threads, whose instructions interleave
-- in seq, it is the sum over the call's sub-tree (a range of call ids).
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
