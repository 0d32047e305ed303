-- @usage exec ID
-- @about The instructions a call executed, in order, disassembled, with function and file:line (and the line's code when the trace has embedded sources); its sub-calls inline, one line each.
-- @arg id int
-- Two ordered streams merged by SQLite (MERGE (UNION ALL)): the call's own
-- instructions, segment by segment (the segments between its entry and exit
-- seq, then the exec_blocks and block_instructions keys: all primary-key
-- order, so no sorting and rows come out as they are read), and its direct
-- sub-calls (calls_by_parent), each placed after the segment of the call
-- that made it. CROSS JOIN keeps the loops in that order.
--
-- With embedded sources (run --embed-sources), the line's text too, from
-- source_lines (leading blanks dropped, so tabs do not break the table).
-- @requires source_lines
SELECT seq, address, function, disasm, source, code FROM (
  SELECT s.first_seq                                      AS k1,
         e.seq                                            AS k2,
         bi.idx                                           AS k3,
         e.seq + bi.idx                                   AS seq,
         printf('0x%x', i.addr)                           AS address,
         f.name                                           AS function,
         CASE WHEN i.mnemonic IS NULL THEN '(bad) ' || hex(i.bytes)
              WHEN i.operands = '' OR i.operands IS NULL THEN i.mnemonic
              ELSE i.mnemonic || ' ' || i.operands END    AS disasm,
         replace(sf.path, rtrim(sf.path, replace(sf.path, '/', '')), '')
           || ':' || i.line                               AS source,
         ltrim(sl.text, ' ' || char(9))                  AS code
  FROM calls cc
  CROSS JOIN exec_segments s
    ON s.first_seq >= cc.entry_seq
   AND s.first_seq < coalesce(cc.exit_seq, 9223372036854775807)
   AND s.call_id = cc.id
  CROSS JOIN exec_blocks e
    ON e.seq >= s.first_seq
   AND e.seq < coalesce((SELECT min(n.first_seq) FROM exec_segments n
                          WHERE n.first_seq > s.first_seq), 9223372036854775807)
  CROSS JOIN block_instructions bi ON bi.block_id = e.block_id
  CROSS JOIN instructions i ON i.id = bi.instruction_id
  LEFT JOIN functions f ON f.id = i.function_id
  LEFT JOIN source_files sf ON sf.id = i.file_id
  LEFT JOIN source_lines sl ON sl.file_id = i.file_id AND sl.line = i.line
  WHERE cc.id = :id
  UNION ALL
  SELECT (SELECT s.first_seq FROM exec_segments s
           WHERE s.first_seq < c.entry_seq AND s.call_id = c.parent_id
           ORDER BY s.first_seq DESC LIMIT 1),
         c.entry_seq,
         -1,
         c.entry_seq,
         printf('0x%x', c.addr),
         f.name,
         '-> call ' || c.id || ' ' || coalesce(f.name, printf('0x%x', c.addr))
           || ' (' || CASE WHEN c.recorded THEN coalesce(c.end_kind, 'running')
                           ELSE 'not recorded' END || ')',
         NULL,
         NULL
  FROM calls c
  LEFT JOIN functions f ON f.id = c.function_id
  WHERE c.parent_id = :id
  ORDER BY 1, 2, 3
);

-- Without them (older traces, or traced without --embed-sources): the same
-- without the code column.
-- @unless source_lines
SELECT seq, address, function, disasm, source FROM (
  SELECT s.first_seq                                      AS k1,
         e.seq                                            AS k2,
         bi.idx                                           AS k3,
         e.seq + bi.idx                                   AS seq,
         printf('0x%x', i.addr)                           AS address,
         f.name                                           AS function,
         CASE WHEN i.mnemonic IS NULL THEN '(bad) ' || hex(i.bytes)
              WHEN i.operands = '' OR i.operands IS NULL THEN i.mnemonic
              ELSE i.mnemonic || ' ' || i.operands END    AS disasm,
         replace(sf.path, rtrim(sf.path, replace(sf.path, '/', '')), '')
           || ':' || i.line                               AS source
  FROM calls cc
  CROSS JOIN exec_segments s
    ON s.first_seq >= cc.entry_seq
   AND s.first_seq < coalesce(cc.exit_seq, 9223372036854775807)
   AND s.call_id = cc.id
  CROSS JOIN exec_blocks e
    ON e.seq >= s.first_seq
   AND e.seq < coalesce((SELECT min(n.first_seq) FROM exec_segments n
                          WHERE n.first_seq > s.first_seq), 9223372036854775807)
  CROSS JOIN block_instructions bi ON bi.block_id = e.block_id
  CROSS JOIN instructions i ON i.id = bi.instruction_id
  LEFT JOIN functions f ON f.id = i.function_id
  LEFT JOIN source_files sf ON sf.id = i.file_id
  WHERE cc.id = :id
  UNION ALL
  SELECT (SELECT s.first_seq FROM exec_segments s
           WHERE s.first_seq < c.entry_seq AND s.call_id = c.parent_id
           ORDER BY s.first_seq DESC LIMIT 1),
         c.entry_seq,
         -1,
         c.entry_seq,
         printf('0x%x', c.addr),
         f.name,
         '-> call ' || c.id || ' ' || coalesce(f.name, printf('0x%x', c.addr))
           || ' (' || CASE WHEN c.recorded THEN coalesce(c.end_kind, 'running')
                           ELSE 'not recorded' END || ')',
         NULL
  FROM calls c
  LEFT JOIN functions f ON f.id = c.function_id
  WHERE c.parent_id = :id
  ORDER BY 1, 2, 3
);
