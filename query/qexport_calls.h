/* qexport_calls: what the export formats share (internal to query/): a
 * cursor over the calls to export, in id (= entry) order, and text
 * helpers. */
#ifndef NOSCO_QEXPORT_CALLS_H
#define NOSCO_QEXPORT_CALLS_H

#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>

#include "nosco/qexport.h"

/* One call as the exports see it. Strings live until the next qx_next. */
typedef struct qx_call {
	long long id, thread_id, depth, function_id, addr;
	long long entry_seq, exit_seq; /* exit_seq: the thread's end if still open */
	long long instructions;        /* in the call itself */
	long long entry_ns, exit_ns;   /* measured (o->measured only); exit_ns: the
					* trace's last return if still open */
	long long pid, tid;
	const char *kind;
	const char *name; /* function name, or "0x..." of addr when none */
	char addr_name[24];
} qx_call;

typedef struct qx_cursor {
	sqlite3 *db;
	sqlite3_stmt *st;
	const qexport_opts *o;
	/* With o->call_id: the subtree's call and where it ends. */
	long long sub_thread, sub_depth, sub_exit;
	bool started, done;
} qx_cursor;

/* Starts reading the calls o selects. Returns 0, or -1 with err set. */
int qx_open(qx_cursor *c, sqlite3 *db, const qexport_opts *o, char *err, size_t errlen);

/* Reads the next call into *call: 1, 0 at the end, -1 with err set on error
 * or when *o->stop was set ("interrupted"). */
int qx_next(qx_cursor *c, qx_call *call, char *err, size_t errlen);

void qx_close(qx_cursor *c);

/* Length of the valid UTF-8 sequence (of 2 to 4 bytes) at s, or 0 when the
 * bytes there are not one. */
size_t qx_utf8_len(const unsigned char *s);

/* Writes s as a JSON string (quoted); bytes that are not valid UTF-8
 * become U+FFFD, so the output is always valid JSON. */
void qx_json_string(FILE *out, const char *s);

/* Puts SQLite's last error on db into err. */
void qx_sql_error(sqlite3 *db, char *err, size_t errlen);

#endif
