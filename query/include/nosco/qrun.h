/* qrun: runs SQL text (one or more statements) and prints each result.
 *
 * The caller may stop a running query from a signal handler with
 * sqlite3_interrupt(db); qrun then reports "interrupted" and returns. */
#ifndef NOSCO_QRUN_H
#define NOSCO_QRUN_H

#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>

#include "nosco/qfmt.h"

#define QRUN_MAX_PARAMS 8

/* A named parameter value, bound wherever a statement has :name. */
typedef struct qrun_param {
	char name[40];    /* without the leading ':' */
	int type;         /* SQLITE_INTEGER, SQLITE_TEXT or SQLITE_NULL */
	long long i;
	const char *text; /* not owned */
} qrun_param;

typedef struct qrun_params {
	int n;
	qrun_param p[QRUN_MAX_PARAMS];
} qrun_params;

typedef struct qrun_opts {
	qfmt *fmt;                 /* where results go */
	FILE *diag;                /* errors, notes, timings (usually stderr) */
	long long limit;           /* rows printed per result; 0 = all */
	double count_budget;       /* seconds spent counting rows past the limit */
	bool timer;                /* print the run time of each statement */
	bool mode_hints;           /* obey "-- @mode M" before a statement */
	bool note_empty;           /* say "(no rows)" for an empty result */
	const qrun_params *params; /* may be NULL */
} qrun_opts;

enum {
	QRUN_OK = 0,
	QRUN_ERROR = -1,       /* SQL error, already reported on diag */
	QRUN_INTERRUPTED = -2, /* sqlite3_interrupt() stopped it */
};

/* Runs every statement of sql in order, printing rows through o->fmt and
 * stopping at the first error. A statement preceded by a comment line
 * "-- @requires NAME" runs only if table or view NAME exists, one preceded
 * by "-- @unless NAME" only if it does not; "-- @mode M" prints that
 * statement in mode M when o->mode_hints. Returns a QRUN_ code. */
int qrun_exec(sqlite3 *db, const char *sql, const qrun_opts *o);

/* Adds or replaces an integer parameter. Returns 0, or -1 when full. */
int qrun_param_int(qrun_params *ps, const char *name, long long value);

/* Adds or replaces a text parameter (text is not copied). Returns 0, or -1
 * when full. */
int qrun_param_text(qrun_params *ps, const char *name, const char *text);

/* Adds or replaces a NULL parameter. Returns 0, or -1 when full. */
int qrun_param_null(qrun_params *ps, const char *name);

#endif
