/* nosco-sql: dispatches to a subcommand from a table; adding a command is
 * adding a row. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "nosco/tracer.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run -- PROG [ARGS...]   trace PROG into a SQLite file" },
	{ "attach", cmd_attach, "attach PID              trace a running process until Ctrl-C, then let it go" },
	{ "query", cmd_query, "query FILE NAME [ARGS]  run a canned query (or -e SQL) on a trace" },
	{ "repl", cmd_repl, "repl FILE               interactive SQL on a trace (also: nosco-sql FILE)" },
	{ "export", cmd_export, "export FILE --format F  the calls as Chrome trace JSON or folded stacks" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: nosco-sql COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out, "\n'nosco-sql COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("nosco-sql %s\n", NOSCO_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	struct stat st;
	if (stat(argv[1], &st) == 0 && S_ISREG(st.st_mode))
		return cmd_repl(argc, argv); /* nosco-sql FILE */
	fprintf(stderr, "nosco-sql: unknown command '%s' (try 'nosco-sql --help')\n", argv[1]);
	return 2;
}
