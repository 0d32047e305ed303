/* qexport: writes a trace's calls in the formats of other viewers.
 *
 *   chrome  Chrome trace-event JSON ({"traceEvents":[...]}): one complete
 *           ("X") event per call, on its process and thread, for the
 *           Perfetto UI, chrome://tracing and speedscope. Time is the
 *           instruction clock: ts = entry_seq, dur = exit_seq - entry_seq
 *           (1 instruction = 1 us), or with `measured` the time the tracer
 *           saw each call begin and end (calls.entry_ns, exit_ns); args:
 *           the call id and its own instructions.
 *   folded  folded stacks ("a;b;c COUNT" lines), for flamegraph.pl and
 *           speedscope: per distinct call stack, the instructions executed
 *           in its innermost call itself, or the number of such calls.
 *   codetracer  CodeTracer's runtime_tracing JSON trace, a directory:
 *           trace.json (Path, Function, Step, Call, Return and thread
 *           events: line steps from the instruction stream), trace_metadata.json,
 *           trace_paths.json, files/ (the sources).
 *
 * Both read the calls with one cursor in id (= entry) order and never hold
 * them all: chrome writes each call as it is read; folded adds it to a
 * calling-context tree (one node per distinct stack) and writes the tree at
 * the end. */
#ifndef NOSCO_QEXPORT_H
#define NOSCO_QEXPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>

typedef enum qexport_weight {
	QEXPORT_INSTRUCTIONS, /* folded: self instructions of the stack's calls */
	QEXPORT_CALLS,        /* folded: number of calls with that stack */
} qexport_weight;

typedef struct qexport_opts {
	long long call_id;    /* > 0: only this call and the calls under it */
	qexport_weight weight;
	bool no_args;         /* chrome: no "args" (call id, instructions) */
	bool measured;        /* chrome: time from calls.entry_ns/exit_ns, not seq */
	bool embedded_only;   /* codetracer: files/ only from the trace's embedded sources */
	/* Set (by a signal handler) to stop early; may be NULL. */
	volatile sig_atomic_t *stop;
} qexport_opts;

/* Checks, before any output, that o can be exported from db: the trace has
 * calls and o->call_id (if any) is one of them. Returns 0, or -1 with a
 * one-line message in err. *ncalls gets the number of calls (0 is allowed:
 * the exports are then valid and empty). With o->measured, the trace must
 * have measured times (traces made before they were recorded do not). */
int qexport_check(sqlite3 *db, const qexport_opts *o, long long *ncalls, char *err,
		  size_t errlen);

/* Write the export to out. Return 0, or -1 with a one-line message in err
 * (a SQLite error, out of memory, or "interrupted" when *o->stop was set).
 * Output errors are the caller's to check (ferror, fflush). */
int qexport_chrome(sqlite3 *db, FILE *out, const qexport_opts *o, char *err, size_t errlen);
int qexport_folded(sqlite3 *db, FILE *out, const qexport_opts *o, char *err, size_t errlen);

/* Writes the codetracer trace into the empty directory dirfd (the caller
 * makes it, and removes it on failure). Streams: memory holds the distinct
 * instructions' lines, functions and paths, not the execution. Source
 * files it cannot copy are counted in one warning on stderr. */
int qexport_codetracer(sqlite3 *db, int dirfd, const qexport_opts *o, char *err, size_t errlen);

#endif
