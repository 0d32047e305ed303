-- @usage leaks
-- @about Heap blocks allocated and never freed (run --trace-alloc), grouped by the call stack that allocated them: blocks, bytes, allocator, stack.
-- A block is the result of an allocations row; it is freed by the row whose
-- frees_id names it (free, delete, or a realloc that moved or released it).
WITH live AS (
  SELECT a.* FROM allocations a
   WHERE a.result IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM allocations f WHERE f.frees_id = a.id)
)
SELECT count(*)                                      AS blocks,
       sum(l.size)                                   AS bytes,
       group_concat(DISTINCT l.kind)                 AS allocator,
       min(l.id)                                     AS first_allocation,
       min(t.process_id)                             AS process,
       l.stack_id                                    AS stack,
       (SELECT group_concat(name, ' <- ') FROM (
          SELECT coalesce(fn.name, printf('0x%x', sf.addr)) AS name
            FROM stack_frames sf LEFT JOIN functions fn ON fn.id = sf.function_id
           WHERE sf.stack_id = l.stack_id AND sf.frame > 0
           ORDER BY sf.frame))                       AS allocated_at
FROM live l JOIN threads t ON t.id = l.thread_id
GROUP BY l.stack_id
ORDER BY bytes DESC, first_allocation
