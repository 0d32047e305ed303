/* qdb: opens a nosco-sql trace file safely, whoever made it.
 *
 * Trace files are shared between people, so a file is treated as untrusted:
 * read-only unless asked, defensive mode, trusted_schema off, no triggers,
 * no extension loading, and an authorizer that refuses dangerous functions
 * and attaching other files from inside views. */
#ifndef NOSCO_QDB_H
#define NOSCO_QDB_H

#include <stddef.h>
#include <sqlite3.h>

/* Newest trace schema version (PRAGMA user_version) this build reads. */
#define QDB_SCHEMA_VERSION 1

enum {
	QDB_WRITABLE = 1 << 0, /* open read-write instead of read-only */
};

/* Opens the trace at path and checks that it is a nosco-sql trace this
 * build supports. Returns 0 and sets *db (the caller closes it with
 * sqlite3_close), or -1 with a one-line reason in err (not prefixed with the
 * path) and *db NULL. Never crashes on a corrupt or hostile file. */
int qdb_open(const char *path, int flags, sqlite3 **db, char *err, size_t errlen);

/* Returns 1 if the main schema of db has a table or view called name, 0 if
 * not (or on error). */
int qdb_has_table(sqlite3 *db, const char *name);

#endif
