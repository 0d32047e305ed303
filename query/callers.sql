-- @usage callers FUNC
-- @about Who called a function (by name, or an address inside it): caller, number of calls, distinct call sites.
-- @arg func addr_or_name
WITH target AS (
  SELECT id FROM functions
   WHERE name = :func OR raw_name = :func
      OR (:func_addr IS NOT NULL AND :func_addr >= addr AND :func_addr < addr + max(size, 1))
)
SELECT coalesce(pf.name, CASE WHEN p.id IS NULL THEN '(thread start)'
                              ELSE printf('0x%x', p.addr) END) AS caller,
       pb.name                                AS binary,
       count(*)                               AS calls,
       count(DISTINCT c.call_site)            AS call_sites,
       min(c.id)                              AS first_call
FROM calls c
LEFT JOIN calls p ON p.id = c.parent_id
LEFT JOIN functions pf ON pf.id = p.function_id
LEFT JOIN binaries pb ON pb.id = pf.binary_id
WHERE c.function_id IN (SELECT id FROM target)
GROUP BY p.function_id, CASE WHEN p.function_id IS NULL THEN p.addr END
ORDER BY calls DESC, caller;
