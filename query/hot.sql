-- @usage hot
-- @about Functions by number of calls, with exclusive (own) and inclusive (with sub-calls) instruction counts.
-- inclusive counts a directly recursive call once, inside the outermost one.
-- In a trace with a single thread, a call's inclusive count is
-- exit_seq - entry_seq; with several threads, whose instructions interleave
-- in seq, it is the sum over the call's sub-tree.
WITH m(multi) AS (SELECT (SELECT count(*) FROM threads) > 1),
s AS (
  SELECT c.function_id AS fid,
         count(*) AS calls,
         sum(c.instructions) AS exclusive,
         sum(CASE
               WHEN p.function_id IS c.function_id THEN 0
               WHEN m.multi THEN
                 (SELECT sum(d.instructions) FROM calls d
                   WHERE d.thread_id = c.thread_id AND d.entry_seq >= c.entry_seq
                     AND d.entry_seq < coalesce(c.exit_seq, 9223372036854775807))
               ELSE coalesce(c.exit_seq, t.last_seq + 1) - c.entry_seq
             END) AS inclusive
  FROM calls c
  JOIN m
  JOIN threads t ON t.id = c.thread_id
  LEFT JOIN calls p ON p.id = c.parent_id
  GROUP BY c.function_id
)
SELECT coalesce(f.name, '?')  AS function,
       b.name                 AS binary,
       s.calls                AS calls,
       s.exclusive            AS exclusive,
       s.inclusive            AS inclusive
FROM s
LEFT JOIN functions f ON f.id = s.fid
LEFT JOIN binaries b ON b.id = f.binary_id
ORDER BY s.calls DESC, s.inclusive DESC, function;
