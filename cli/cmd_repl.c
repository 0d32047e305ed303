/* nosco-sql repl FILE: an interactive SQL shell on a trace, with line
 * editing, history, completion, dot-commands and the canned queries. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "commands.h"
#include "nosco/tracer.h"
#include "nosco/qdb.h"
#include "nosco/qrun.h"
#include "repl.h"

#define REPL_PROMPT "nosco> "
#define REPL_CONTINUE "  ...> "
#define REPL_HISTORY_FILE ".nosco_sql_history"
#define REPL_HISTORY_SIZE 2000

/* The signal handler's view of the REPL: the database to interrupt while a
 * query runs, or a pending Ctrl-C at the prompt. */
static sqlite3 *volatile repl_running_db;
static volatile sig_atomic_t repl_sigint;
static volatile sig_atomic_t repl_is_interactive;
static repl *repl_current; /* for the readline line handler */
static char repl_history[PATH_MAX];

static void repl_on_sigint(int sig)
{
	(void)sig;
	sqlite3 *db = repl_running_db;
	if (db)
		sqlite3_interrupt(db);
	else if (repl_is_interactive)
		repl_sigint = 1;
	else
		_exit(130); /* a script: Ctrl-C between statements ends it */
}

int repl_run_sql(repl *r, const char *sql, const qrun_params *ps)
{
	qrun_opts o = {
		.fmt = r->fmt,
		.diag = stderr,
		.limit = (r->out == stdout && isatty(STDOUT_FILENO)) ? r->limit : 0,
		.count_budget = 1.0,
		.timer = r->timer,
		.mode_hints = !r->mode_chosen,
		.note_empty = ps != NULL,
		.params = ps,
	};
	repl_running_db = r->db;
	int rc = qrun_exec(r->db, sql, &o);
	repl_running_db = NULL;
	repl_sigint = 0;
	if (r->once)
		repl_reset_output(r);
	return rc;
}

void repl_reset_output(repl *r)
{
	if (r->out != stdout) {
		qfmt_set_output(r->fmt, stdout);
		fclose(r->out);
		r->out = stdout;
	}
	r->once = false;
}

static int repl_append(repl *r, const char *line)
{
	size_t n = strlen(line);
	if (r->len + n + 2 > r->cap) {
		size_t cap = (r->len + n + 2) * 2;
		char *b = realloc(r->buf, cap);
		if (!b)
			return -1;
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, line, n);
	r->len += n;
	r->buf[r->len++] = '\n';
	r->buf[r->len] = 0;
	return 0;
}

static void repl_add_history(repl *r, const char *entry)
{
	if (!entry[0] || !isatty(STDIN_FILENO) || r->read_depth > 0)
		return;
	char *h = strdup(entry);
	if (!h)
		return;
	for (char *p = h; *p; p++)
		if (*p == '\n')
			*p = ' ';
	size_t n = strlen(h);
	while (n && h[n - 1] == ' ')
		h[--n] = 0;
	HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
	if (!last || strcmp(last->line, h)) {
		add_history(h);
		if (repl_history[0])
			append_history(1, repl_history);
	}
	free(h);
}

int repl_line(repl *r, const char *line)
{
	if (r->len == 0) {
		const char *p = line + strspn(line, " \t");
		if (!*p)
			return 0;
		if (*p == '.') {
			repl_add_history(r, p);
			if (repl_dot(r, p) == 0)
				return 0;
			r->errors++;
			return -1;
		}
	}
	if (repl_append(r, line) < 0) {
		fprintf(stderr, "Error: out of memory\n");
		r->len = 0;
		return -1;
	}
	if (!sqlite3_complete(r->buf))
		return 0;
	repl_add_history(r, r->buf);
	int rc = repl_run_sql(r, r->buf, NULL);
	r->len = 0;
	r->buf[0] = 0;
	if (rc != QRUN_OK)
		r->errors++;
	return rc == QRUN_OK ? 0 : -1;
}

static void repl_on_readline(char *line)
{
	repl *r = repl_current;
	if (!line) {
		putchar('\n');
		r->quit = true;
	} else {
		repl_line(r, line);
		free(line);
	}
	if (r->quit)
		rl_callback_handler_remove();
	else
		rl_set_prompt(r->len ? REPL_CONTINUE : REPL_PROMPT);
}

/* Interactive loop: readline's callback interface, so that a Ctrl-C at the
 * prompt can clear the line (and a pending statement) and go on. */
static void repl_interactive(repl *r)
{
	repl_current = r;
	rl_catch_signals = 0;
	rl_callback_handler_install(REPL_PROMPT, repl_on_readline);
	while (!r->quit) {
		fd_set fds;
		FD_ZERO(&fds);
		FD_SET(STDIN_FILENO, &fds);
		int n = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
		if (n < 0 && errno != EINTR)
			break;
		if (repl_sigint) {
			repl_sigint = 0;
			r->len = 0;
			if (r->buf)
				r->buf[0] = 0;
			rl_free_line_state();
			rl_callback_sigcleanup();
			rl_replace_line("", 0);
			rl_crlf();
			rl_set_prompt(REPL_PROMPT);
			rl_on_new_line();
			rl_redisplay();
			continue;
		}
		if (n > 0)
			rl_callback_read_char();
	}
	if (!r->quit)
		rl_callback_handler_remove();
}

/* Script loop: stdin is a file or a pipe (or .read). */
static void repl_batch(repl *r, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while (!r->quit && (n = getline(&line, &cap, in)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		repl_line(r, line);
	}
	free(line);
	if (r->len) { /* a last statement without ';' */
		if (repl_run_sql(r, r->buf, NULL) != QRUN_OK)
			r->errors++;
		r->len = 0;
	}
}

int repl_read_file(repl *r, const char *path)
{
	if (r->read_depth >= 8) {
		fprintf(stderr, "Error: .read nested too deeply\n");
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "Error: cannot open \"%s\": %s\n", path, strerror(errno));
		return -1;
	}
	/* The file's statements are its own: keep what is being typed apart. */
	char *saved = r->buf;
	size_t len = r->len, cap = r->cap;
	r->buf = NULL;
	r->len = r->cap = 0;
	r->read_depth++;
	repl_batch(r, f);
	r->read_depth--;
	free(r->buf);
	r->buf = saved;
	r->len = len;
	r->cap = cap;
	fclose(f);
	return 0;
}

static void repl_history_open(void)
{
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return;
	if (snprintf(repl_history, sizeof(repl_history), "%s/%s", home, REPL_HISTORY_FILE) >=
	    (int)sizeof(repl_history)) {
		repl_history[0] = 0;
		return;
	}
	using_history();
	stifle_history(REPL_HISTORY_SIZE);
	if (read_history(repl_history) != 0)
		write_history(repl_history); /* create it, so that appending works */
}

/* One line about the trace, and a warning if it was not closed. */
static void repl_banner(repl *r)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db,
			       "SELECT argv, instructions, end_reason, end_time, "
			       "(SELECT count(*) FROM threads) FROM trace",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		printf("nosco-sql %s: trace of %s, %lld instructions, %d thread%s, %s\n",
		       NOSCO_VERSION, (const char *)sqlite3_column_text(st, 0) ?: "?",
		       sqlite3_column_int64(st, 1), sqlite3_column_int(st, 4),
		       sqlite3_column_int(st, 4) == 1 ? "" : "s",
		       (const char *)sqlite3_column_text(st, 2) ?: "not finished");
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			printf("warning: this trace was not closed (the tracer stopped early?): "
			       "it may be incomplete and lack indexes\n");
	}
	sqlite3_finalize(st);
	printf("Enter SQL statements ending with ';', or .help\n");
}

static void repl_usage(FILE *out)
{
	fprintf(out, "usage: nosco-sql repl FILE [--write]\n"
		     "       nosco-sql FILE\n"
		     "Interactive SQL on a trace: .help inside for the commands.\n"
		     "  --write   open the trace read-write (default: read-only)\n");
}

int cmd_repl(int argc, char **argv)
{
	const char *path = NULL;
	int flags = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			repl_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--write")) {
			flags |= QDB_WRITABLE;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "nosco-sql repl: unknown option '%s'\n", argv[i]);
			repl_usage(stderr);
			return 2;
		} else if (!path) {
			path = argv[i];
		} else {
			repl_usage(stderr);
			return 2;
		}
	}
	if (!path) {
		repl_usage(stderr);
		return 2;
	}
	repl r = { .path = path, .limit = REPL_DEFAULT_LIMIT, .out = stdout };
	char err[512];
	if (qdb_open(path, flags, &r.db, err, sizeof(err)) < 0) {
		fprintf(stderr, "nosco-sql: %s: %s\n", path, err);
		return 1;
	}
	r.fmt = qfmt_new(stdout, QFMT_TABLE, true);
	if (!r.fmt) {
		fprintf(stderr, "nosco-sql: out of memory\n");
		sqlite3_close(r.db);
		return 1;
	}
	struct sigaction sa = { .sa_handler = repl_on_sigint }; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	bool interactive = isatty(STDIN_FILENO);
	repl_is_interactive = interactive;
	if (interactive) {
		repl_banner(&r);
		repl_history_open();
		repl_complete_init(&r);
		repl_interactive(&r);
		if (repl_history[0])
			history_truncate_file(repl_history, REPL_HISTORY_SIZE);
		repl_complete_free();
	} else {
		repl_batch(&r, stdin);
	}
	repl_reset_output(&r);
	qfmt_free(r.fmt);
	free(r.buf);
	sqlite3_close(r.db);
	return r.errors && !interactive ? 1 : 0;
}
