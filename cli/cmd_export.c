/* nosco-sql export FILE --format chrome|folded|codetracer: a trace for the
 * viewers people already use. The work is query/qexport*.c; here are the
 * options and the output, written beside its final name (a file, or for
 * codetracer a directory) and renamed over it only when complete, so a
 * failure leaves no partial output. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "nosco/qdb.h"
#include "nosco/qexport.h"

static const char export_usage[] =
	"usage: nosco-sql export FILE --format chrome|folded|codetracer [OPTIONS]\n"
	"\n"
	"Writes the trace FILE for other viewers.\n"
	"\n"
	"  --format chrome     Chrome trace-event JSON: one complete event per call on\n"
	"                      its process and thread (Perfetto UI, chrome://tracing,\n"
	"                      speedscope)\n"
	"  --format folded     folded stacks 'a;b;c COUNT', one line per distinct stack\n"
	"                      (flamegraph.pl, speedscope)\n"
	"  --format codetracer CodeTracer's runtime_tracing trace, a directory OUT\n"
	"                      (-o required): trace.json (line steps, calls, returns,\n"
	"                      threads), trace_metadata.json, trace_paths.json, files/\n"
	"  -o, --output OUT    write OUT (default, or '-': standard output)\n"
	"  -f, --force         replace OUT if it exists (codetracer: only a directory\n"
	"                      that holds a codetracer export)\n"
	"  --embedded-only     codetracer: copy into files/ only the sources embedded in\n"
	"                      the trace (run --embed-sources), never files from disk\n"
	"  --call ID           only call ID and the calls under it\n"
	"  --time seq|measured chrome: time is the instruction sequence, 1 instruction\n"
	"                      = 1 us (seq, the default), or when the tracer saw each\n"
	"                      call begin and end (measured; the program ran slowed\n"
	"                      by tracing)\n"
	"  --no-args           chrome: no args (call id, own instructions) on events;\n"
	"                      speedscope adds args to frame names, so its merged\n"
	"                      views need this\n"
	"  --weight instructions|calls\n"
	"                      folded: COUNT is the instructions executed in the\n"
	"                      stack's innermost calls themselves (default), or the\n"
	"                      number of those calls\n"
	"  -h, --help          show this help\n";

static volatile sig_atomic_t export_signal;

static void export_on_signal(int sig)
{
	export_signal = sig;
}

/* Parses a call id: decimal digits, > 0. */
static int parse_call_id(const char *s, long long *id)
{
	if (!*s || strlen(s) > 18)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	*id = strtoll(s, NULL, 10);
	return *id > 0 ? 0 : -1;
}

/* Whether the file at path starts like a SQLite database. */
static bool looks_like_sqlite(const char *path)
{
	char h[16] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	return n == (ssize_t)sizeof(h) && !memcmp(h, "SQLite format 3", 16);
}

/* Refuses an output that must not be written: a directory, the trace
 * itself, a SQLite file (a trace, surely), or an existing file without
 * --force. */
static int check_output(const char *out, const char *trace, bool force)
{
	struct stat st, tst;
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
	if (stat(trace, &tst) == 0 && st.st_dev == tst.st_dev && st.st_ino == tst.st_ino) {
		fprintf(stderr, "nosco-sql: %s is the trace being exported: not overwriting it\n", out);
		return -1;
	}
	if (looks_like_sqlite(out)) {
		fprintf(stderr, "nosco-sql: %s is a SQLite database: not overwriting it with an export\n",
			out);
		return -1;
	}
	if (!force) {
		fprintf(stderr, "nosco-sql: %s exists (use --force to replace it)\n", out);
		return -1;
	}
	return 0;
}

/* nftw callback: removes what it is given (children first). */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* rm -r of a directory this export made. */
static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whether dir/name is a regular file (not following a symlink). */
static bool has_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Refuses a codetracer output directory that must not be written: a
 * file, a non-empty directory without --force, and with --force one that
 * is not a codetracer export (its files could be anyone's). *replace: it
 * is a previous export to replace. */
static int check_output_dir(const char *out, bool force, bool *replace)
{
	struct stat st;
	*replace = false;
	if (lstat(out, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "nosco-sql: %s: %s\n", out, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "nosco-sql: %s exists and is not a directory (--format codetracer "
				"writes a directory)\n", out);
		return -1;
	}
	DIR *d = opendir(out);
	if (!d) {
		fprintf(stderr, "nosco-sql: %s: %s\n", out, strerror(errno));
		return -1;
	}
	bool empty = true;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (empty)
		return 0;
	if (!force) {
		fprintf(stderr, "nosco-sql: %s exists and is not empty (use --force to replace a "
				"previous codetracer export)\n", out);
		return -1;
	}
	if (!has_file(out, "trace.json") || !has_file(out, "trace_metadata.json")) {
		fprintf(stderr, "nosco-sql: %s is not a codetracer export (no trace.json and "
				"trace_metadata.json): not replacing it\n", out);
		return -1;
	}
	*replace = true;
	return 0;
}

/* --format codetracer: the directory written as DIR.tmp-PID, then renamed
 * to DIR (over an empty DIR, or in place of the previous export, which is
 * then removed). Returns 0, or -1 after a message. */
static int export_codetracer(sqlite3 *db, const char *trace, const char *out, bool replace,
			     const qexport_opts *o)
{
	char tmp[PATH_MAX + 32], old[PATH_MAX + 32], err[PATH_MAX + 600];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)getpid());
	snprintf(old, sizeof(old), "%s.old-%d", out, (int)getpid());
	if (mkdir(tmp, 0777) < 0) {
		fprintf(stderr, "nosco-sql: %s: cannot create it: %s\n", out, strerror(errno));
		return -1;
	}
	int dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dirfd < 0 ? -1 : qexport_codetracer(db, dirfd, o, err, sizeof(err));
	if (dirfd < 0)
		snprintf(err, sizeof(err), "%s: %s", tmp, strerror(errno));
	if (rc == 0 && fsync(dirfd) < 0) {
		snprintf(err, sizeof(err), "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0) {
		fprintf(stderr, "nosco-sql: %s: export failed: %s\n", trace, err);
		remove_tree(tmp);
		return -1;
	}
	if (replace && rename(out, old) < 0) {
		fprintf(stderr, "nosco-sql: %s: cannot move it aside: %s\n", out, strerror(errno));
		remove_tree(tmp);
		return -1;
	}
	if (rename(tmp, out) < 0) {
		fprintf(stderr, "nosco-sql: %s: cannot rename %s to it: %s\n", out, tmp,
			strerror(errno));
		if (replace)
			rename(old, out);
		remove_tree(tmp);
		return -1;
	}
	if (replace)
		remove_tree(old);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	const char *path = NULL, *format = NULL, *output = NULL, *time = NULL, *weight = NULL;
	const char *call = NULL;
	bool force = false, no_args = false, embedded_only = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **value = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(export_usage, stdout);
			return 0;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
			force = true;
			continue;
		} else if (!strcmp(a, "--no-args")) {
			no_args = true;
			continue;
		} else if (!strcmp(a, "--embedded-only")) {
			embedded_only = true;
			continue;
		} else if (!strcmp(a, "--format")) {
			value = &format;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			value = &output;
		} else if (!strcmp(a, "--time")) {
			value = &time;
		} else if (!strcmp(a, "--weight")) {
			value = &weight;
		} else if (!strcmp(a, "--call")) {
			value = &call;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "nosco-sql export: unknown option '%s' (see 'nosco-sql export --help')\n",
				a);
			return 2;
		} else if (!path) {
			path = a;
			continue;
		} else {
			fprintf(stderr, "nosco-sql export: unexpected argument '%s'\n", a);
			return 2;
		}
		if (++i == argc) {
			fprintf(stderr, "nosco-sql export: %s needs a value\n", a);
			return 2;
		}
		*value = argv[i];
	}
	if (!path) {
		fputs(export_usage, stderr);
		return 2;
	}
	if (!format) {
		fprintf(stderr, "nosco-sql export: missing --format (chrome, folded or codetracer)\n");
		return 2;
	}
	bool chrome = !strcmp(format, "chrome");
	bool codetracer = !strcmp(format, "codetracer");
	if (!chrome && !codetracer && strcmp(format, "folded")) {
		fprintf(stderr, "nosco-sql export: unknown format '%s' (chrome, folded or codetracer)\n",
			format);
		return 2;
	}
	if (codetracer && (!output || !strcmp(output, "-"))) {
		fprintf(stderr, "nosco-sql export: --format codetracer writes a directory: give it "
				"with -o DIR\n");
		return 2;
	}
	if (codetracer && call) {
		fprintf(stderr, "nosco-sql export: --call is for --format chrome and folded\n");
		return 2;
	}
	if (embedded_only && !codetracer) {
		fprintf(stderr, "nosco-sql export: --embedded-only is for --format codetracer\n");
		return 2;
	}
	qexport_opts o = { .weight = QEXPORT_INSTRUCTIONS, .stop = &export_signal };
	if (time) {
		if (!chrome) {
			fprintf(stderr, "nosco-sql export: --time is for --format chrome\n");
			return 2;
		}
		if (!strcmp(time, "measured")) {
			o.measured = true;
		} else if (strcmp(time, "seq")) {
			fprintf(stderr, "nosco-sql export: unknown clock '%s' (seq or measured)\n",
				time);
			return 2;
		}
	}
	o.embedded_only = embedded_only;
	if (no_args && !chrome) {
		fprintf(stderr, "nosco-sql export: --no-args is for --format chrome\n");
		return 2;
	}
	o.no_args = no_args;
	if (weight) {
		if (chrome || codetracer) {
			fprintf(stderr, "nosco-sql export: --weight is for --format folded\n");
			return 2;
		}
		if (!strcmp(weight, "calls"))
			o.weight = QEXPORT_CALLS;
		else if (strcmp(weight, "instructions")) {
			fprintf(stderr, "nosco-sql export: unknown weight '%s' (instructions or calls)\n",
				weight);
			return 2;
		}
	}
	if (call && parse_call_id(call, &o.call_id) < 0) {
		fprintf(stderr, "nosco-sql export: --call %s: not a call id (a positive integer)\n", call);
		return 2;
	}
	if (output && !strcmp(output, "-"))
		output = NULL;
	bool replace = false;
	if (codetracer ? check_output_dir(output, force, &replace) < 0
		       : output && check_output(output, path, force) < 0)
		return 1;

	char err[512];
	sqlite3 *db;
	if (qdb_open(path, 0, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "nosco-sql: %s: %s\n", path, err);
		return 1;
	}
	long long ncalls;
	if (qexport_check(db, &o, &ncalls, err, sizeof(err)) < 0) {
		fprintf(stderr, "nosco-sql: %s: %s\n", path, err);
		sqlite3_close(db);
		return 1;
	}
	if (ncalls == 0)
		fprintf(stderr, "nosco-sql: note: %s records no calls (traced with --syscalls-only or "
				"--alloc-only?): the export is empty\n", path);
	struct sigaction sa = { .sa_handler = export_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (codetracer) {
		int r = export_codetracer(db, path, output, replace, &o);
		sqlite3_close(db);
		return r == 0 ? 0 : export_signal ? 128 + export_signal : 1;
	}

	char tmp[PATH_MAX + 32] = "";
	FILE *out = stdout;
	if (output) {
		snprintf(tmp, sizeof(tmp), "%s.tmp-%d", output, (int)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		out = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!out) {
			fprintf(stderr, "nosco-sql: %s: cannot create it: %s\n", output, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			sqlite3_close(db);
			return 1;
		}
	}
	static char buf[1 << 20];
	setvbuf(out, buf, _IOFBF, sizeof(buf));

	int rc = chrome ? qexport_chrome(db, out, &o, err, sizeof(err))
			: qexport_folded(db, out, &o, err, sizeof(err));
	sqlite3_close(db);
	if (rc < 0)
		fprintf(stderr, "nosco-sql: %s: export failed: %s\n", path, err);
	int werr = 0;
	errno = 0;
	if (rc == 0 && (fflush(out) != 0 || ferror(out) || (output && fsync(fileno(out)) < 0)))
		werr = errno ? errno : EIO;
	if (output && fclose(out) != 0 && rc == 0 && !werr)
		werr = errno ? errno : EIO;
	if (werr) {
		fprintf(stderr, "nosco-sql: %s: cannot write it: %s\n", output ? output : "standard output",
			strerror(werr));
		rc = -1;
	}
	if (output) {
		if (rc == 0 && rename(tmp, output) < 0) {
			fprintf(stderr, "nosco-sql: %s: cannot rename %s to it: %s\n", output, tmp,
				strerror(errno));
			rc = -1;
		}
		if (rc < 0)
			unlink(tmp);
	}
	if (rc < 0)
		return export_signal ? 128 + export_signal : 1;
	return 0;
}
