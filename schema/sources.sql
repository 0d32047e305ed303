-- The source files of the trace, made by nosco-sql run --embed-sources when
-- the trace ends (absent from traces made without it, and from older
-- traces): every path of source_files, read once from the disk of the
-- machine that traced. Documented in schema/README.md.

-- One row per source_files path: its content, or why it is not here.
CREATE TABLE sources (
    path    TEXT PRIMARY KEY,            -- as in source_files (DWARF's string)
    file_id INTEGER NOT NULL UNIQUE REFERENCES source_files(id),
    status  TEXT NOT NULL,               -- ok | relative | missing | unreadable
                                         -- | not_regular | too_large
    size    INTEGER,                     -- bytes (too_large: the file's size)
    sha256  TEXT,                        -- hex SHA-256 of content
    content BLOB,                        -- the file's bytes, exactly (status ok)
    error   TEXT                         -- why it is not embedded
);

-- The lines of each embedded file, for joining with instructions(file_id, line).
CREATE TABLE source_lines (
    file_id INTEGER NOT NULL REFERENCES source_files(id),
    line    INTEGER NOT NULL,            -- 1-based
    text    TEXT    NOT NULL,            -- without its line break
    PRIMARY KEY (file_id, line)
) WITHOUT ROWID;
