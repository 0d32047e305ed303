-- @usage alloc ADDR
-- @about The history of the heap blocks that held an address (run --trace-alloc): who allocated each, who freed it, and the syscalls that were passed a pointer into it while it was live.
-- @arg addr int
WITH blocks AS (
  SELECT a.* FROM allocations a
   WHERE a.result IS NOT NULL
     AND :addr >= a.result AND :addr < a.result + max(coalesce(a.size, 0), 1)
),
events AS (
  SELECT b.id AS block, b.id AS event_id, 0 AS ord, 'allocated' AS event, b.kind AS what,
         b.thread_id, b.stack_id, b.call_id, NULL AS syscall
    FROM blocks b
  UNION ALL
  SELECT b.id, f.id, 2, 'freed', f.kind, f.thread_id, f.stack_id, f.call_id, NULL
    FROM blocks b JOIN allocations f ON f.frees_id = b.id
  UNION ALL
  SELECT b.id, s.id, 1, 'used by syscall', s.name, s.thread_id, NULL, s.call_id, s.id
    FROM blocks b
    JOIN threads bt ON bt.id = b.thread_id
    JOIN syscalls s
      ON s.id > b.syscalls_before
     AND s.id <= coalesce((SELECT f.syscalls_before FROM allocations f WHERE f.frees_id = b.id),
                          (SELECT max(id) FROM syscalls))
    JOIN threads st ON st.id = s.thread_id AND st.process_id = bt.process_id
   WHERE (s.arg0 >= b.result AND s.arg0 < b.result + max(b.size, 1))
      OR (s.arg1 >= b.result AND s.arg1 < b.result + max(b.size, 1))
      OR (s.arg2 >= b.result AND s.arg2 < b.result + max(b.size, 1))
      OR (s.arg3 >= b.result AND s.arg3 < b.result + max(b.size, 1))
      OR (s.arg4 >= b.result AND s.arg4 < b.result + max(b.size, 1))
      OR (s.arg5 >= b.result AND s.arg5 < b.result + max(b.size, 1))
)
SELECT e.block                                          AS allocation,
       printf('0x%x', b.result)                         AS block,
       b.size                                           AS size,
       e.event                                          AS event,
       e.what                                           AS what,
       e.thread_id                                      AS thread,
       coalesce((SELECT fn.name FROM stack_frames sf JOIN functions fn ON fn.id = sf.function_id
                  WHERE sf.stack_id = e.stack_id AND sf.frame = 1),
                (SELECT fn.name FROM calls c JOIN functions fn ON fn.id = c.function_id
                  WHERE c.id = e.call_id))              AS by_function,
       e.syscall                                        AS syscall_id
FROM events e JOIN blocks b ON b.id = e.block
ORDER BY e.block, e.ord, e.event_id
