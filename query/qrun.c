/* qrun: statement runner (see nosco/qrun.h). */
#include "nosco/qrun.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "nosco/qdb.h"

static qrun_param *qrun_slot(qrun_params *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].name, name))
			return &ps->p[i];
	if (ps->n == QRUN_MAX_PARAMS || strlen(name) >= sizeof(ps->p[0].name))
		return NULL;
	qrun_param *p = &ps->p[ps->n++];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	return p;
}

int qrun_param_int(qrun_params *ps, const char *name, long long value)
{
	qrun_param *p = qrun_slot(ps, name);
	if (!p)
		return -1;
	p->type = SQLITE_INTEGER;
	p->i = value;
	return 0;
}

int qrun_param_text(qrun_params *ps, const char *name, const char *text)
{
	qrun_param *p = qrun_slot(ps, name);
	if (!p)
		return -1;
	p->type = SQLITE_TEXT;
	p->text = text;
	return 0;
}

int qrun_param_null(qrun_params *ps, const char *name)
{
	qrun_param *p = qrun_slot(ps, name);
	if (!p)
		return -1;
	p->type = SQLITE_NULL;
	return 0;
}

static void qrun_bind(sqlite3_stmt *st, const qrun_params *ps)
{
	int n = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= n && ps; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);
		if (!name)
			continue;
		for (int k = 0; k < ps->n; k++) {
			const qrun_param *p = &ps->p[k];
			if (strcmp(name + 1, p->name))
				continue;
			if (p->type == SQLITE_INTEGER)
				sqlite3_bind_int64(st, i, p->i);
			else if (p->type == SQLITE_TEXT)
				sqlite3_bind_text(st, i, p->text, -1, SQLITE_STATIC);
			break;
		}
	}
}

static double qrun_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double qrun_tv(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* Directives in the comments before the next statement; returns a pointer
 * past them and sets *skip when the statement must not run. */
static const char *qrun_directives(sqlite3 *db, const char *p, bool *skip, int *mode)
{
	*skip = false;
	*mode = -1;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			if (!e)
				return p;
			p = e + 2;
			continue;
		}
		if (p[0] != '-' || p[1] != '-')
			return p;
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[128];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = 0;
			char word[16], name[64];
			if (sscanf(line, "-- @%15s %63s", word, name) == 2) {
				if (!strcmp(word, "requires") && !qdb_has_table(db, name))
					*skip = true;
				if (!strcmp(word, "unless") && qdb_has_table(db, name))
					*skip = true;
				qfmt_mode m;
				if (!strcmp(word, "mode") && qfmt_parse_mode(name, &m) == 0)
					*mode = (int)m;
			}
		}
		p += len;
	}
}

/* Past the end of the statement at p: its first ';' that completes it. */
static const char *qrun_skip_statement(const char *p)
{
	size_t len = strlen(p);
	char *copy = malloc(len + 1);
	if (!copy)
		return p + len;
	memcpy(copy, p, len + 1);
	for (const char *semi = strchr(p, ';'); semi; semi = strchr(semi + 1, ';')) {
		size_t n = (size_t)(semi - p) + 1;
		char saved = copy[n];
		copy[n] = 0;
		int done = sqlite3_complete(copy);
		copy[n] = saved;
		if (done) {
			free(copy);
			return semi + 1;
		}
	}
	free(copy);
	return p + len;
}

/* Prints "Error: " and SQLite's message on db, which can quote the trace
 * file (a malformed schema's SQL): control characters are escaped, so a
 * hostile file cannot send a terminal escape sequences. */
static void qrun_report(const qrun_opts *o, const char *what, sqlite3 *db)
{
	fprintf(o->diag, "Error: %s", what);
	for (const char *p = sqlite3_errmsg(db); *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			fprintf(o->diag, c == '\n' ? "\\n" : "\\x%02x", c);
		else
			fputc(c, o->diag);
	}
	fputs(*what ? ")\n" : "\n", o->diag);
}

/* Reports a failure to prepare, with the place SQLite points at. */
static void qrun_report_prepare(sqlite3 *db, const char *stmt, const qrun_opts *o)
{
	qrun_report(o, "", db);
	int off = sqlite3_error_offset(db);
	if (off < 0 || (size_t)off > strlen(stmt))
		return;
	const char *line = stmt;
	int lineno = 1;
	for (const char *q = stmt; q < stmt + off; q++)
		if (*q == '\n') {
			line = q + 1;
			lineno++;
		}
	size_t len = strcspn(line, "\n");
	int col = (int)(stmt + off - line);
	fprintf(o->diag, "  at line %d, column %d:\n  %.*s\n  %*s^\n", lineno, col + 1,
		(int)(len > 200 ? 200 : len), line, col, "");
}

/* Steps st to the end, printing at most o->limit rows. */
static int qrun_rows(sqlite3 *db, sqlite3_stmt *st, const qrun_opts *o)
{
	long long shown = 0, more = 0;
	bool counting = false, partial = false;
	double deadline = 0;
	int rc;
	if (sqlite3_column_count(st) > 0)
		qfmt_begin(o->fmt, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!counting && (o->limit <= 0 || shown < o->limit)) {
			if (qfmt_row(o->fmt, st) < 0) {
				qfmt_end(o->fmt);
				fprintf(o->diag, "Error: out of memory\n");
				return QRUN_ERROR;
			}
			shown++;
			continue;
		}
		if (!counting) {
			counting = true;
			qfmt_end(o->fmt);
			deadline = qrun_now() + o->count_budget;
		}
		more++;
		if ((more & 1023) == 0 && qrun_now() > deadline) {
			partial = true;
			break;
		}
	}
	qfmt_end(o->fmt);
	if (o->note_empty && shown == 0 && sqlite3_column_count(st) > 0 && rc == SQLITE_DONE)
		fprintf(o->diag, "(no rows)\n");
	if (counting)
		fprintf(o->diag, "(%s%lld more row%s not shown; .limit N to change)\n",
			partial ? "at least " : "", more, more == 1 ? "" : "s");
	if (partial)
		return QRUN_OK;
	if (rc == SQLITE_DONE)
		return QRUN_OK;
	if (rc == SQLITE_INTERRUPT) {
		fprintf(o->diag, "Interrupted.\n");
		return QRUN_INTERRUPTED;
	}
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		qrun_report(o, "the trace file is corrupt (", db);
	else
		qrun_report(o, "", db);
	return QRUN_ERROR;
}

int qrun_exec(sqlite3 *db, const char *sql, const qrun_opts *o)
{
	const char *p = sql;
	int ret = QRUN_OK;
	while (ret == QRUN_OK) {
		bool skip;
		int mode;
		p = qrun_directives(db, p, &skip, &mode);
		if (!*p)
			break;
		if (skip) { /* not even prepared: it may name a missing table */
			p = qrun_skip_statement(p);
			continue;
		}
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		double t0 = qrun_now();
		struct rusage r0, r1;
		getrusage(RUSAGE_SELF, &r0);
		int rc = sqlite3_prepare_v2(db, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			if ((rc & 0xff) == SQLITE_INTERRUPT) {
				fprintf(o->diag, "Interrupted.\n");
				ret = QRUN_INTERRUPTED;
			} else {
				qrun_report_prepare(db, p, o);
				ret = QRUN_ERROR;
			}
			break;
		}
		if (!st) { /* only a comment or a stray ';' */
			p = tail;
			continue;
		}
		{
			qfmt_mode saved = qfmt_get_mode(o->fmt);
			if (o->mode_hints && mode >= 0)
				qfmt_set_mode(o->fmt, (qfmt_mode)mode);
			qrun_bind(st, o->params);
			ret = qrun_rows(db, st, o);
			qfmt_set_mode(o->fmt, saved);
		}
		sqlite3_finalize(st);
		if (o->timer) {
			getrusage(RUSAGE_SELF, &r1);
			fprintf(o->diag, "Run Time: real %.3f user %.6f sys %.6f\n", qrun_now() - t0,
				qrun_tv(r1.ru_utime) - qrun_tv(r0.ru_utime),
				qrun_tv(r1.ru_stime) - qrun_tv(r0.ru_stime));
		}
		p = tail;
	}
	return ret;
}
