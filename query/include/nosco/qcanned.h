/* qcanned: the canned queries, one query/NAME.sql file each, embedded at
 * build time.
 *
 * A file starts with comment lines that describe it:
 *   -- @usage calls ID [--depth N]
 *   -- @about The call tree under a call, indented.
 *   -- @arg id int
 *   -- @arg depth int optional --depth
 * then holds one or more statements. Arguments are given in order, or by
 * their --flag; each binds the parameter of its name (:id). Types:
 *   int           decimal or 0x hex
 *   text          as given
 *   addr_or_name  binds :NAME (text) and :NAME_addr (the number, or NULL)
 *   file_line     FILE:LINE, binds :NAME_file (text) and :NAME_line
 */
#ifndef NOSCO_QCANNED_H
#define NOSCO_QCANNED_H

#include <stdbool.h>
#include <stddef.h>

#include "nosco/qrun.h"

#define QCANNED_MAX_ARGS 4

typedef enum qcanned_type {
	QCANNED_INT,
	QCANNED_TEXT,
	QCANNED_ADDR_OR_NAME,
	QCANNED_FILE_LINE,
} qcanned_type;

typedef struct qcanned_arg {
	char name[24];
	char flag[24]; /* "--depth", or "" */
	qcanned_type type;
	bool optional;
} qcanned_arg;

typedef struct qcanned {
	const char *name;
	const char *sql; /* the whole file */
	char usage[96];
	char about[200];
	int nargs;
	qcanned_arg args[QCANNED_MAX_ARGS];
} qcanned;

/* All canned queries, in a fixed order; sets *n. Never fails. */
const qcanned *qcanned_all(size_t *n);

/* The canned query called name, or NULL. */
const qcanned *qcanned_find(const char *name);

/* Turns argv (argc words after the query name) into parameters for q.
 * Returns 0, or -1 with a one-line message in err. ps keeps pointers into
 * argv. */
int qcanned_args(const qcanned *q, int argc, char **argv, qrun_params *ps, char *err,
		 size_t errlen);

#endif
