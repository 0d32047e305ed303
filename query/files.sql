-- @usage files
-- @about Files the command touched, by path: read, written, created, deleted, executed, only looked at (stat), or failed (every attempt failed).
-- From the file_events view (schema/views.sql): open flags decide read or
-- write (O_RDONLY is 0), paths are absolute (relative ones resolved against
-- the cwd or dirfd at the syscall), and a path counts as read, written...
-- only when that syscall succeeded.
SELECT path,
       max(action = 'read' AND ok)   AS read,
       max(action = 'write' AND ok)  AS written,
       max(action = 'create' AND ok) AS created,
       max(action = 'delete' AND ok) AS deleted,
       max(action = 'exec' AND ok)   AS executed,
       max(action = 'stat' AND ok) AND NOT max(action IN ('read', 'write', 'create', 'delete',
                                                            'exec', 'open') AND ok) AS stat_only,
       NOT max(ok)                   AS failed,
       count(DISTINCT syscall_id)    AS syscalls,
       group_concat(DISTINCT process_id) AS processes
FROM file_events
GROUP BY path
ORDER BY path;
