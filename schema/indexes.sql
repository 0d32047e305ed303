-- Indexes that the views and canned queries need, built once when the trace
-- is closed (building them at the end is much faster than keeping them up to
-- date during the run). Each one costs space in every trace, so only what a
-- query cannot do with a primary-key range or a short scan is here:
-- exec_blocks and exec_segments are searched by their seq keys, and calls by
-- id (ids follow entry order).
CREATE INDEX IF NOT EXISTS calls_by_parent   ON calls(parent_id);
CREATE INDEX IF NOT EXISTS instructions_by_addr     ON instructions(addr);
CREATE INDEX IF NOT EXISTS instructions_by_function ON instructions(function_id);
CREATE INDEX IF NOT EXISTS instructions_by_line     ON instructions(file_id, line);
CREATE INDEX IF NOT EXISTS block_instructions_by_instruction
    ON block_instructions(instruction_id);
CREATE INDEX IF NOT EXISTS functions_by_name ON functions(name);
CREATE INDEX IF NOT EXISTS allocations_by_frees  ON allocations(frees_id);
CREATE INDEX IF NOT EXISTS allocations_by_result ON allocations(result);
