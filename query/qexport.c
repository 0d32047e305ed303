/* qexport: the checks and the call cursor the export formats share (see
 * nosco/qexport.h and qexport_calls.h). */
#include "nosco/qexport.h"

#include <stdio.h>
#include <string.h>

#include "nosco/qdb.h"
#include "qexport_calls.h"

void qx_sql_error(sqlite3 *db, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
}

int qexport_check(sqlite3 *db, const qexport_opts *o, long long *ncalls, char *err,
		  size_t errlen)
{
	static const char *const tables[] = { "calls", "threads", "processes", "functions" };
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		if (!qdb_has_table(db, tables[i])) {
			snprintf(err, errlen, "not a complete nosco-sql trace (no %s table)", tables[i]);
			return -1;
		}
	sqlite3_stmt *st = NULL;
	long long n = 0, max_id = 0;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*), max(id) FROM main.calls", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		max_id = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_ROW) {
		qx_sql_error(db, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	*ncalls = n;
	if (o->measured) {
		rc = sqlite3_prepare_v2(db, "SELECT entry_ns, exit_ns FROM main.calls", -1, &st, NULL);
		sqlite3_finalize(st);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "this trace has no measured times (made by an older "
					      "nosco-sql): use --time seq");
			return -1;
		}
	}
	if (o->call_id <= 0)
		return 0;
	int found = 0;
	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM main.calls WHERE id = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, o->call_id);
		rc = sqlite3_step(st);
		found = rc == SQLITE_ROW;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		qx_sql_error(db, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (!found) {
		if (n == 0)
			snprintf(err, errlen, "no call %lld: the trace has no calls", o->call_id);
		else
			snprintf(err, errlen, "no call %lld in this trace (call ids go from 1 to %lld)",
				 o->call_id, max_id);
		return -1;
	}
	return 0;
}

/* Calls from ?1 on, in id order: a rowid range scan, each row joined by
 * primary key, so nothing is sorted or kept. */
#define QX_CALLS_SQL(times)                                                           \
	"SELECT c.id, c.thread_id, c.depth, c.kind, c.function_id, c.addr, c.entry_seq,"  \
	"       coalesce(c.exit_seq, t.last_seq + 1, c.entry_seq), c.instructions,"       \
	"       f.name, t.tid, p.pid, " times                                             \
	" FROM main.calls c"                                                              \
	" LEFT JOIN main.functions f ON f.id = c.function_id"                             \
	" LEFT JOIN main.threads t ON t.id = c.thread_id"                                 \
	" LEFT JOIN main.processes p ON p.id = t.process_id"                              \
	" WHERE c.id >= ?1 ORDER BY c.id"
/* Measured: a call still running at the end lasts to the trace's last
 * return (the subquery runs once). */
static const char qx_calls_measured_sql[] = QX_CALLS_SQL(
	"c.entry_ns, max(c.entry_ns, coalesce(c.exit_ns, (SELECT max(exit_ns) FROM main.calls), "
	"c.entry_ns))");
static const char qx_calls_sql[] = QX_CALLS_SQL("0, 0");

int qx_open(qx_cursor *c, sqlite3 *db, const qexport_opts *o, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->o = o;
	const char *sql = o->measured ? qx_calls_measured_sql : qx_calls_sql;
	if (sqlite3_prepare_v2(db, sql, -1, &c->st, NULL) != SQLITE_OK) {
		qx_sql_error(db, err, errlen);
		return -1;
	}
	sqlite3_bind_int64(c->st, 1, o->call_id > 0 ? o->call_id : 0);
	return 0;
}

int qx_next(qx_cursor *c, qx_call *call, char *err, size_t errlen)
{
	while (!c->done) {
		if (c->o->stop && *c->o->stop) {
			snprintf(err, errlen, "interrupted");
			return -1;
		}
		int rc = sqlite3_step(c->st);
		if (rc == SQLITE_DONE) {
			c->done = true;
			break;
		}
		if (rc != SQLITE_ROW) {
			qx_sql_error(c->db, err, errlen);
			return -1;
		}
		sqlite3_stmt *st = c->st;
		call->id = sqlite3_column_int64(st, 0);
		call->thread_id = sqlite3_column_int64(st, 1);
		call->depth = sqlite3_column_int64(st, 2);
		call->kind = (const char *)sqlite3_column_text(st, 3);
		call->function_id = sqlite3_column_int64(st, 4);
		call->addr = sqlite3_column_int64(st, 5);
		call->entry_seq = sqlite3_column_int64(st, 6);
		call->exit_seq = sqlite3_column_int64(st, 7);
		call->instructions = sqlite3_column_int64(st, 8);
		call->name = (const char *)sqlite3_column_text(st, 9);
		call->tid = sqlite3_column_int64(st, 10);
		call->pid = sqlite3_column_int64(st, 11);
		call->entry_ns = sqlite3_column_int64(st, 12);
		call->exit_ns = sqlite3_column_int64(st, 13);
		if (!call->kind)
			call->kind = "call";
		if (!call->name || !*call->name) {
			snprintf(call->addr_name, sizeof(call->addr_name), "0x%llx",
				 (unsigned long long)call->addr);
			call->name = call->addr_name;
		}
		if (c->o->call_id > 0) {
			/* The subtree: the call, then the later calls of its thread
			 * (and deeper) that start before it ends; ids follow
			 * entry_seq. */
			if (!c->started) {
				c->started = true;
				c->sub_thread = call->thread_id;
				c->sub_depth = call->depth;
				c->sub_exit = call->exit_seq;
			} else if (call->entry_seq >= c->sub_exit) {
				c->done = true; /* seq is global: no later call is inside */
				break;
			} else if (call->thread_id != c->sub_thread || call->depth <= c->sub_depth) {
				continue;
			}
		}
		return 1;
	}
	return 0;
}

void qx_close(qx_cursor *c)
{
	sqlite3_finalize(c->st);
	c->st = NULL;
}

size_t qx_utf8_len(const unsigned char *s)
{
	unsigned char b = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	if (b >= 0xc2 && b <= 0xdf)
		n = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f; /* no UTF-16 surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void qx_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	putc('"', out);
	while (*s) {
		unsigned char b = *s;
		if (b == '"' || b == '\\') {
			putc('\\', out);
			putc(b, out);
			s++;
		} else if (b < 0x20) {
			fprintf(out, "\\u%04x", b);
			s++;
		} else if (b < 0x80) {
			putc(b, out);
			s++;
		} else {
			size_t n = qx_utf8_len(s);
			if (n) {
				fwrite(s, 1, n, out);
				s += n;
			} else {
				fputs("\\ufffd", out);
				s++;
			}
		}
	}
	putc('"', out);
}
