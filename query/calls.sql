-- @usage calls ID [--depth N]
-- @about The call tree under call ID, indented by depth, with call ids and symbols.
-- @arg id int
-- @arg depth int optional --depth
-- A call's sub-tree is the calls of its thread that entered between its
-- entry and its exit, so this is one range scan of calls_by_thread, already
-- in tree order.
WITH r AS (
  SELECT id, thread_id, depth, entry_seq,
         coalesce(exit_seq, 9223372036854775807) AS end_seq
  FROM calls WHERE id = :id
)
SELECT c.id                                                  AS call,
       substr(printf('%*s', 2 * (c.depth - r.depth), ''), 1, 2 * (c.depth - r.depth))
         || CASE c.kind WHEN 'signal' THEN '[signal] ' ELSE '' END
         || coalesce(f.name, printf('0x%x', c.addr))         AS function,
       b.name                                                AS binary,
       c.entry_seq                                           AS seq,
       c.instructions                                        AS insns,
       CASE WHEN c.recorded THEN c.end_kind ELSE 'not recorded' END AS ended
FROM r
JOIN calls c ON c.thread_id = r.thread_id
            AND c.entry_seq >= r.entry_seq AND c.entry_seq < r.end_seq
LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN binaries b ON b.id = f.binary_id
WHERE :depth IS NULL OR c.depth - r.depth <= :depth
ORDER BY c.entry_seq, c.id;
