/* The REPL of nosco-sql (cmd_repl.c): its state, shared by the dot-command
 * (repl_dot.c) and completion (repl_complete.c) modules. Not a public
 * interface: only the repl_*.c files and cmd_repl.c include it. */
#ifndef NOSCO_CLI_REPL_H
#define NOSCO_CLI_REPL_H

#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>

#include "nosco/qfmt.h"
#include "nosco/qrun.h"

#define REPL_DEFAULT_LIMIT 1000

typedef struct repl {
	sqlite3 *db;
	const char *path;
	qfmt *fmt;
	bool mode_chosen; /* .mode was used: canned queries keep that mode */
	bool timer;
	long long limit;  /* rows shown per result on a terminal; 0 = all */
	FILE *out;        /* stdout, or the file of .output / .once */
	bool once;        /* out goes back to stdout after the next command */
	bool quit;
	int errors;       /* failed commands: the exit status of a script */
	int read_depth;   /* nesting of .read */
	char *buf;        /* the SQL statement being typed */
	size_t len, cap;
} repl;

/* Runs SQL text (complete statements) with parameters ps (may be NULL)
 * and prints the results. Returns a QRUN_ code. */
int repl_run_sql(repl *r, const char *sql, const qrun_params *ps);

/* Name of the i-th dot-command (canned queries included), or NULL past
 * the last: for completion. */
const char *repl_dot_name(size_t i);

/* Handles one input line: a dot-command, or SQL that is run once a
 * statement is complete. Returns 0, or -1 if the line failed. */
int repl_line(repl *r, const char *line);

/* Runs a dot-command line (starting with '.'). Returns 0, or -1 with a
 * message on stderr. */
int repl_dot(repl *r, const char *line);

/* Runs the lines of the file at path like typed input (for .read).
 * Returns 0, or -1 if it cannot be opened. */
int repl_read_file(repl *r, const char *path);

/* Sends output back to stdout (after .output FILE or .once FILE). */
void repl_reset_output(repl *r);

/* Sets up readline completion for r's database. */
void repl_complete_init(repl *r);

/* Frees what repl_complete_init collected. */
void repl_complete_free(void);

#endif
