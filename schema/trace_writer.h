/* trace_writer: the nt_handler that stores a trace in SQLite. It is the only
 * code that writes trace files. The tracer's callbacks only append events to
 * a bounded queue; a writer thread symbolizes and inserts them, so tracing
 * never waits on SQLite unless the queue is full. */
#ifndef NOSCO_TRACE_WRITER_H
#define NOSCO_TRACE_WRITER_H

#include <stddef.h>

#include "nosco/tracer.h"

#define NOSCO_SCHEMA_VERSION 1
#define NOSCO_TRACE_FORMAT "nosco-sql trace"

typedef struct tw_writer tw_writer;

typedef struct tw_run_info {
	const char *const *argv; /* NULL-terminated, as given to the program */
	const char *cwd;
	const char *engine;
	const char *options_json;
	int avoid_cpu; /* keep the writer thread off this CPU (the tracer's), or -1 */
	const char *const *env; /* the program's environment (trace.env), or NULL:
				 * not recorded */
	unsigned mode; /* the file's permissions, set exactly; 0: 0600 (less the umask) */
	int embed_sources; /* store the source files in the trace at its end (tw_close) */
} tw_run_info;

/* Creates a new trace file at path, which must not exist (mode 0600), and
 * starts the writer thread. The file is locked (flock) until tw_close, so
 * that another nosco-sql can tell it is being written (tw_busy). If a
 * write fails (the disk is full), the trace is ended at its last commit
 * and the tracer asked to stop (nt_request_abort); tw_close then says so.
 * Returns NULL with a one-line message in err. */
tw_writer *tw_open(const char *path, const tw_run_info *info, char *err, size_t errlen);

/* The handler to pass to nt_run(). */
const nt_handler *tw_handler(tw_writer *w);

/* Writes everything still queued, records how the run ended (committed),
 * then with embed_sources stores the source files (a transaction of its own:
 * a problem there is a warning on stderr, never a failure), builds the
 * indexes and closes the file. Returns 0, or -1 with a message in err (the
 * file then holds everything written before the failure). Frees w. */
int tw_close(tw_writer *w, const nt_result *res, char *err, size_t errlen);

/* True if the file at path is a nosco-sql trace (sets *is_trace), false
 * with *is_trace false otherwise. Returns 0, or -1 if it cannot be read.
 * The file is opened read-only and as untrusted (nothing in it runs). */
int tw_is_trace(const char *path, int *is_trace);

/* 1 if a nosco-sql process is writing the trace at path now (it holds its
 * lock), 0 if not (or path cannot be opened). */
int tw_busy(const char *path);

#endif
