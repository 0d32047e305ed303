-- @usage calls ID [--depth N]
-- @about The call tree under call ID, indented by depth, with call ids and symbols.
-- @arg id int
-- @arg depth int optional --depth
-- Call ids follow the order of entry, so a call's sub-tree is the calls of
-- its thread whose ids run from its own to the first call that entered after
-- it returned: one range of the primary key, already in tree order.
WITH r AS (
  SELECT c.id, c.thread_id, c.depth,
         coalesce((SELECT n.id FROM calls n WHERE n.id > c.id AND n.entry_seq >= c.exit_seq
                    ORDER BY n.id LIMIT 1), 9223372036854775807) AS end_id
  FROM calls c WHERE c.id = :id
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
JOIN calls c ON c.id >= r.id AND c.id < r.end_id AND c.thread_id = r.thread_id
LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN binaries b ON b.id = f.binary_id
WHERE :depth IS NULL OR c.depth - r.depth <= :depth
ORDER BY c.id;
