-- @usage processes
-- @about The process tree: each process under the one that forked it, with its program, argv, execs, threads, exit status.
WITH RECURSIVE tree(id, depth, path) AS (
  SELECT id, 0, printf('%08d', id) FROM processes WHERE parent_id IS NULL
  UNION ALL
  SELECT p.id, t.depth + 1, t.path || '.' || printf('%08d', p.id)
  FROM processes p JOIN tree t ON p.parent_id = t.id
)
SELECT p.id                                                   AS process,
       p.pid                                                  AS pid,
       p.parent_id                                            AS parent,
       substr(printf('%*s', 2 * t.depth, ''), 1, 2 * t.depth) || p.executable AS tree,
       p.argv                                                 AS argv,
       (SELECT count(*) FROM execs e WHERE e.process_id = p.id) AS execs,
       (SELECT count(*) FROM threads h WHERE h.process_id = p.id) AS threads,
       (SELECT count(*) FROM syscalls y JOIN threads h ON h.id = y.thread_id
         WHERE h.process_id = p.id)                           AS syscalls,
       p.exit_status                                          AS exit_status,
       p.exit_signal                                          AS exit_signal
FROM processes p JOIN tree t ON t.id = p.id
ORDER BY t.path;
