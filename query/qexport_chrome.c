/* qexport_chrome: Chrome trace-event JSON (see nosco/qexport.h). One event
 * per line: the process and thread names first ("M" events), then one
 * complete ("X") event per call in entry order, written as it is read. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "nosco/qexport.h"
#include "qexport_calls.h"

/* Processes and threads, or only the call's with o->call_id (?1). */
static const char chrome_processes_sql[] =
	"SELECT p.id, p.pid, p.executable, json_extract(p.argv, '$[0]') FROM main.processes p"
	" WHERE ?1 IS NULL OR p.id = (SELECT t.process_id FROM main.calls c"
	"                             JOIN main.threads t ON t.id = c.thread_id WHERE c.id = ?1)"
	" ORDER BY p.id";
static const char chrome_threads_sql[] =
	"SELECT t.id, t.tid, p.pid, f.name FROM main.threads t"
	" LEFT JOIN main.processes p ON p.id = t.process_id"
	" LEFT JOIN main.calls rc ON rc.id = t.root_call_id"
	" LEFT JOIN main.functions f ON f.id = rc.function_id"
	" WHERE ?1 IS NULL OR t.id = (SELECT thread_id FROM main.calls WHERE id = ?1)"
	" ORDER BY t.id";

/* The name a file path ends with. */
static const char *chrome_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* Starts an element of traceEvents: a comma before all but the first. */
static void chrome_next(FILE *out, bool *first)
{
	fputs(*first ? "\n" : ",\n", out);
	*first = false;
}

static void chrome_meta(FILE *out, bool *first, const char *what, long long pid, long long tid,
			const char *key, const char *text, long long number)
{
	chrome_next(out, first);
	fprintf(out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%lld,\"tid\":%lld,\"args\":{\"%s\":",
		what, pid, tid, key);
	if (text)
		qx_json_string(out, text);
	else
		fprintf(out, "%lld", number);
	fputs("}}", out);
}

/* process_name/thread_name and their sort indexes (creation order). */
static int chrome_metadata(sqlite3 *db, FILE *out, bool *first, const qexport_opts *o,
			   char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, chrome_processes_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if (o->call_id > 0)
		sqlite3_bind_int64(st, 1, o->call_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0), pid = sqlite3_column_int64(st, 1);
		const char *exe = (const char *)sqlite3_column_text(st, 2);
		if (!exe || !*exe)
			exe = (const char *)sqlite3_column_text(st, 3);
		char name[512];
		snprintf(name, sizeof(name), "%s", exe && *exe ? chrome_basename(exe) : "process");
		chrome_meta(out, first, "process_name", pid, 0, "name", name, 0);
		chrome_meta(out, first, "process_sort_index", pid, 0, "sort_index", NULL, id);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	rc = sqlite3_prepare_v2(db, chrome_threads_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if (o->call_id > 0)
		sqlite3_bind_int64(st, 1, o->call_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0), tid = sqlite3_column_int64(st, 1);
		long long pid = sqlite3_column_int64(st, 2);
		const char *root = (const char *)sqlite3_column_text(st, 3);
		char name[512];
		if (root && *root)
			snprintf(name, sizeof(name), "thread %lld (%s)", id, root);
		else
			snprintf(name, sizeof(name), "thread %lld", id);
		chrome_meta(out, first, "thread_name", pid, tid, "name", name, 0);
		chrome_meta(out, first, "thread_sort_index", pid, tid, "sort_index", NULL, id);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	qx_sql_error(db, err, errlen);
	sqlite3_finalize(st);
	return -1;
}

int qexport_chrome(sqlite3 *db, FILE *out, const qexport_opts *o, char *err, size_t errlen)
{
	bool first = true;
	fputs("{\"traceEvents\":[", out);
	if (chrome_metadata(db, out, &first, o, err, errlen) < 0)
		return -1;
	qx_cursor c;
	if (qx_open(&c, db, o, err, errlen) < 0)
		return -1;
	qx_call call;
	int rc;
	while ((rc = qx_next(&c, &call, err, errlen)) == 1) {
		chrome_next(out, &first);
		fputs("{\"name\":", out);
		qx_json_string(out, call.name);
		fputs(",\"cat\":", out);
		qx_json_string(out, call.kind);
		if (o->measured) {
			/* Microseconds, to the nanosecond. */
			long long dur = call.exit_ns > call.entry_ns ? call.exit_ns - call.entry_ns : 0;
			fprintf(out, ",\"ph\":\"X\",\"ts\":%lld.%03lld,\"dur\":%lld.%03lld",
				call.entry_ns / 1000, call.entry_ns % 1000, dur / 1000, dur % 1000);
		} else {
			long long dur = call.exit_seq > call.entry_seq ? call.exit_seq - call.entry_seq : 0;
			fprintf(out, ",\"ph\":\"X\",\"ts\":%lld,\"dur\":%lld", call.entry_seq, dur);
		}
		fprintf(out, ",\"pid\":%lld,\"tid\":%lld", call.pid, call.tid);
		if (o->no_args)
			fputs("}", out);
		else
			fprintf(out, ",\"args\":{\"call\":%lld,\"instructions\":%lld}}", call.id,
				call.instructions);
	}
	qx_close(&c);
	if (rc < 0)
		return -1;
	fputs("\n],\n\"displayTimeUnit\":\"ms\",\n"
	      "\"otherData\":{\"producer\":\"nosco-sql\",\"clock\":\"seq: 1 us = 1 instruction\"}}\n",
	      out);
	return 0;
}
