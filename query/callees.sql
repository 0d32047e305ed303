-- @usage callees FUNC
-- @about What a function (by name, or an address inside it) called: callee, number of calls.
-- @arg func addr_or_name
WITH target AS (
  SELECT id FROM functions
   WHERE name = :func OR raw_name = :func
      OR (:func_addr IS NOT NULL AND :func_addr >= addr AND :func_addr < addr + max(size, 1))
)
SELECT coalesce(f.name, printf('0x%x', c.addr)) AS callee,
       b.name                                 AS binary,
       count(*)                               AS calls,
       sum(c.instructions)                    AS exclusive,
       min(c.id)                              AS first_call
FROM calls p
CROSS JOIN calls c ON c.parent_id = p.id
LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN binaries b ON b.id = f.binary_id
WHERE p.function_id IN (SELECT id FROM target)
GROUP BY c.function_id, CASE WHEN c.function_id IS NULL THEN c.addr END
ORDER BY calls DESC, callee;
