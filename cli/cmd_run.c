/* nosco-sql run: trace a program into a new SQLite trace file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "nosco/procfs.h"
#include "nosco/tracer.h"
#include "trace_writer.h"

static const char run_usage[] =
	"usage: nosco-sql run [OPTIONS] [--] PROG [ARGS...]\n"
	"\n"
	"Runs PROG under the tracer and writes what it executed to a SQLite trace.\n"
	"\n"
	"  -o, --output FILE   trace file (default: PROG's name + .trace.db)\n"
	"  -f, --force         replace FILE if it is an existing trace\n"
	"  --mode MODE         the trace file's permissions, in octal (default 0600:\n"
	"                      the trace can hold program data); e.g. 0640, 0644\n"
	"  --record-env        record the program's environment in trace.env (not\n"
	"                      recorded by default: it can hold secrets)\n"
	"  --embed-sources     store the source files the trace's line information\n"
	"                      names in the trace (table sources), read at its end\n"
	"  --depth N           record instructions only in calls at depth <= N\n"
	"                      (the thread's first function is depth 0)\n"
	"  --trace SYMBOL[@BINARY][:DEPTH]\n"
	"                      record only inside calls of SYMBOL (repeatable);\n"
	"                      the program runs at full speed elsewhere\n"
	"  -c CONFIG           nosco's KDL configuration: a .kdl file or inline text\n"
	"  --backtrace-depth N frames of the call stack recorded at scope entries,\n"
	"                      thread creations and allocator calls (default 16; 0: none)\n"
	"  --engine block|step block: one stop per straight-line run (default);\n"
	"                      step: single-step every instruction (reference)\n"
	"  --no-follow         trace only PROG's process, not the processes it forks\n"
	"  --syscalls-only     record processes, threads, binaries and syscalls, no\n"
	"                      instructions or calls: the program runs at full speed\n"
	"                      between syscalls (like strace)\n"
	"  --trace-alloc       record every malloc, calloc, realloc, reallocarray,\n"
	"                      free, aligned_alloc, posix_memalign and C++ new and\n"
	"                      delete, with its call stack (--backtrace-depth frames)\n"
	"  --alloc-only        --trace-alloc without instructions, calls or syscalls:\n"
	"                      the program runs at full speed between allocator calls\n"
	"                      (with --syscalls-only: allocations and syscalls)\n"
	"  --no-pin            do not pin tracer and program to one CPU\n"
	"  --stats             print instruction and stop counts on stderr\n"
	"  -h, --help          show this help\n";

static const char attach_usage[] =
	"usage: nosco-sql attach PID [OPTIONS]\n"
	"Traces the running process PID (all its threads) until it exits or until\n"
	"Ctrl-C (SIGINT, SIGTERM, SIGHUP), then lets it go as it was: no breakpoint\n"
	"left, registers, signals and CPU affinity intact. OPTIONS are those of\n"
	"'nosco-sql run' (see 'nosco-sql run --help'); -o defaults to NAME-PID.trace.db.\n";

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	nt_request_stop();
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
static int choose_output(const char *out, bool force, char *tmp, size_t len, int *old_lock)
{
	tmp[0] = 0;
	*old_lock = -1;
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
	if (tw_busy(out)) {
		fprintf(stderr, "nosco-sql: %s is being written by another nosco-sql process: not "
				"touching it\n", out);
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
	/* Hold the old trace's lock until it is replaced: a second nosco-sql
	 * replacing it at the same time refuses. */
	*old_lock = open(out, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*old_lock >= 0 && flock(*old_lock, LOCK_EX | LOCK_NB) < 0) {
		close(*old_lock);
		*old_lock = -1;
		fprintf(stderr, "nosco-sql: %s is being replaced by another nosco-sql process: not "
				"touching it\n", out);
		return -1;
	}
	snprintf(tmp, len, "%s.new-%d", out, (int)getpid());
	return 0;
}

/* Puts the new trace tmp in the place of out. SQLite companions of the old
 * trace go first (a -wal file left by a nosco-sql that was killed would
 * otherwise be read as part of the new trace); the new trace's own -wal,
 * left when the disk filled up, moves with it. */
static int replace_trace(const char *tmp, const char *out)
{
	static const char *const companions[] = { "-wal", "-shm", "-journal" };
	char a[PATH_MAX + 64], b[PATH_MAX + 64];
	for (size_t i = 0; i < sizeof(companions) / sizeof(*companions); i++) {
		snprintf(b, sizeof(b), "%s%s", out, companions[i]);
		unlink(b);
	}
	snprintf(a, sizeof(a), "%s-wal", tmp);
	snprintf(b, sizeof(b), "%s-wal", out);
	if (access(a, F_OK) == 0 && rename(a, b) < 0)
		return -1;
	snprintf(a, sizeof(a), "%s-shm", tmp);
	unlink(a);
	return rename(tmp, out);
}

/* Parses --mode: octal permissions that keep the trace readable and
 * writable by its owner, and no set-id or sticky bit. */
static int parse_mode(const char *s, unsigned *mode)
{
	char *end;
	errno = 0;
	unsigned long m = strtoul(s, &end, 8);
	if (!*s || *s == '-' || *s == '+' || *end || errno || m > 0777 || strspn(s, "01234567") != strlen(s)) {
		fprintf(stderr, "nosco-sql: --mode '%s': expected octal permissions such as 0600 or "
				"0644\n", s);
		return -1;
	}
	if ((m & 0600) != 0600) {
		fprintf(stderr, "nosco-sql: --mode %s: the owner must be able to read and write the "
				"trace (0600 at least)\n", s);
		return -1;
	}
	*mode = (unsigned)m;
	return 0;
}

enum { DEFAULT_BACKTRACE_DEPTH = 16 };

/* What the command line asked for. */
struct run_args {
	const char *output;
	bool force, stats, record_env, embed_sources;
	unsigned mode;
	const char *engine;
	nt_options opts;
	cfg_config cfg;
	char **prog_argv;
	pid_t attach_pid; /* attach: the process, else 0 */
};

/* Parses the options before PROG. Returns 0, 1 when --help was printed, or
 * -1 after printing a one-line error. */
static int parse_args(int argc, char **argv, struct run_args *ra)
{
	char err[512];
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes_value = true;
		int r = 0;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(run_usage, stdout);
			return 1;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
			takes_value = false;
			ra->force = true;
		} else if (!strcmp(a, "--syscalls-only")) {
			takes_value = false;
			ra->opts.syscalls_only = true;
		} else if (!strcmp(a, "--trace-alloc")) {
			takes_value = false;
			ra->opts.trace_alloc = true;
		} else if (!strcmp(a, "--alloc-only")) {
			takes_value = false;
			ra->opts.trace_alloc = true;
			ra->opts.alloc_only = true;
		} else if (!strcmp(a, "--no-follow")) {
			takes_value = false;
			ra->opts.follow_forks = false;
		} else if (!strcmp(a, "--no-pin")) {
			takes_value = false;
			ra->opts.pin_cpu = false;
		} else if (!strcmp(a, "--stats")) {
			takes_value = false;
			ra->stats = true;
		} else if (!strcmp(a, "--record-env")) {
			takes_value = false;
			ra->record_env = true;
		} else if (!strcmp(a, "--embed-sources")) {
			takes_value = false;
			ra->embed_sources = true;
		} else if (!value && (!strcmp(a, "-o") || !strcmp(a, "--output") ||
				      !strcmp(a, "--depth") || !strcmp(a, "--trace") ||
				      !strcmp(a, "--backtrace-depth") ||
				      !strcmp(a, "-c") || !strcmp(a, "--config") ||
				      !strcmp(a, "--engine") || !strcmp(a, "--mode"))) {
			fprintf(stderr, "nosco-sql: option '%s' needs a value\n", a);
			return -1;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			ra->output = value;
		} else if (!strcmp(a, "--mode")) {
			if (parse_mode(value, &ra->mode) < 0)
				return -1;
		} else if (!strcmp(a, "--depth") || !strcmp(a, "--backtrace-depth")) {
			r = cfg_set_depth_flag(a, value, &ra->cfg, err, sizeof(err));
		} else if (!strcmp(a, "--trace")) {
			r = cfg_add_trace_flag(value, &ra->cfg, err, sizeof(err));
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			r = cfg_load(value, &ra->cfg, err, sizeof(err));
		} else if (!strcmp(a, "--engine")) {
			ra->engine = value;
			if (!strcmp(value, "step")) {
				ra->opts.engine = NT_ENGINE_STEP;
			} else if (!strcmp(value, "block")) {
				ra->opts.engine = NT_ENGINE_BLOCK;
			} else {
				fprintf(stderr, "nosco-sql: unknown engine '%s' (step or block)\n", value);
				return -1;
			}
		} else {
			fprintf(stderr, "nosco-sql: run: unknown option '%s' (see 'nosco-sql run --help')\n",
				a);
			return -1;
		}
		if (r < 0) {
			fprintf(stderr, "nosco-sql: %s\n", err);
			return -1;
		}
		if (takes_value)
			i++;
	}
	if (ra->attach_pid) {
		if (i < argc) {
			fprintf(stderr, "nosco-sql: attach: unexpected argument '%s'\n", argv[i]);
			return -1;
		}
	} else if (i >= argc) {
		fprintf(stderr, "nosco-sql: run: no program given (nosco-sql run -- PROG [ARGS...])\n");
		return -1;
	} else {
		ra->prog_argv = argv + i;
	}
	if (ra->cfg.has_call_depth)
		ra->opts.max_depth = ra->cfg.call_depth;
	ra->opts.backtrace_depth = ra->cfg.has_backtrace_depth ? ra->cfg.backtrace_depth
							       : DEFAULT_BACKTRACE_DEPTH;
	return 0;
}

/* The command line of a running process, as a NULL-terminated argv in one
 * allocation (argv[0] is "?" when /proc does not tell). */
static char **process_argv(pid_t pid)
{
	char **argv = nt_proc_nul_list(pid, "cmdline", 1 << 20);
	if (argv && argv[0])
		return argv;
	free(argv);
	static const char unknown[] = "?";
	return nt_split_nul_list(unknown, sizeof(unknown));
}

static int trace_into(struct run_args *ra, char *path, const char *output, const char *write_path,
		      bool replacing);

/* Traces ra->prog_argv (its argv[0] already resolved to path), or attaches
 * to ra->attach_pid, into a new trace file. Returns the exit status of
 * nosco-sql. */
static int trace_program(struct run_args *ra, char *path)
{
	char **prog_argv = ra->prog_argv;
	char default_out[PATH_MAX];
	const char *output = ra->output;
	if (!output) {
		const char *base = strrchr(prog_argv[0], '/');
		const char *name = base ? base + 1 : prog_argv[0];
		if (!*name) /* a process may have an empty argv[0] */
			name = "process";
		if (ra->attach_pid)
			snprintf(default_out, sizeof(default_out), "%s-%d.trace.db", name,
				 (int)ra->attach_pid);
		else
			snprintf(default_out, sizeof(default_out), "%s.trace.db", name);
		output = default_out;
	}
	char tmp[PATH_MAX + 32];
	int old_lock;
	if (choose_output(output, ra->force, tmp, sizeof(tmp), &old_lock) < 0)
		return 2;
	const char *write_path = tmp[0] ? tmp : output;
	int status = trace_into(ra, path, output, write_path, tmp[0] != 0);
	if (old_lock >= 0)
		close(old_lock);
	return status;
}

/* The body of trace_program: traces into write_path (beside output when
 * replacing it). */
static int trace_into(struct run_args *ra, char *path, const char *output, const char *write_path,
		      bool replacing)
{
	char **prog_argv = ra->prog_argv;
	nt_options *opts = &ra->opts;

	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = 0;
	char options_json[360];
	char depth[16] = "null";
	if (opts->max_depth != UINT32_MAX)
		snprintf(depth, sizeof(depth), "%u", opts->max_depth);
	snprintf(options_json, sizeof(options_json),
		 "{\"depth\":%s,\"pin\":%s,\"engine\":\"%s\",\"scopes\":%zu,\"follow\":%s,"
		 "\"syscalls_only\":%s,\"trace_alloc\":%s,\"alloc_only\":%s,\"record_env\":%s,"
		 "\"embed_sources\":%s}",
		 depth, opts->pin_cpu ? "true" : "false", ra->engine, opts->n_scopes,
		 opts->follow_forks ? "true" : "false", opts->syscalls_only ? "true" : "false",
		 opts->trace_alloc ? "true" : "false", opts->alloc_only ? "true" : "false",
		 ra->record_env ? "true" : "false", ra->embed_sources ? "true" : "false");
	/* Tracer and program on this CPU, the writer on the others; with
	 * --syscalls-only the writer goes where the scheduler puts it: it has
	 * little to do while the program runs, and all at the end, when a
	 * thread bound to one busy CPU can wait there long (see tw_close). */
	int cpu = ra->opts.pin_cpu ? sched_getcpu() : -1;
	ra->opts.cpu = cpu;
	/* The environment only when asked: it can hold secrets. The program
	 * gets ours (run), or has its own since it started (attach). */
	char **env_list = NULL;
	const char *const *env = NULL;
	if (ra->record_env) {
		static const char *const none[] = { NULL };
		env_list = ra->attach_pid ? nt_proc_nul_list(ra->attach_pid, "environ", 1 << 20) : NULL;
		env = ra->attach_pid ? (env_list ? (const char *const *)env_list : none)
				     : (const char *const *)environ;
	}
	tw_run_info info = { .argv = (const char *const *)prog_argv, .cwd = cwd,
			     .engine = ra->engine, .options_json = options_json,
			     .avoid_cpu = opts->syscalls_only ? -1 : cpu, .env = env,
			     .mode = ra->mode, .embed_sources = ra->embed_sources };
	char err[512];
	tw_writer *w = tw_open(write_path, &info, err, sizeof(err));
	free(env_list);
	if (!w) {
		fprintf(stderr, "nosco-sql: %s\n", err);
		return 2;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	nt_result res;
	int r;
	if (ra->attach_pid) {
		r = nt_attach(ra->attach_pid, opts, tw_handler(w), &res);
	} else {
		/* The program is exec'd by its resolved path, with its own argv. */
		char *saved0 = prog_argv[0];
		prog_argv[0] = path;
		r = nt_run(prog_argv, opts, tw_handler(w), &res);
		prog_argv[0] = saved0;
	}

	int close_r = tw_close(w, &res, err, sizeof(err));
	if (r < 0) {
		if (ra->attach_pid)
			fprintf(stderr, "nosco-sql: %s\n", res.error);
		else
			fprintf(stderr, "nosco-sql: cannot start %s\n", res.error);
		unlink(write_path);
		return ra->attach_pid ? 2 : 127;
	}
	if (replacing && replace_trace(write_path, output) < 0) {
		fprintf(stderr, "nosco-sql: cannot replace %s: %s (the new trace is %s)\n", output,
			strerror(errno), write_path);
		return 2;
	}
	if (close_r < 0) {
		/* The trace could not be written to the end (the disk is full):
		 * the tracing stopped, or only the end failed. */
		const char *program = res.reason == NT_END_EXITED ? "the program ran to its end"
				      : ra->attach_pid		    ? "process let go"
									    : "program killed";
		fprintf(stderr, "nosco-sql: %s (%s; trace in %s)\n", err, program, output);
		return 2;
	}
	if (ra->stats)
		fprintf(stderr, "nosco-sql: stats instructions=%llu stops=%llu\n",
			(unsigned long long)res.instructions, (unsigned long long)res.stops);
	if (res.reason == NT_END_ERROR) {
		fprintf(stderr, "nosco-sql: tracing failed: %s (%s; trace kept in %s)\n", res.error,
			ra->attach_pid ? "process let go" : "program killed", output);
		return 2;
	}
	if (res.reason == NT_END_DETACHED) {
		fprintf(stderr, "nosco-sql: detached from process %d, which runs on; trace in %s\n",
			(int)ra->attach_pid, output);
		return 0;
	}
	if (ra->attach_pid) {
		fprintf(stderr, "nosco-sql: process %d %s %d; trace in %s\n", (int)ra->attach_pid,
			res.exit.signal ? "was killed by signal" : "exited with status",
			res.exit.signal ? res.exit.signal : res.exit.status, output);
		return 0;
	}
	if (res.reason == NT_END_INTERRUPTED) {
		fprintf(stderr, "nosco-sql: interrupted by signal %d: program killed, trace kept in %s\n",
			(int)got_signal, output);
		return 128 + (got_signal ? (int)got_signal : SIGINT);
	}
	if (res.scope_error[0]) {
		fprintf(stderr, "nosco-sql: %s (trace kept in %s)\n", res.scope_error, output);
		return 2;
	}
	if (res.exit.signal)
		return 128 + res.exit.signal;
	return res.exit.status;
}

static int run_or_attach(int argc, char **argv, pid_t attach_pid)
{
	struct run_args ra = { .engine = "block", .attach_pid = attach_pid };
	nt_options_init(&ra.opts);
	nt_scope *scopes = NULL;
	char **attached_argv = NULL;
	int status = 2;
	int r = parse_args(argc, argv, &ra);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	if (ra.cfg.n_scopes) {
		scopes = calloc(ra.cfg.n_scopes, sizeof(*scopes));
		if (!scopes) {
			fprintf(stderr, "nosco-sql: out of memory\n");
			goto out;
		}
		for (size_t k = 0; k < ra.cfg.n_scopes; k++) {
			const cfg_scope *c = &ra.cfg.scopes[k];
			scopes[k] = (nt_scope){ .symbol = c->symbol, .binary = c->binary,
						.depth = c->has_depth ? c->depth : ra.opts.max_depth };
		}
		ra.opts.scopes = scopes;
		ra.opts.n_scopes = ra.cfg.n_scopes;
	}
	char path[PATH_MAX];
	if (attach_pid) {
		attached_argv = process_argv(attach_pid);
		if (!attached_argv) {
			fprintf(stderr, "nosco-sql: out of memory\n");
			goto out;
		}
		ra.prog_argv = attached_argv;
		status = trace_program(&ra, NULL);
	} else if (resolve_program(ra.prog_argv[0], path, sizeof(path)) < 0 ||
		   check_program(path) < 0) {
		status = 127;
	} else {
		status = trace_program(&ra, path);
	}
out:
	cfg_free(&ra.cfg);
	free(scopes);
	free(attached_argv);
	return status;
}

int cmd_run(int argc, char **argv)
{
	return run_or_attach(argc, argv, 0);
}

int cmd_attach(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(attach_usage, stdout);
		return 0;
	}
	char *end = NULL;
	long pid = argc >= 2 ? strtol(argv[1], &end, 10) : 0;
	if (argc < 2 || !end || *end || pid <= 0 || pid > INT32_MAX) {
		fprintf(stderr, "nosco-sql: attach: expected a process id (nosco-sql attach PID "
				"[OPTIONS])\n");
		return 2;
	}
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "nosco-sql: attach: no process %ld\n", pid);
		return 2;
	}
	if ((pid_t)pid == getpid()) {
		fprintf(stderr, "nosco-sql: attach: cannot trace itself\n");
		return 2;
	}
	/* argv[1] (the pid) takes the place of run's subcommand name. */
	return run_or_attach(argc - 1, argv + 1, (pid_t)pid);
}
