-- @usage syscalls
-- @about Syscall counts by name, like strace -c: calls, errors, total and average time.
SELECT coalesce(name, 'syscall_' || nr)           AS syscall,
       count(*)                                   AS calls,
       count(errno)                               AS errors,
       sum(duration_ns) / 1000                    AS total_us,
       sum(duration_ns) / count(*) / 1000         AS avg_us
FROM syscalls
GROUP BY nr
ORDER BY calls DESC, syscall;
