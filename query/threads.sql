-- @usage threads
-- @about Every thread: process, parent, creating call, root calls, instructions, calls, exit status.
SELECT t.id                                          AS thread,
       t.tid                                         AS tid,
       t.process_id                                  AS process,
       t.parent_id                                   AS parent,
       t.creating_call_id                            AS created_by_call,
       cf.name                                       AS created_in,
       t.root_call_id                                AS root_call,
       coalesce(rf.name, printf('0x%x', rc.addr))    AS root_function,
       (SELECT group_concat(r.id, ' ') FROM calls r
         WHERE r.parent_id IS NULL AND r.thread_id = t.id) AS root_calls,
       coalesce(n.calls, 0)                          AS calls,
       t.instructions                                AS instructions,
       t.first_seq                                   AS first_seq,
       t.last_seq                                    AS last_seq,
       t.exit_status                                 AS exit_status,
       t.exit_signal                                 AS exit_signal
FROM threads t
LEFT JOIN (SELECT thread_id, count(*) AS calls FROM calls GROUP BY thread_id) n
       ON n.thread_id = t.id
LEFT JOIN calls rc ON rc.id = t.root_call_id
LEFT JOIN functions rf ON rf.id = rc.function_id
LEFT JOIN calls cc ON cc.id = t.creating_call_id
LEFT JOIN functions cf ON cf.id = cc.function_id
ORDER BY t.id;
