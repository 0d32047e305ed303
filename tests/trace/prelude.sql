-- Run by check.sh before each test query. TEMP views only: the trace file
-- is opened read-only and not changed.

-- cf: every call with its callee's names and binary, and its parent call's
-- callee and depth.
CREATE TEMP VIEW cf AS
SELECT c.*,
       f.name     AS fn,    -- callee, demangled
       f.raw_name AS raw,   -- callee, as in the symbol table
       b.name     AS bin,   -- callee's binary (file name)
       b.kind     AS bkind,
       pf.name    AS pfn,   -- parent call's callee
       pf.raw_name AS praw,
       p.depth    AS pdepth
FROM calls c
LEFT JOIN functions f  ON f.id = c.function_id
LEFT JOIN binaries b   ON b.id = f.binary_id
LEFT JOIN calls p      ON p.id = c.parent_id
LEFT JOIN functions pf ON pf.id = p.function_id;
