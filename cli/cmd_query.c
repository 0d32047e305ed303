/* nosco-sql query FILE NAME [ARGS] | -e SQL: canned queries and SQL from
 * scripts, printed as table, box, csv, json or line records. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nosco/qcanned.h"
#include "nosco/qdb.h"
#include "nosco/qfmt.h"
#include "nosco/qrun.h"

#define QUERY_MAX_ARGS 16

static void query_usage(FILE *out)
{
	size_t n;
	const qcanned *q = qcanned_all(&n);
	fprintf(out,
		"usage: nosco-sql query FILE NAME [ARGS...] [options]\n"
		"       nosco-sql query FILE -e SQL [options]\n"
		"options:\n"
		"  --format table|box|csv|json|line   output format (default: table)\n"
		"  --no-headers                       no column names (table, box, csv)\n"
		"  --write                            open the trace read-write\n"
		"canned queries (NAME):\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-26s %s\n", q[i].usage, q[i].about);
}

int cmd_query(int argc, char **argv)
{
	const char *path = NULL, *sql = NULL, *format = NULL;
	bool headers = true;
	int flags = 0;
	char *args[QUERY_MAX_ARGS];
	int nargs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			query_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--format") || !strcmp(a, "-f")) {
			if (++i == argc)
				goto usage;
			format = argv[i];
		} else if (!strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (!strcmp(a, "-e")) {
			if (++i == argc)
				goto usage;
			sql = argv[i];
		} else if (!strcmp(a, "--no-headers")) {
			headers = false;
		} else if (!strcmp(a, "--write")) {
			flags |= QDB_WRITABLE;
		} else if (!path) {
			path = a;
		} else if (nargs < QUERY_MAX_ARGS) {
			args[nargs++] = argv[i]; /* the canned query's, --depth N included */
		} else {
			fprintf(stderr, "nosco-sql query: too many arguments\n");
			return 2;
		}
	}
	if (!path || (!sql && nargs == 0) || (sql && nargs > 0))
		goto usage;

	qfmt_mode mode = QFMT_TABLE;
	if (format && qfmt_parse_mode(format, &mode) < 0) {
		fprintf(stderr, "nosco-sql query: unknown format '%s' (table, box, csv, json, line)\n",
			format);
		return 2;
	}
	const qcanned *q = NULL;
	qrun_params ps = { 0 };
	char err[512];
	if (!sql) {
		q = qcanned_find(args[0]);
		if (!q) {
			fprintf(stderr, "nosco-sql query: no canned query '%s' "
					"(see 'nosco-sql query --help')\n", args[0]);
			return 2;
		}
		if (qcanned_args(q, nargs - 1, args + 1, &ps, err, sizeof(err)) < 0) {
			fprintf(stderr, "nosco-sql query: %s\n", err);
			return 2;
		}
		sql = q->sql;
	}
	sqlite3 *db;
	if (qdb_open(path, flags, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "nosco-sql: %s: %s\n", path, err);
		return 1;
	}
	qfmt *fmt = qfmt_new(stdout, mode, headers);
	if (!fmt) {
		fprintf(stderr, "nosco-sql: out of memory\n");
		sqlite3_close(db);
		return 1;
	}
	qrun_opts o = {
		.fmt = fmt,
		.diag = stderr,
		.mode_hints = q && !format,
		.note_empty = q != NULL,
		.params = q ? &ps : NULL,
	};
	int rc = qrun_exec(db, sql, &o);
	qfmt_free(fmt);
	sqlite3_close(db);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("nosco-sql: writing output");
		return 1;
	}
	return rc == QRUN_OK ? 0 : 1;
usage:
	query_usage(stderr);
	return 2;
}
