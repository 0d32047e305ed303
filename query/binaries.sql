-- @usage binaries
-- @about Every loaded image: address range, load and unload, and which thread and function loaded it.
WITH l AS (
  SELECT b.*,
         (SELECT s.call_id FROM exec_segments s
           WHERE s.first_seq <= b.load_seq AND s.thread_id = b.load_thread_id
           ORDER BY s.first_seq DESC LIMIT 1) AS load_call
  FROM binaries b
)
SELECT l.id                                  AS binary,
       l.process_id                          AS process,
       l.name                                AS name,
       l.kind                                AS kind,
       printf('0x%x', l.lo)                  AS lo,
       printf('0x%x', l.hi)                  AS hi,
       l.hi - l.lo                           AS size,
       printf('0x%x', l.base)                AS base,
       l.load_seq                            AS load_seq,
       l.load_thread_id                      AS load_thread,
       l.load_call                           AS load_call,
       coalesce(f.name, printf('0x%x', c.addr)) AS loaded_by,
       l.unload_seq                          AS unload_seq,
       l.build_id                            AS build_id,
       l.path                                AS path
FROM l
LEFT JOIN calls c ON c.id = l.load_call
LEFT JOIN functions f ON f.id = c.function_id
ORDER BY l.id;
