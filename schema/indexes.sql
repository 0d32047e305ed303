-- Indexes that the views and canned queries need, built once when the trace
-- is closed (building them at the end is much faster than keeping them
-- up to date during the run).
CREATE INDEX IF NOT EXISTS calls_by_thread   ON calls(thread_id, entry_seq);
CREATE INDEX IF NOT EXISTS calls_by_parent   ON calls(parent_id);
CREATE INDEX IF NOT EXISTS calls_by_function ON calls(function_id);
CREATE INDEX IF NOT EXISTS instructions_by_addr     ON instructions(addr);
CREATE INDEX IF NOT EXISTS instructions_by_function ON instructions(function_id);
CREATE INDEX IF NOT EXISTS instructions_by_line     ON instructions(file_id, line);
CREATE INDEX IF NOT EXISTS block_instructions_by_instruction
    ON block_instructions(instruction_id);
CREATE INDEX IF NOT EXISTS exec_blocks_by_block ON exec_blocks(block_id);
CREATE INDEX IF NOT EXISTS functions_by_name    ON functions(name);
CREATE INDEX IF NOT EXISTS segments_by_call     ON exec_segments(call_id);
