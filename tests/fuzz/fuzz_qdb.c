/* libFuzzer target for the trace opener (query/qdb.c) and what runs on an
 * opened file: the input is any file given to `nosco-sql query` or the
 * REPL. It is opened read-only as a trace; when that succeeds, every canned
 * query runs on it (with sample arguments) in every output format. A
 * progress handler bounds each query (a hostile file can make a recursive
 * query loop; the REPL's Ctrl-C does the same). Checks: no crash, an error
 * is one line, and the file is never changed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nosco/qcanned.h"
#include "nosco/qdb.h"
#include "nosco/qfmt.h"
#include "nosco/qrun.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char path[512];

static int progress(void *ctx)
{
	int *ticks = ctx;
	return ++*ticks > 200; /* about 200,000 VM steps */
}

static void remove_files(void)
{
	char p[600];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
}

/* Sample arguments for a canned query's parameters. */
static int sample_args(const qcanned *q, char **argv)
{
	static char one[] = "1", name[] = "main", line[] = "fib_impl.c:9";
	for (int i = 0; i < q->nargs; i++)
		argv[i] = q->args[i].type == QCANNED_INT	 ? one
			  : q->args[i].type == QCANNED_FILE_LINE ? line
								 : name;
	return q->nargs;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!path[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/fuzz-qdb-%d.db", tmp && *tmp ? tmp : "/tmp",
			 (int)getpid());
	}
	remove_files();
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	size_t w = fwrite(data, 1, size, f);
	fclose(f);
	if (w != size)
		return 0;

	sqlite3 *db = NULL;
	char err[256];
	if (qdb_open(path, 0, &db, err, sizeof(err)) < 0) {
		if (db || !err[0] || strchr(err, '\n'))
			abort();
		remove_files();
		return 0;
	}
	FILE *sink = fopen("/dev/null", "w");
	FILE *diag = fopen("/dev/null", "w");
	qfmt *fmt = sink ? qfmt_new(sink, QFMT_TABLE, true) : NULL;
	if (fmt && diag) {
		size_t n;
		const qcanned *all = qcanned_all(&n);
		for (size_t i = 0; i < n; i++) {
			char *argv[QCANNED_MAX_ARGS];
			qrun_params ps = { 0 };
			int argc = sample_args(&all[i], argv);
			if (qcanned_args(&all[i], argc, argv, &ps, err, sizeof(err)) < 0)
				continue;
			qfmt_set_mode(fmt, (qfmt_mode)(i % 5));
			int ticks = 0;
			sqlite3_progress_handler(db, 1000, progress, &ticks);
			qrun_opts o = { .fmt = fmt, .diag = diag, .limit = 50, .count_budget = 0.01,
					.mode_hints = true, .note_empty = true, .params = &ps };
			qrun_exec(db, all[i].sql, &o);
		}
		/* Nothing typed can write either: the file is read-only. */
		qrun_opts o = { .fmt = fmt, .diag = diag };
		qrun_exec(db, "DELETE FROM trace; CREATE TABLE x(a);", &o);
	}
	if (fmt)
		qfmt_free(fmt);
	if (sink)
		fclose(sink);
	if (diag)
		fclose(diag);
	sqlite3_close(db);

	/* The file is as it was. */
	f = fopen(path, "rb");
	unsigned char *back = malloc(size + 1);
	size_t r = f && back ? fread(back, 1, size + 1, f) : 0;
	if (f)
		fclose(f);
	if (back && f && (r != size || memcmp(back, data, size)))
		abort();
	free(back);
	remove_files();
	return 0;
}
