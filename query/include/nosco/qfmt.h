/* qfmt: prints query results as table, box, csv, json or line records.
 *
 * Rows are streamed: csv, json and line print each row as it comes; table
 * and box keep the first QFMT_CHUNK rows to size the columns, then print the
 * rest as they come with those widths, so memory stays bounded whatever the
 * size of the result. */
#ifndef NOSCO_QFMT_H
#define NOSCO_QFMT_H

#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>

#define QFMT_CHUNK 1000

typedef enum qfmt_mode {
	QFMT_TABLE, /* ASCII grid */
	QFMT_BOX,   /* Unicode box-drawing grid */
	QFMT_CSV,   /* RFC 4180 */
	QFMT_JSON,  /* one JSON array of objects per result */
	QFMT_LINE,  /* "column = value", one line per column, blank line between rows */
} qfmt_mode;

typedef struct qfmt qfmt;

/* Parses a mode name ("table", "box", "csv", "json", "line"). Returns 0 and
 * sets *mode, or -1 for an unknown name. */
int qfmt_parse_mode(const char *name, qfmt_mode *mode);

/* Name of a mode, for messages. */
const char *qfmt_mode_name(qfmt_mode mode);

/* Creates a formatter writing to out (not owned). Returns NULL on allocation
 * failure. headers: print column names (table, box, csv). */
qfmt *qfmt_new(FILE *out, qfmt_mode mode, bool headers);

/* Starts a result whose columns are those of st. */
void qfmt_begin(qfmt *f, sqlite3_stmt *st);

/* Adds the current row of st (after sqlite3_step returned SQLITE_ROW).
 * Returns 0, or -1 when out of memory. */
int qfmt_row(qfmt *f, sqlite3_stmt *st);

/* Ends the current result, flushing what is buffered. Safe to call without
 * a begun result. */
void qfmt_end(qfmt *f);

/* Changes where output goes from the next result on (out is not owned). */
void qfmt_set_output(qfmt *f, FILE *out);

/* The current mode of f. */
qfmt_mode qfmt_get_mode(const qfmt *f);

/* Changes the mode of f from the next result on. */
void qfmt_set_mode(qfmt *f, qfmt_mode mode);

/* Changes whether table, box and csv print column names. */
void qfmt_set_headers(qfmt *f, bool headers);

/* Frees f (ending a pending result). NULL is allowed. */
void qfmt_free(qfmt *f);

#endif
