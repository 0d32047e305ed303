-- @usage exec ID
-- @about The instructions a call executed, in order, disassembled, with function and file:line; its sub-calls inline, one line each.
-- @arg id int
-- Two ordered streams merged by SQLite (MERGE (UNION ALL)): the call's own
-- instructions, segment by segment (ordered by segments_by_call and the
-- exec_blocks and block_instructions keys, so no sorting: rows come out as
-- they are read), and its direct sub-calls, each placed after the segment
-- of the call that made it.
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
  FROM exec_segments s
  JOIN exec_blocks e
    ON e.seq >= s.first_seq
   AND e.seq < coalesce((SELECT min(n.first_seq) FROM exec_segments n
                          WHERE n.first_seq > s.first_seq), 9223372036854775807)
  JOIN block_instructions bi ON bi.block_id = e.block_id
  JOIN instructions i ON i.id = bi.instruction_id
  LEFT JOIN functions f ON f.id = i.function_id
  LEFT JOIN source_files sf ON sf.id = i.file_id
  WHERE s.call_id = :id
  UNION ALL
  SELECT (SELECT max(s.first_seq) FROM exec_segments s
           WHERE s.call_id = c.parent_id AND s.first_seq < c.entry_seq),
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
