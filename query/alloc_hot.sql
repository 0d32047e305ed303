-- @usage alloc-hot
-- @about Allocator calls by allocating function and call site (run --trace-alloc): calls, bytes asked for, blocks released (free, delete, a moving realloc), blocks never freed.
-- The call site is the return address in the caller (frame 1 of the call
-- stack); without call stacks (--backtrace-depth 0) the caller is the
-- calling call's function.
WITH site AS (
  SELECT a.*,
         sf.addr AS returns_to,
         coalesce(sf.function_id, c.function_id) AS fid
    FROM allocations a
    LEFT JOIN stack_frames sf ON sf.stack_id = a.stack_id AND sf.frame = 1
    LEFT JOIN calls c ON c.id = a.call_id
)
SELECT coalesce(fn.name, '?')                                    AS function,
       b.name                                                    AS binary,
       printf('0x%x', s.returns_to)                              AS returns_to,
       group_concat(DISTINCT s.kind)                             AS allocator,
       count(*)                                                  AS calls,
       sum(CASE WHEN s.result IS NOT NULL THEN s.size END)       AS bytes,
       count(s.frees_id)                                         AS frees,
       sum(s.result IS NOT NULL AND NOT EXISTS
             (SELECT 1 FROM allocations f WHERE f.frees_id = s.id)) AS never_freed
FROM site s
LEFT JOIN functions fn ON fn.id = s.fid
LEFT JOIN binaries b ON b.id = fn.binary_id
GROUP BY s.fid, s.returns_to
ORDER BY bytes DESC NULLS LAST, calls DESC
