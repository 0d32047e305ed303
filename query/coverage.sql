-- @usage coverage
-- @about Code coverage per binary, then per function: distinct instructions executed, their bytes, against the size of the code.
-- instructions holds each distinct executed instruction once, so coverage
-- is a GROUP BY over it. A binary's insns and bytes count all its executed
-- code (PLT stubs included); its percent, like a function's, is executed
-- bytes inside known functions over their size.
WITH x AS (
  SELECT binary_id, function_id, count(*) AS insns, sum(size) AS bytes
  FROM instructions GROUP BY binary_id, function_id
),
fs AS (
  SELECT binary_id, count(*) AS functions, sum(size) AS size
  FROM functions GROUP BY binary_id
),
bx AS (
  SELECT binary_id, sum(insns) AS insns, sum(bytes) AS bytes,
         sum(CASE WHEN function_id IS NOT NULL THEN bytes END) AS fbytes,
         count(function_id) AS functions_run
  FROM x GROUP BY binary_id
)
SELECT scope, binary, function, functions, size, insns, bytes, percent FROM (
  SELECT 0 AS k, b.id AS bid, 0 AS fk,
         'binary'                        AS scope,
         b.name                          AS binary,
         NULL                            AS function,
         coalesce(bx.functions_run, 0) || '/' || coalesce(fs.functions, 0) AS functions,
         fs.size                         AS size,
         coalesce(bx.insns, 0)           AS insns,
         coalesce(bx.bytes, 0)           AS bytes,
         round(100.0 * bx.fbytes / nullif(fs.size, 0), 1) AS percent
  FROM binaries b
  LEFT JOIN fs ON fs.binary_id = b.id
  LEFT JOIN bx ON bx.binary_id = b.id
  UNION ALL
  SELECT 1, x.binary_id, -x.bytes,
         'function',
         b.name,
         coalesce(f.name, '?'),
         NULL,
         f.size,
         x.insns,
         x.bytes,
         round(100.0 * x.bytes / nullif(f.size, 0), 1)
  FROM x
  LEFT JOIN functions f ON f.id = x.function_id
  LEFT JOIN binaries b ON b.id = x.binary_id
)
ORDER BY k, bid, fk, function;
