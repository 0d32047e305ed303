/* qdb: safe opening of trace files (see nosco/qdb.h). */
#include "nosco/qdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define QDB_FORMAT "nosco-sql trace"

static uint32_t qdb_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Looks at the file before SQLite does: a regular file, the SQLite magic,
 * and not shorter than its header says (a truncated copy). */
static int qdb_check_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "empty file, not a nosco-sql trace");
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	unsigned char h[100];
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n < (ssize_t)sizeof(h) || memcmp(h, "SQLite format 3", 16) != 0) {
		snprintf(err, errlen, "not a SQLite database, so not a nosco-sql trace");
		return -1;
	}
	uint32_t page = (uint32_t)h[16] << 8 | h[17];
	if (page == 1)
		page = 65536;
	if (page < 512 || (page & (page - 1)) != 0) {
		snprintf(err, errlen, "corrupt SQLite header (page size %u)", page);
		return -1;
	}
	/* The page count in the header is valid only when the change counter
	 * matches "version-valid-for"; a -wal file may hold further pages. */
	uint32_t pages = qdb_be32(h + 28);
	char wal[4096];
	struct stat wst;
	int has_wal = snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal) &&
		      stat(wal, &wst) == 0 && wst.st_size > 0;
	if (!has_wal && pages != 0 && qdb_be32(h + 24) == qdb_be32(h + 92) &&
	    (uint64_t)st.st_size < (uint64_t)pages * page) {
		snprintf(err, errlen, "file is truncated (%lld of %llu bytes): an incomplete copy?",
			 (long long)st.st_size, (unsigned long long)pages * page);
		return -1;
	}
	return 0;
}

/* Functions no trace query needs and that a hostile file could try. */
static const char *const qdb_denied_functions[] = {
	"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit", "shell_exec",
};

static int qdb_authorize(void *ud, int action, const char *a3, const char *a4,
			 const char *dbname, const char *inner)
{
	(void)ud, (void)a3, (void)dbname;
	switch (action) {
	case SQLITE_FUNCTION:
		for (size_t i = 0; i < sizeof(qdb_denied_functions) / sizeof(*qdb_denied_functions); i++)
			if (a4 && !strcasecmp(a4, qdb_denied_functions[i]))
				return SQLITE_DENY;
		return SQLITE_OK;
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
	case SQLITE_PRAGMA:
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		/* Allowed when typed by the user, never from a view or trigger. */
		return inner ? SQLITE_DENY : SQLITE_OK;
	default:
		return SQLITE_OK;
	}
}

/* SQLite's messages can quote the file (a malformed schema's SQL): keep a
 * message one line, with no control character a terminal would obey. */
static void qdb_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = *s == '\n' || *s == '\t' || *s == '\r' ? ' ' : '?';
}

/* Puts SQLite's reason for a failure on db into err, in plain words. */
static void qdb_explain(sqlite3 *db, int rc, char *err, size_t errlen)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		snprintf(err, errlen, "not a SQLite database, so not a nosco-sql trace");
		break;
	case SQLITE_CORRUPT:
		snprintf(err, errlen, "trace file is corrupt (%s)", sqlite3_errmsg(db));
		break;
	default:
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	}
	qdb_one_line(err);
}

static int qdb_configure(sqlite3 *db)
{
	static const int off[] = {
		SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_TRIGGER,
		SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER,
		SQLITE_DBCONFIG_WRITABLE_SCHEMA,
	};
	static const int on[] = { SQLITE_DBCONFIG_DEFENSIVE, SQLITE_DBCONFIG_ENABLE_VIEW };
	int rc = sqlite3_enable_load_extension(db, 0);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(off) / sizeof(*off); i++)
		rc = sqlite3_db_config(db, off[i], 0, (int *)0);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(on) / sizeof(*on); i++)
		rc = sqlite3_db_config(db, on[i], 1, (int *)0);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA trusted_schema = OFF", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_set_authorizer(db, qdb_authorize, NULL);
	return rc;
}

/* Checks the trace marker and the schema version. */
static int qdb_check_trace(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		qdb_explain(db, rc, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	long long version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);

	rc = sqlite3_prepare_v2(db, "SELECT format FROM main.trace", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_ERROR)
			snprintf(err, errlen, "not a nosco-sql trace (no trace table)");
		else
			qdb_explain(db, rc, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	const unsigned char *format = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	int ok = format && !strcmp((const char *)format, QDB_FORMAT);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		qdb_explain(db, rc, err, errlen);
	else if (!ok)
		snprintf(err, errlen, "not a nosco-sql trace (trace.format is not '%s')", QDB_FORMAT);
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	if (version > QDB_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "trace schema version %lld is newer than this nosco-sql supports (%d)",
			 version, QDB_SCHEMA_VERSION);
		return -1;
	}
	if (version < 0) {
		snprintf(err, errlen, "invalid trace schema version %lld", version);
		return -1;
	}
	return 0;
}

int qdb_open(const char *path, int flags, sqlite3 **dbp, char *err, size_t errlen)
{
	*dbp = NULL;
	if (qdb_check_file(path, err, errlen) < 0)
		return -1;
	/* Never let a name like "file:..." be read as a URI with options. */
	char name[4096];
	if (snprintf(name, sizeof(name), "%s%s", strncmp(path, "file:", 5) ? "" : "./", path) >=
	    (int)sizeof(name)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	int oflags = (flags & QDB_WRITABLE) ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(name, &db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(db, 1);
		rc = qdb_configure(db);
	}
	if (rc != SQLITE_OK) {
		if (db)
			qdb_explain(db, rc, err, errlen);
		else
			snprintf(err, errlen, "%s", sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	if (qdb_check_trace(db, err, errlen) < 0) {
		sqlite3_close(db);
		return -1;
	}
	*dbp = db;
	return 0;
}

int qdb_has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM main.sqlite_schema WHERE type IN ('table', 'view') "
			       "AND name = ?1 COLLATE NOCASE",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}
