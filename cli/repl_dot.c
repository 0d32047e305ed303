/* The REPL's dot-commands: sqlite3's usual ones and one per canned query. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nosco/qcanned.h"
#include "nosco/qrun.h"
#include "repl.h"

#define DOT_MAX_ARGS 16

typedef struct dot_command {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(repl *r, int argc, char **argv);
	int min_args, max_args;
} dot_command;

static int dot_help(repl *r, int argc, char **argv);

static int dot_bool(const char *word, bool *value)
{
	if (!strcasecmp(word, "on") || !strcmp(word, "1") || !strcasecmp(word, "yes")) {
		*value = true;
		return 0;
	}
	if (!strcasecmp(word, "off") || !strcmp(word, "0") || !strcasecmp(word, "no")) {
		*value = false;
		return 0;
	}
	fprintf(stderr, "Error: expected on or off, not '%s'\n", word);
	return -1;
}

/* Text from the trace file (names, schema SQL) printed to a terminal:
 * control characters other than newline and tab are escaped, so a hostile
 * file cannot send the terminal escape sequences. */
static void put_file_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static int dot_tables(repl *r, int argc, char **argv)
{
	(void)argc, (void)argv;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db,
			       "SELECT name FROM main.sqlite_schema WHERE type IN ('table', 'view') "
			       "AND name NOT LIKE 'sqlite_%' ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "Error: %s\n", sqlite3_errmsg(r->db));
		return -1;
	}
	/* Names in columns, like sqlite3's .tables. */
	char *names[512];
	int n = 0;
	size_t w = 0;
	while (n < 512 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		names[n] = strdup(name ? name : "");
		if (!names[n])
			break;
		if (strlen(names[n]) > w)
			w = strlen(names[n]);
		n++;
	}
	sqlite3_finalize(st);
	int cols = (int)(80 / (w + 2));
	if (cols < 1)
		cols = 1;
	int rows = (n + cols - 1) / cols;
	for (int i = 0; i < rows; i++) {
		for (int c = 0; c < cols && c * rows + i < n; c++) {
			const char *name = names[c * rows + i];
			put_file_text(r->out, name);
			fprintf(r->out, "%*s", (int)(w + 2 - strlen(name)), "");
		}
		fputc('\n', r->out);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	return 0;
}

static int dot_schema(repl *r, int argc, char **argv)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db,
			       "SELECT sql FROM main.sqlite_schema WHERE sql IS NOT NULL "
			       "AND name NOT LIKE 'sqlite_%' AND (?1 IS NULL OR name LIKE ?1 "
			       "OR tbl_name LIKE ?1) ORDER BY tbl_name, type DESC, name",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "Error: %s\n", sqlite3_errmsg(r->db));
		return -1;
	}
	if (argc > 1)
		sqlite3_bind_text(st, 1, argv[1], -1, SQLITE_STATIC);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		put_file_text(r->out, (const char *)sqlite3_column_text(st, 0));
		fputs(";\n", r->out);
		n++;
	}
	sqlite3_finalize(st);
	if (n == 0 && argc > 1) {
		fprintf(stderr, "Error: no table, view or index matches '%s'\n", argv[1]);
		return -1;
	}
	return 0;
}

static int dot_mode(repl *r, int argc, char **argv)
{
	if (argc == 1) {
		fprintf(r->out, "current output mode: %s\n", qfmt_mode_name(qfmt_get_mode(r->fmt)));
		return 0;
	}
	qfmt_mode m;
	if (qfmt_parse_mode(argv[1], &m) < 0) {
		fprintf(stderr, "Error: unknown mode '%s' (table, box, csv, json or line)\n",
			argv[1]);
		return -1;
	}
	qfmt_set_mode(r->fmt, m);
	r->mode_chosen = true;
	return 0;
}

static int dot_headers(repl *r, int argc, char **argv)
{
	bool on;
	if (dot_bool(argv[1], &on) < 0)
		return -1;
	qfmt_set_headers(r->fmt, on);
	return 0;
}

static int dot_timer(repl *r, int argc, char **argv)
{
	return dot_bool(argv[1], &r->timer);
}

static int dot_limit(repl *r, int argc, char **argv)
{
	if (argc == 1) {
		if (r->limit)
			fprintf(r->out, "at most %lld rows are shown per result\n", r->limit);
		else
			fprintf(r->out, "all rows are shown\n");
		return 0;
	}
	char *end;
	errno = 0;
	long long n = strtoll(argv[1], &end, 10);
	if (errno || *end || n < 0) {
		fprintf(stderr, "Error: .limit takes a number of rows (0: no limit)\n");
		return -1;
	}
	r->limit = n;
	return 0;
}

static int dot_read(repl *r, int argc, char **argv)
{
	return repl_read_file(r, argv[1]);
}

static int dot_output_to(repl *r, const char *path, bool once)
{
	repl_reset_output(r);
	if (!path || !strcmp(path, "stdout") || !strcmp(path, "-"))
		return 0;
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "Error: cannot write \"%s\": %s\n", path, strerror(errno));
		return -1;
	}
	r->out = f;
	r->once = once;
	qfmt_set_output(r->fmt, f);
	return 0;
}

static int dot_output(repl *r, int argc, char **argv)
{
	return dot_output_to(r, argc > 1 ? argv[1] : NULL, false);
}

static int dot_once(repl *r, int argc, char **argv)
{
	return dot_output_to(r, argv[1], true);
}

static int dot_quit(repl *r, int argc, char **argv)
{
	(void)argc, (void)argv;
	r->quit = true;
	return 0;
}

static int dot_queries(repl *r, int argc, char **argv)
{
	(void)argc, (void)argv;
	size_t n;
	const qcanned *q = qcanned_all(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(r->out, "  .%-26s %s\n", q[i].usage, q[i].about);
	return 0;
}

static const dot_command dot_commands[] = {
	{ "help", "", "this help", dot_help, 0, 0 },
	{ "tables", "", "list tables and views", dot_tables, 0, 0 },
	{ "schema", "[NAME]", "CREATE statements (of tables matching NAME, a LIKE pattern)",
	  dot_schema, 0, 1 },
	{ "mode", "MODE", "output mode: table, box, csv, json or line", dot_mode, 0, 1 },
	{ "headers", "on|off", "column names in table, box and csv modes", dot_headers, 1, 1 },
	{ "timer", "on|off", "print the run time of each statement", dot_timer, 1, 1 },
	{ "limit", "[N]", "show at most N rows per result on a terminal (0: all)", dot_limit, 0,
	  1 },
	{ "read", "FILE", "run the SQL and dot-commands of FILE", dot_read, 1, 1 },
	{ "output", "[FILE]", "send output to FILE (no FILE: back to the terminal)", dot_output,
	  0, 1 },
	{ "once", "FILE", "send the output of the next command only to FILE", dot_once, 1, 1 },
	{ "queries", "", "list the canned queries", dot_queries, 0, 0 },
	{ "quit", "", "leave (also .exit or Ctrl-D)", dot_quit, 0, 0 },
	{ "exit", "", NULL, dot_quit, 0, 0 },
};

#define DOT_COUNT (sizeof(dot_commands) / sizeof(*dot_commands))

static int dot_help(repl *r, int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(r->out, "SQL statements end with ';' and may span lines. Ctrl-C stops a "
			"running query.\n\nDot-commands:\n");
	for (size_t i = 0; i < DOT_COUNT; i++) {
		if (!dot_commands[i].help)
			continue;
		char head[40];
		snprintf(head, sizeof(head), ".%s %s", dot_commands[i].name, dot_commands[i].args);
		fprintf(r->out, "  %-26s %s\n", head, dot_commands[i].help);
	}
	fprintf(r->out, "\nCanned queries (also 'nosco-sql query FILE NAME ARGS'):\n");
	return dot_queries(r, 0, NULL);
}

/* Splits line into words; 'single' and "double" quotes group. Modifies
 * line. Returns the number of words, or -1 on an unterminated quote. */
static int dot_split(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return n;
		char *out = p;
		argv[n++] = out;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q)
					*out++ = *p++;
				if (!*p)
					return -1;
				p++;
			} else {
				*out++ = *p++;
			}
		}
		if (*p)
			p++;
		*out = 0;
	}
}

static int dot_canned(repl *r, const qcanned *q, int argc, char **argv)
{
	qrun_params ps;
	char err[256];
	if (qcanned_args(q, argc - 1, argv + 1, &ps, err, sizeof(err)) < 0) {
		fprintf(stderr, "Error: %s\n", err);
		return -1;
	}
	return repl_run_sql(r, q->sql, &ps) == QRUN_OK ? 0 : -1;
}

int repl_dot(repl *r, const char *line)
{
	char *copy = strdup(line + 1);
	char *argv[DOT_MAX_ARGS];
	if (!copy) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	int argc = dot_split(copy, argv, DOT_MAX_ARGS);
	int rc = -1;
	if (argc < 0) {
		fprintf(stderr, "Error: unterminated quote\n");
		goto out;
	}
	if (argc == 0) {
		fprintf(stderr, "Error: a dot-command needs a name: try .help\n");
		goto out;
	}
	for (size_t i = 0; i < DOT_COUNT; i++) {
		const dot_command *d = &dot_commands[i];
		if (strcmp(argv[0], d->name))
			continue;
		if (argc - 1 < d->min_args || argc - 1 > d->max_args) {
			fprintf(stderr, "Error: usage: .%s %s\n", d->name, d->args);
			goto out;
		}
		rc = d->fn(r, argc, argv);
		if (r->once && (d->fn == dot_help || d->fn == dot_tables || d->fn == dot_schema ||
				d->fn == dot_queries))
			repl_reset_output(r); /* .once covers the next command that prints */
		goto out;
	}
	const qcanned *q = qcanned_find(argv[0]);
	if (q) {
		rc = dot_canned(r, q, argc, argv);
		goto out;
	}
	fprintf(stderr, "Error: unknown command '.%s': try .help\n", argv[0]);
out:
	free(copy);
	return rc;
}

const char *repl_dot_name(size_t i)
{
	size_t n;
	const qcanned *q = qcanned_all(&n);
	if (i < DOT_COUNT)
		return dot_commands[i].name;
	i -= DOT_COUNT;
	return i < n ? q[i].name : NULL;
}
