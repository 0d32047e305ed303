/* nosco-sql run: trace a program into a new SQLite trace file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "nosco/tracer.h"
#include "trace_writer.h"

static const char run_usage[] =
	"usage: nosco-sql run [OPTIONS] [--] PROG [ARGS...]\n"
	"\n"
	"Runs PROG under the tracer and writes what it executed to a SQLite trace.\n"
	"\n"
	"  -o, --output FILE   trace file (default: PROG's name + .trace.db)\n"
	"  -f, --force         replace FILE if it is an existing trace\n"
	"  --depth N           record instructions only in calls at depth <= N\n"
	"                      (the thread's first function is depth 0)\n"
	"  --engine block|step block: one stop per straight-line run (default);\n"
	"                      step: single-step every instruction (reference)\n"
	"  --no-pin            do not pin tracer and program to one CPU\n"
	"  --stats             print instruction and stop counts on stderr\n"
	"  -h, --help          show this help\n";

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	nt_request_stop();
}

/* Parses a non-negative decimal into *out; false if it is not one. */
static bool parse_u32(const char *s, uint32_t *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno || v >= UINT32_MAX || s[0] == '-' || s[0] == '+')
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Finds prog like a shell would: a name with a slash is a path, anything
 * else is looked up in PATH. Fills path; returns 0 or prints an error. */
static int resolve_program(const char *prog, char *path, size_t len)
{
	if (!*prog) {
		fprintf(stderr, "nosco-sql: empty program name\n");
		return -1;
	}
	if (strchr(prog, '/')) {
		snprintf(path, len, "%s", prog);
		return 0;
	}
	const char *env = getenv("PATH");
	char *dirs = strdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;
	bool found = false;
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/%s", *d ? d : ".", prog);
		struct stat st;
		found = stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
	}
	free(dirs);
	if (!found) {
		fprintf(stderr, "nosco-sql: %s: command not found\n", prog);
		return -1;
	}
	return 0;
}

/* Refuses, with one line on stderr, what the kernel could not run or the
 * tracer does not support. */
static int check_program(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "nosco-sql: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "nosco-sql: %s: is a directory\n", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		fprintf(stderr, "nosco-sql: %s: permission denied (not an executable file)\n", path);
		return -1;
	}
	unsigned char head[20] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof(head)) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		fprintf(stderr, "nosco-sql: %s: cannot read it: %s\n", path, strerror(errno));
		return -1;
	}
	if (n >= 2 && head[0] == '#' && head[1] == '!')
		return 0; /* a script: its interpreter is traced */
	if (n < 20 || memcmp(head, "\177ELF", 4)) {
		fprintf(stderr, "nosco-sql: %s: not an executable format (no ELF header, no #! line)\n",
			path);
		return -1;
	}
	uint16_t machine = (uint16_t)(head[18] | head[19] << 8);
	if (head[4] != 2 || machine != 62) {
		fprintf(stderr, "nosco-sql: %s: unsupported: %s ELF (nosco-sql traces x86-64 programs)\n",
			path, head[4] == 1 ? "32-bit" : "non-x86-64");
		return -1;
	}
	return 0;
}

/* Decides where the trace goes. Sets *tmp when an existing trace is to be
 * replaced: the new one is written beside it and renamed over it at the
 * end, so the old trace survives a run that fails to start. */
static int choose_output(const char *out, bool force, char *tmp, size_t len)
{
	tmp[0] = 0;
	struct stat st;
	if (stat(out, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "nosco-sql: %s: %s\n", out, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "nosco-sql: %s: is a directory (use -o FILE)\n", out);
		return -1;
	}
	int is_trace = 0;
	if (tw_is_trace(out, &is_trace) < 0 || !is_trace) {
		fprintf(stderr, "nosco-sql: %s exists and is not a nosco-sql trace: not overwriting it\n",
			out);
		return -1;
	}
	if (!force) {
		fprintf(stderr, "nosco-sql: %s exists (use --force to replace the trace)\n", out);
		return -1;
	}
	snprintf(tmp, len, "%s.new-%d", out, (int)getpid());
	return 0;
}

int cmd_run(int argc, char **argv)
{
	const char *output = NULL;
	bool force = false, stats = false;
	nt_options opts;
	nt_options_init(&opts);
	const char *engine = "block";
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		bool has_value = i + 1 < argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(run_usage, stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (!has_value)
				goto missing;
			output = argv[++i];
		} else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
			force = true;
		} else if (!strcmp(a, "--depth")) {
			if (!has_value)
				goto missing;
			if (!parse_u32(argv[++i], &opts.max_depth)) {
				fprintf(stderr, "nosco-sql: --depth wants a non-negative number, not '%s'\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "--engine")) {
			if (!has_value)
				goto missing;
			engine = argv[++i];
			if (!strcmp(engine, "step")) {
				opts.engine = NT_ENGINE_STEP;
			} else if (!strcmp(engine, "block")) {
				opts.engine = NT_ENGINE_BLOCK;
			} else {
				fprintf(stderr, "nosco-sql: unknown engine '%s' (step or block)\n", engine);
				return 2;
			}
		} else if (!strcmp(a, "--no-pin")) {
			opts.pin_cpu = false;
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else {
			fprintf(stderr, "nosco-sql: run: unknown option '%s' (see 'nosco-sql run --help')\n",
				a);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "nosco-sql: run: no program given (nosco-sql run -- PROG [ARGS...])\n");
		return 2;
	}
	char **prog_argv = argv + i;
	char path[PATH_MAX];
	if (resolve_program(prog_argv[0], path, sizeof(path)) < 0 || check_program(path) < 0)
		return 127;

	char default_out[PATH_MAX];
	if (!output) {
		const char *base = strrchr(prog_argv[0], '/');
		snprintf(default_out, sizeof(default_out), "%s.trace.db", base ? base + 1 : prog_argv[0]);
		output = default_out;
	}
	char tmp[PATH_MAX + 32];
	if (choose_output(output, force, tmp, sizeof(tmp)) < 0)
		return 2;
	const char *write_path = tmp[0] ? tmp : output;

	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = 0;
	char options_json[256];
	char depth[16] = "null";
	if (opts.max_depth != UINT32_MAX)
		snprintf(depth, sizeof(depth), "%u", opts.max_depth);
	snprintf(options_json, sizeof(options_json), "{\"depth\":%s,\"pin\":%s,\"engine\":\"%s\"}",
		 depth, opts.pin_cpu ? "true" : "false", engine);
	tw_run_info info = { .argv = (const char *const *)prog_argv, .cwd = cwd,
			     .engine = engine, .options_json = options_json };
	char err[512];
	tw_writer *w = tw_open(write_path, &info, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "nosco-sql: %s\n", err);
		return 2;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* The program gets the resolved path to exec, and its own argv. */
	char *saved0 = prog_argv[0];
	char **exec_argv = prog_argv;
	nt_result res;
	exec_argv[0] = path;
	int r = nt_run(exec_argv, &opts, tw_handler(w), &res);
	exec_argv[0] = saved0;

	int close_r = tw_close(w, &res, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "nosco-sql: cannot start %s\n", res.error);
		unlink(write_path);
		return 127;
	}
	if (close_r < 0)
		fprintf(stderr, "nosco-sql: %s (the trace holds what was written before)\n", err);
	if (tmp[0] && rename(tmp, output) < 0) {
		fprintf(stderr, "nosco-sql: cannot replace %s: %s (the new trace is %s)\n", output,
			strerror(errno), tmp);
		return 2;
	}
	if (stats)
		fprintf(stderr, "nosco-sql: stats instructions=%llu stops=%llu\n",
			(unsigned long long)res.instructions, (unsigned long long)res.stops);
	if (res.reason == NT_END_ERROR) {
		fprintf(stderr, "nosco-sql: tracing failed: %s (program killed; trace kept in %s)\n",
			res.error, output);
		return 2;
	}
	if (res.reason == NT_END_INTERRUPTED) {
		fprintf(stderr, "nosco-sql: interrupted by signal %d: program killed, trace kept in %s\n",
			(int)got_signal, output);
		return 128 + (got_signal ? (int)got_signal : SIGINT);
	}
	if (res.exit.signal)
		return 128 + res.exit.signal;
	return res.exit.status;
missing:
	fprintf(stderr, "nosco-sql: option '%s' needs a value\n", argv[i]);
	return 2;
}
