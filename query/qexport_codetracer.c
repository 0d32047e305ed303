/* export --format codetracer: the trace as CodeTracer's runtime_tracing
 * JSON trace (docs/trace_json_spec.md of github.com/metacraft-labs/
 * runtime_tracing, and its TraceLowLevelEvent type for the thread events),
 * written into a directory: trace.json, trace_metadata.json,
 * trace_paths.json and files/.
 *
 * trace.json is one pass over the execution stream in seq order
 * (exec_segments, exec_blocks, calls), written as it is read: line steps
 * from the instructions' line information, Call and Return from the calls,
 * thread events where the stream changes threads. Memory holds what is
 * distinct (each instruction's line, each block's runs of lines, functions,
 * paths, threads and their open calls), never the stream. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nosco/qdb.h"
#include "nosco/qexport.h"
#include "qexport_calls.h"

/* A source file is copied into files/ up to this size. */
enum { CT_FILE_MAX = 16 << 20 };

/* A run of a block's instructions on one source line (file 0: none). */
struct ct_run {
	uint32_t idx, file, line;
};

struct ct_call {
	long long id, exit_seq; /* exit_seq: LLONG_MAX when open to the end */
};

struct ct_thread {
	bool started, ended;
	long long end_seq; /* threads.last_seq, or LLONG_MAX */
	struct ct_call *stack;
	size_t n, cap;
	/* The last Step of this thread, for collapsing: call, file, line. */
	long long step_call;
	uint32_t step_file, step_line;
};

struct ct_path {
	char *path;
	bool source; /* a source file (copied into files/), not a binary's path */
	long long file_id;
};

struct ct_fn {
	uint64_t key; /* functions.id, or the address | 1 << 63 when none */
	uint32_t id;  /* the Function's id in the stream */
	long long path_id, line; /* where it is */
};

typedef struct ct {
	sqlite3 *db;
	FILE *out;
	const qexport_opts *o;
	char *err;
	size_t errlen;
	bool first_event;

	uint32_t *ins_file, *ins_line; /* by instruction id */
	long long n_ins;
	uint32_t *blk_off; /* block b's runs: runs[blk_off[b] .. blk_off[b + 1]) */
	long long n_blk;
	struct ct_run *runs;
	size_t n_runs, cap_runs;

	long long *file_path; /* by source_files id: path id + 1, 0 = not yet */
	long long n_files, max_file;
	struct ct_path *paths;
	size_t n_paths, cap_paths;

	struct ct_fn *fns; /* open addressing, cap a power of 2 */
	size_t n_fns, cap_fns;
	uint32_t next_fn;

	struct ct_thread *threads; /* by thread id */
	long long n_threads;
	long long cur_thread;

	sqlite3_stmt *fn_line, *fn_binary;
} ct;

static int ct_fail_sql(ct *c)
{
	qx_sql_error(c->db, c->err, c->errlen);
	return -1;
}

static int ct_oom(ct *c)
{
	snprintf(c->err, c->errlen, "out of memory");
	return -1;
}

/* Starts an event: the separator, then the caller writes one JSON value. */
static void ct_event(ct *c)
{
	fputs(c->first_event ? "\n" : ",\n", c->out);
	c->first_event = false;
}

static long long ct_max(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Each instruction's line, then each block's runs of lines. */
static int ct_load_lines(ct *c)
{
	c->n_ins = ct_max(c->db, "SELECT coalesce(max(id), 0) FROM main.instructions") + 1;
	c->n_blk = ct_max(c->db, "SELECT coalesce(max(id), 0) FROM main.blocks") + 1;
	if (c->n_ins <= 0 || c->n_blk <= 0)
		return ct_fail_sql(c);
	c->ins_file = calloc((size_t)c->n_ins, sizeof(uint32_t));
	c->ins_line = calloc((size_t)c->n_ins, sizeof(uint32_t));
	c->blk_off = calloc((size_t)c->n_blk + 1, sizeof(uint32_t));
	if (!c->ins_file || !c->ins_line || !c->blk_off)
		return ct_oom(c);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT id, file_id, line FROM main.instructions WHERE file_id IS NOT NULL "
			       "AND line > 0",
			       -1, &st, NULL) != SQLITE_OK)
		return ct_fail_sql(c);
	int rc;
	long long max_file = c->max_file =
		ct_max(c->db, "SELECT coalesce(max(id), 0) FROM main.source_files");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		long long file = sqlite3_column_int64(st, 1);
		long long line = sqlite3_column_int64(st, 2);
		/* (A file or line out of range, in a broken trace: no line.) */
		if (id > 0 && id < c->n_ins && file > 0 && file <= max_file && line <= UINT32_MAX) {
			c->ins_file[id] = (uint32_t)file;
			c->ins_line[id] = (uint32_t)line;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ct_fail_sql(c);
	/* Primary-key order: by block, then idx. */
	if (sqlite3_prepare_v2(c->db,
			       "SELECT block_id, idx, instruction_id FROM main.block_instructions "
			       "ORDER BY block_id, idx",
			       -1, &st, NULL) != SQLITE_OK)
		return ct_fail_sql(c);
	long long cur = 0;
	uint32_t lf = 0, ll = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long b = sqlite3_column_int64(st, 0);
		long long idx = sqlite3_column_int64(st, 1);
		long long ins = sqlite3_column_int64(st, 2);
		if (b <= 0 || b >= c->n_blk || b < cur)
			continue;
		if (b != cur) {
			for (long long k = cur + 1; k <= b; k++)
				c->blk_off[k] = (uint32_t)c->n_runs;
			cur = b;
			lf = ll = UINT32_MAX;
		}
		uint32_t f = ins > 0 && ins < c->n_ins ? c->ins_file[ins] : 0;
		uint32_t l = ins > 0 && ins < c->n_ins ? c->ins_line[ins] : 0;
		if (f == lf && l == ll)
			continue;
		if (c->n_runs == c->cap_runs) {
			size_t cap = c->cap_runs ? c->cap_runs * 2 : 4096;
			struct ct_run *r = realloc(c->runs, cap * sizeof(*r));
			if (!r) {
				sqlite3_finalize(st);
				return ct_oom(c);
			}
			c->runs = r;
			c->cap_runs = cap;
		}
		c->runs[c->n_runs++] = (struct ct_run){ (uint32_t)idx, f, l };
		lf = f;
		ll = l;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ct_fail_sql(c);
	for (long long k = cur + 1; k <= c->n_blk; k++)
		c->blk_off[k] = (uint32_t)c->n_runs;
	/* The lines are in the runs now. */
	free(c->ins_file);
	free(c->ins_line);
	c->ins_file = c->ins_line = NULL;
	return 0;
}

/* Registers a path (a Path event), returns its id. */
static long long ct_add_path(ct *c, const char *path, bool source, long long file_id)
{
	if (c->n_paths == c->cap_paths) {
		size_t cap = c->cap_paths ? c->cap_paths * 2 : 64;
		struct ct_path *p = realloc(c->paths, cap * sizeof(*p));
		if (!p)
			return -1;
		c->paths = p;
		c->cap_paths = cap;
	}
	char *copy = strdup(path);
	if (!copy)
		return -1;
	c->paths[c->n_paths] = (struct ct_path){ copy, source, file_id };
	ct_event(c);
	fputs("{\"Path\":", c->out);
	qx_json_string(c->out, path);
	fputc('}', c->out);
	return (long long)c->n_paths++;
}

/* The path id of source file file_id, registered on first use. */
static long long ct_file_path(ct *c, uint32_t file_id)
{
	if (file_id >= c->n_files) {
		long long n = (long long)file_id + 1;
		long long *fp = realloc(c->file_path, (size_t)n * sizeof(*fp));
		if (!fp)
			return -1;
		memset(fp + c->n_files, 0, (size_t)(n - c->n_files) * sizeof(*fp));
		c->file_path = fp;
		c->n_files = n;
	}
	if (c->file_path[file_id])
		return c->file_path[file_id] - 1;
	sqlite3_stmt *st = NULL;
	char *path = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT path FROM main.source_files WHERE id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, file_id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			path = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	long long id = ct_add_path(c, path ? path : "[unknown]", path != NULL, file_id);
	free(path);
	if (id >= 0)
		c->file_path[file_id] = id + 1;
	return id;
}

/* The path id of a binary's path (for functions without line information). */
static long long ct_binary_path(ct *c, const char *path)
{
	for (size_t i = 0; i < c->n_paths; i++)
		if (!c->paths[i].source && !strcmp(c->paths[i].path, path))
			return (long long)i;
	return ct_add_path(c, path, false, 0);
}

static uint64_t ct_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static struct ct_fn *ct_fn_slot(ct *c, uint64_t key)
{
	size_t i = ct_hash(key) & (c->cap_fns - 1);
	while (c->fns[i].key && c->fns[i].key != key)
		i = (i + 1) & (c->cap_fns - 1);
	return &c->fns[i];
}

static void ct_step(ct *c, long long path_id, long long line)
{
	ct_event(c);
	fprintf(c->out, "{\"Step\":{\"path_id\":%lld,\"line\":%lld}}", path_id, line);
}

/* Where a function is, for its Function event and the Step before each of
 * its Calls: the line of its entry instruction, else its binary's path and
 * line 0 (unknown). */
static int ct_function_place(ct *c, long long addr, long long *path_id, long long *line)
{
	*path_id = -1;
	*line = 0;
	sqlite3_stmt *st = c->fn_line;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, addr);
	long long file = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (file > 0 && file <= c->max_file) {
		*path_id = ct_file_path(c, (uint32_t)file);
		*line = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		return *path_id < 0 ? ct_oom(c) : 0;
	}
	sqlite3_reset(st);
	st = c->fn_binary;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, addr);
	const char *bin = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
							   : NULL;
	*path_id = ct_binary_path(c, bin ? bin : "[unknown]");
	sqlite3_reset(st);
	return *path_id < 0 ? ct_oom(c) : 0;
}

/* The Function id of a call's function, with its Function event the first
 * time; *path_id and *line say where it is. */
static int ct_function(ct *c, long long function_id, long long addr, const char *name,
		       uint32_t *id, long long *path_id, long long *line)
{
	if ((c->n_fns + 1) * 2 > c->cap_fns) {
		size_t cap = c->cap_fns ? c->cap_fns * 2 : 1024;
		struct ct_fn *old = c->fns;
		size_t oldcap = c->cap_fns;
		c->fns = calloc(cap, sizeof(*c->fns));
		if (!c->fns) {
			c->fns = old;
			return ct_oom(c);
		}
		c->cap_fns = cap;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key)
				*ct_fn_slot(c, old[i].key) = old[i];
		free(old);
	}
	uint64_t key = function_id > 0 ? (uint64_t)function_id : (uint64_t)addr | 1ULL << 63;
	struct ct_fn *s = ct_fn_slot(c, key);
	if (s->key) {
		*id = s->id;
		*path_id = s->path_id;
		*line = s->line;
		return 0;
	}
	if (ct_function_place(c, addr, path_id, line) < 0)
		return -1;
	s = ct_fn_slot(c, key); /* (the table did not move: no insert since) */
	*s = (struct ct_fn){ key, c->next_fn++, *path_id, *line };
	c->n_fns++;
	*id = s->id;
	ct_event(c);
	fprintf(c->out, "{\"Function\":{\"path_id\":%lld,\"line\":%lld,\"name\":", *path_id, *line);
	qx_json_string(c->out, name);
	fputs("}}", c->out);
	return 0;
}

static int ct_push(struct ct_thread *th, long long id, long long exit_seq)
{
	if (th->n == th->cap) {
		size_t cap = th->cap ? th->cap * 2 : 64;
		struct ct_call *s = realloc(th->stack, cap * sizeof(*s));
		if (!s)
			return -1;
		th->stack = s;
		th->cap = cap;
	}
	th->stack[th->n++] = (struct ct_call){ id, exit_seq };
	return 0;
}

/* Makes thread t the current one: ThreadStart the first time, ThreadSwitch
 * when the stream changes threads. */
static int ct_switch(ct *c, long long t)
{
	if (t <= 0 || t >= c->n_threads) {
		snprintf(c->err, c->errlen, "thread %lld is not in the threads table", t);
		return -1;
	}
	bool start = !c->threads[t].started;
	if (start) {
		c->threads[t].started = true;
		ct_event(c);
		fprintf(c->out, "{\"ThreadStart\":%lld}", t);
	}
	if (c->cur_thread != t) {
		c->cur_thread = t;
		ct_event(c);
		fprintf(c->out, "{\"ThreadSwitch\":%lld}", t);
	}
	if (start && t == 1) {
		/* Thread 1 runs inside <toplevel> (id 0 on its stack). */
		ct_event(c);
		fputs("{\"Call\":{\"function_id\":0,\"args\":[]}}", c->out);
		if (ct_push(&c->threads[t], 0, LLONG_MAX) < 0)
			return ct_oom(c);
	}
	return 0;
}

static void ct_return(ct *c, struct ct_thread *th)
{
	th->n--;
	th->step_call = th->n ? th->stack[th->n - 1].id : 0;
	th->step_file = th->step_line = 0;
	ct_event(c);
	fputs("{\"Return\":{\"return_value\":{\"kind\":\"None\",\"type_id\":0}}}", c->out);
}

/* Returns from the calls of the current thread that ended by seq. */
static void ct_returns_by(ct *c, struct ct_thread *th, long long seq)
{
	while (th->n && th->stack[th->n - 1].exit_seq <= seq)
		ct_return(c, th);
}

/* Thread t ended: its open calls return, then ThreadExit. */
static int ct_thread_end(ct *c, long long t, bool exited)
{
	struct ct_thread *th = &c->threads[t];
	if (th->ended || !th->started)
		return 0;
	if (th->n && ct_switch(c, t) < 0)
		return -1;
	while (th->n)
		ct_return(c, th);
	th->ended = true;
	if (exited) {
		if (ct_switch(c, t) < 0)
			return -1;
		ct_event(c);
		fprintf(c->out, "{\"ThreadExit\":%lld}", t);
	}
	return 0;
}

static int ct_load_threads(ct *c)
{
	c->n_threads = ct_max(c->db, "SELECT coalesce(max(id), 0) FROM main.threads") + 1;
	if (c->n_threads <= 0)
		return ct_fail_sql(c);
	c->threads = calloc((size_t)c->n_threads, sizeof(*c->threads));
	if (!c->threads)
		return ct_oom(c);
	for (long long t = 0; t < c->n_threads; t++)
		c->threads[t].end_seq = LLONG_MAX;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT id, last_seq FROM main.threads", -1, &st, NULL) !=
	    SQLITE_OK)
		return ct_fail_sql(c);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long t = sqlite3_column_int64(st, 0);
		if (t > 0 && t < c->n_threads && sqlite3_column_type(st, 1) != SQLITE_NULL)
			c->threads[t].end_seq = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return 0;
}

/* The thread ending first among those started and not ended, or 0. */
static long long ct_next_end(ct *c)
{
	long long best = 0;
	for (long long t = 1; t < c->n_threads; t++) {
		const struct ct_thread *th = &c->threads[t];
		if (th->started && !th->ended && th->end_seq != LLONG_MAX &&
		    (!best || th->end_seq < c->threads[best].end_seq))
			best = t;
	}
	return best;
}

/* The toplevel function (id 0, as runtime_tracing's own tracer starts
 * every trace): in the file of main when main has line information, else
 * the first source file, else the program's path; called by thread 1 first
 * and returned from when thread 1 ends. */
static int ct_toplevel(ct *c)
{
	sqlite3_stmt *st = NULL;
	long long file = 0;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT coalesce((SELECT i.file_id FROM main.functions f"
			       "   JOIN main.instructions i ON i.addr = f.addr"
			       "  WHERE f.name = 'main' AND i.file_id IS NOT NULL ORDER BY f.id LIMIT 1),"
			       " (SELECT min(id) FROM main.source_files), 0)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		file = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	long long path_id;
	if (file > 0 && file <= c->max_file) {
		path_id = ct_file_path(c, (uint32_t)file);
	} else {
		char *prog = NULL;
		if (sqlite3_prepare_v2(c->db, "SELECT json_extract(argv, '$[0]') FROM main.trace", -1,
				       &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			prog = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		path_id = ct_binary_path(c, prog ? prog : "[unknown]");
		free(prog);
	}
	if (path_id < 0)
		return ct_oom(c);
	ct_event(c);
	fprintf(c->out,
		"{\"Type\":{\"kind\":30,\"lang_type\":\"None\",\"specific_info\":{\"kind\":\"None\"}}}");
	ct_event(c);
	fprintf(c->out, "{\"Function\":{\"path_id\":%lld,\"line\":1,\"name\":\"<toplevel>\"}}",
		path_id);
	c->next_fn = 1;
	return 0;
}

/* A call enters: the returns of its thread before it, the Step on its
 * function's line and the Call. */
static int ct_enter(ct *c, sqlite3_stmt *calls)
{
	long long id = sqlite3_column_int64(calls, 0);
	long long t = sqlite3_column_int64(calls, 1);
	long long parent = sqlite3_column_int64(calls, 2);
	long long function_id = sqlite3_column_int64(calls, 3);
	long long addr = sqlite3_column_int64(calls, 4);
	long long exit_seq = sqlite3_column_type(calls, 6) == SQLITE_NULL
				     ? LLONG_MAX
				     : sqlite3_column_int64(calls, 6);
	const char *name = (const char *)sqlite3_column_text(calls, 7);
	char addr_name[24];
	if (!name || !*name) {
		snprintf(addr_name, sizeof(addr_name), "0x%llx", (unsigned long long)addr);
		name = addr_name;
	}
	if (ct_switch(c, t) < 0)
		return -1;
	struct ct_thread *th = &c->threads[t];
	/* Calls that ended before this one began, or that are not its
	 * ancestors (a new root after an exec), return first. */
	ct_returns_by(c, th, sqlite3_column_int64(calls, 5));
	while (th->n && th->stack[th->n - 1].id != parent && th->stack[th->n - 1].id != 0)
		ct_return(c, th);
	uint32_t fid;
	long long path_id, line;
	if (ct_function(c, function_id, addr, name, &fid, &path_id, &line) < 0)
		return -1;
	ct_step(c, path_id, line);
	ct_event(c);
	fprintf(c->out, "{\"Call\":{\"function_id\":%u,\"args\":[]}}", fid);
	if (ct_push(th, id, exit_seq) < 0)
		return ct_oom(c);
	/* The callee's first instructions on that line are this Step. */
	th->step_call = id;
	th->step_file = 0;
	th->step_line = 0;
	if (line > 0 && c->paths[path_id].source) {
		th->step_file = (uint32_t)c->paths[path_id].file_id;
		th->step_line = (uint32_t)line;
	}
	return 0;
}

/* The block at seq ran in call call_id of thread t: its line steps. */
static int ct_block(ct *c, long long t, long long call_id, long long seq, long long block)
{
	if (block <= 0 || block >= c->n_blk)
		return 0;
	if (ct_switch(c, t) < 0)
		return -1;
	struct ct_thread *th = &c->threads[t];
	ct_returns_by(c, th, seq);
	for (uint32_t r = c->blk_off[block]; r < c->blk_off[block + 1]; r++) {
		const struct ct_run *run = &c->runs[r];
		if (!run->file)
			continue; /* no line: nothing to show in the source */
		if (th->step_call == call_id && th->step_file == run->file &&
		    th->step_line == run->line)
			continue;
		long long path_id = ct_file_path(c, run->file);
		if (path_id < 0)
			return ct_oom(c);
		ct_step(c, path_id, run->line);
		th->step_call = call_id;
		th->step_file = run->file;
		th->step_line = run->line;
	}
	return 0;
}

/* The whole event stream, in seq order. */
static int ct_stream(ct *c)
{
	sqlite3_stmt *seg = NULL, *blk = NULL, *calls = NULL;
	int ret = -1;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT first_seq, thread_id, call_id FROM main.exec_segments "
			       "ORDER BY first_seq",
			       -1, &seg, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT seq, block_id FROM main.exec_blocks ORDER BY seq", -1,
			       &blk, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db,
			       "SELECT c.id, c.thread_id, c.parent_id, c.function_id, c.addr, "
			       "c.entry_seq, c.exit_seq, f.name FROM main.calls c "
			       "LEFT JOIN main.functions f ON f.id = c.function_id ORDER BY c.id",
			       -1, &calls, NULL) != SQLITE_OK) {
		ct_fail_sql(c);
		goto out;
	}
	/* The segment in force. */
	long long seg_thread = 0, seg_call = 0;
	int seg_rc = sqlite3_step(seg);
	int blk_rc = sqlite3_step(blk);
	int call_rc = sqlite3_step(calls);
	unsigned long long n = 0;
	for (;;) {
		if ((++n & 4095) == 0 && c->o->stop && *c->o->stop) {
			snprintf(c->err, c->errlen, "interrupted");
			goto out;
		}
		long long be = blk_rc == SQLITE_ROW ? sqlite3_column_int64(blk, 0) : LLONG_MAX;
		long long ce = call_rc == SQLITE_ROW ? sqlite3_column_int64(calls, 5) : LLONG_MAX;
		long long te_thread = ct_next_end(c);
		long long te = te_thread ? c->threads[te_thread].end_seq : LLONG_MAX;
		if (be == LLONG_MAX && ce == LLONG_MAX && te == LLONG_MAX)
			break;
		if (te < be && te < ce) {
			if (ct_thread_end(c, te_thread, true) < 0)
				goto out;
		} else if (ce <= be) {
			if (ct_enter(c, calls) < 0)
				goto out;
			call_rc = sqlite3_step(calls);
		} else {
			while (seg_rc == SQLITE_ROW && sqlite3_column_int64(seg, 0) <= be) {
				seg_thread = sqlite3_column_int64(seg, 1);
				seg_call = sqlite3_column_int64(seg, 2);
				seg_rc = sqlite3_step(seg);
			}
			if (seg_thread && ct_block(c, seg_thread, seg_call, be,
						   sqlite3_column_int64(blk, 1)) < 0)
				goto out;
			blk_rc = sqlite3_step(blk);
		}
	}
	if ((seg_rc != SQLITE_DONE && seg_rc != SQLITE_ROW) || blk_rc != SQLITE_DONE ||
	    call_rc != SQLITE_DONE) {
		ct_fail_sql(c);
		goto out;
	}
	/* Where the trace ends: threads still running return from their
	 * calls (no ThreadExit: they did not exit in the trace). */
	for (long long t = 1; t < c->n_threads; t++)
		if (ct_thread_end(c, t, c->threads[t].end_seq != LLONG_MAX) < 0)
			goto out;
	ret = 0;
out:
	sqlite3_finalize(seg);
	sqlite3_finalize(blk);
	sqlite3_finalize(calls);
	return ret;
}

/* ---- the files beside trace.json ---- */

/* Creates dir/name for writing (0666 less the umask). */
static FILE *ct_create(ct *c, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(c->err, c->errlen, "cannot create %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

static int ct_close(ct *c, FILE *f, const char *name)
{
	int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0;
	int e = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		snprintf(c->err, c->errlen, "cannot write %s: %s", name, strerror(e ? e : EIO));
		return -1;
	}
	return 0;
}

/* trace_metadata.json: workdir, program, args (argv[1..]). */
static int ct_metadata(ct *c, int dirfd)
{
	FILE *f = ct_create(c, dirfd, "trace_metadata.json");
	if (!f)
		return -1;
	sqlite3_stmt *st = NULL;
	const char *sql = "SELECT coalesce(cwd, ''), coalesce(json_extract(argv, '$[0]'), '')"
			  " FROM main.trace WHERE id = 1";
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		fclose(f);
		return ct_fail_sql(c);
	}
	fputs("{\"workdir\":", f);
	qx_json_string(f, (const char *)sqlite3_column_text(st, 0));
	fputs(",\"program\":", f);
	qx_json_string(f, (const char *)sqlite3_column_text(st, 1));
	fputs(",\"args\":[", f);
	/* The arguments one by one, each through our JSON string writer. */
	sqlite3_stmt *a = NULL;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT value FROM main.trace t, json_each(t.argv) WHERE t.id = 1 "
			       "AND key > 0 ORDER BY key",
			       -1, &a, NULL) == SQLITE_OK) {
		for (int i = 0; sqlite3_step(a) == SQLITE_ROW; i++) {
			if (i)
				fputc(',', f);
			const char *v = (const char *)sqlite3_column_text(a, 0);
			qx_json_string(f, v ? v : "");
		}
	}
	sqlite3_finalize(a);
	sqlite3_finalize(st);
	fputs("]}\n", f);
	return ct_close(c, f, "trace_metadata.json");
}

/* trace_paths.json: the paths in the order of their Path events. */
static int ct_paths(ct *c, int dirfd)
{
	FILE *f = ct_create(c, dirfd, "trace_paths.json");
	if (!f)
		return -1;
	fputc('[', f);
	for (size_t i = 0; i < c->n_paths; i++) {
		if (i)
			fputc(',', f);
		qx_json_string(f, c->paths[i].path);
	}
	fputs("]\n", f);
	return ct_close(c, f, "trace_paths.json");
}

/* files/PATH for an absolute PATH, made relative: NULL when it has a ".."
 * component or is not absolute (it could then name a place outside
 * files/); "." and empty components are dropped. */
static char *ct_files_name(const char *path)
{
	if (path[0] != '/')
		return NULL;
	size_t len = strlen(path);
	char *out = malloc(len + 8);
	if (!out)
		return NULL;
	strcpy(out, "files");
	size_t o = 5;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return NULL;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = e;
	}
	out[o] = 0;
	return o > 5 ? out : (free(out), NULL);
}

/* mkdir -p of the directories of name (relative to dirfd). */
static int ct_mkdirs(int dirfd, char *name)
{
	for (char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int r = mkdirat(dirfd, name, 0777);
		*s = '/';
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* The content of a source file from the disk: a regular file, at most
 * CT_FILE_MAX bytes, never blocking on a FIFO. */
static char *ct_read_disk(const char *path, size_t *size)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CT_FILE_MAX)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	char *buf = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= CT_FILE_MAX)
		buf = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	while (buf) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && len + (size_t)n > (size_t)st.st_size)) {
			free(buf); /* an error, or it grew */
			buf = NULL;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*size = len;
	return buf;
}

/* files/: each source path's content, from the trace's embedded sources
 * when it has them, else (unless embedded_only) from this machine's disk;
 * the others are left out, counted in one warning. */
static int ct_files(ct *c, int dirfd)
{
	bool embedded = qdb_has_table(c->db, "sources");
	sqlite3_stmt *st = NULL;
	if (embedded && sqlite3_prepare_v2(c->db,
					   "SELECT content FROM main.sources WHERE path = ?1 "
					   "AND status = 'ok' AND content IS NOT NULL",
					   -1, &st, NULL) != SQLITE_OK)
		return ct_fail_sql(c);
	unsigned n_src = 0, n_table = 0, n_disk = 0, n_missing = 0, n_unsafe = 0;
	const char *first_missing = NULL;
	int ret = 0;
	if (mkdirat(dirfd, "files", 0777) < 0) {
		snprintf(c->err, c->errlen, "cannot create files/: %s", strerror(errno));
		ret = -1;
	}
	for (size_t i = 0; ret == 0 && i < c->n_paths; i++) {
		const struct ct_path *p = &c->paths[i];
		if (!p->source)
			continue;
		n_src++;
		char *name = ct_files_name(p->path);
		if (!name) {
			n_unsafe++;
			continue;
		}
		const void *data = NULL;
		char *disk = NULL;
		size_t size = 0;
		if (st) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, p->path, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				data = sqlite3_column_blob(st, 0);
				size = (size_t)sqlite3_column_bytes(st, 0);
				if (!data)
					data = "";
				n_table++;
			}
		}
		if (!data && !c->o->embedded_only && (disk = ct_read_disk(p->path, &size))) {
			data = disk;
			n_disk++;
		}
		if (!data) {
			n_missing++;
			if (!first_missing)
				first_missing = p->path;
			free(name);
			continue;
		}
		int fd = -1;
		if (ct_mkdirs(dirfd, name) == 0)
			fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd < 0 && (errno == EEXIST || errno == ENOTDIR || errno == EISDIR ||
			       errno == ENAMETOOLONG)) {
			/* The same file under two spellings (/a/./b and /a/b), a
			 * path under another's name (/a and /a/b), or too long. */
			n_unsafe++;
		} else if (fd < 0) {
			snprintf(c->err, c->errlen, "cannot create %s: %s", name, strerror(errno));
			ret = -1;
		} else {
			for (size_t at = 0; at < size && ret == 0;) {
				ssize_t n = write(fd, (const char *)data + at, size - at);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					snprintf(c->err, c->errlen, "cannot write %s: %s", name,
						 strerror(n < 0 ? errno : EIO));
					ret = -1;
				}
				at += n > 0 ? (size_t)n : 0;
			}
			if (ret == 0 && fsync(fd) < 0) {
				snprintf(c->err, c->errlen, "cannot write %s: %s", name, strerror(errno));
				ret = -1;
			}
			close(fd);
		}
		free(disk);
		free(name);
	}
	if (ret == 0 && (n_missing || n_unsafe)) {
		fprintf(stderr, "nosco-sql: warning: codetracer: %u of %u source files left out of "
				"files/", n_missing + n_unsafe, n_src);
		if (n_unsafe)
			fprintf(stderr, " (%u relative, with '..' or not a file name here)", n_unsafe);
		if (n_missing)
			fprintf(stderr, " (%u neither embedded in the trace%s, e.g. ", n_missing,
				c->o->embedded_only ? "" : " nor on this disk");
		if (first_missing) {
			for (const char *q = first_missing; *q; q++)
				fputc((unsigned char)*q < 0x20 || *q == 0x7f ? '?' : *q, stderr);
			fputc(')', stderr);
		}
		fprintf(stderr, "; %u copied (%u from the trace, %u from the disk)\n", n_table + n_disk,
			n_table, n_disk);
	}
	sqlite3_finalize(st);
	return ret;
}

int qexport_codetracer(sqlite3 *db, int dirfd, const qexport_opts *o, char *err, size_t errlen)
{
	static const char *const tables[] = { "exec_blocks", "exec_segments", "block_instructions",
					      "blocks", "instructions", "source_files" };
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		if (!qdb_has_table(db, tables[i])) {
			snprintf(err, errlen, "not a complete nosco-sql trace (no %s table)", tables[i]);
			return -1;
		}
	ct c = { .db = db, .o = o, .err = err, .errlen = errlen, .first_event = true };
	int ret = -1;
	c.out = ct_create(&c, dirfd, "trace.json");
	if (!c.out)
		return -1;
	static char buf[1 << 20];
	setvbuf(c.out, buf, _IOFBF, sizeof(buf));
	if (sqlite3_prepare_v2(db,
			       "SELECT file_id, line FROM main.instructions WHERE addr = ?1 AND "
			       "file_id IS NOT NULL AND line > 0 ORDER BY id LIMIT 1",
			       -1, &c.fn_line, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT path FROM main.binaries WHERE lo <= ?1 AND ?1 < hi "
			       "ORDER BY id DESC LIMIT 1",
			       -1, &c.fn_binary, NULL) != SQLITE_OK) {
		ct_fail_sql(&c);
		goto out;
	}
	fputc('[', c.out);
	if (ct_load_lines(&c) < 0 || ct_load_threads(&c) < 0 || ct_toplevel(&c) < 0 ||
	    ct_stream(&c) < 0)
		goto out;
	fputs("\n]\n", c.out);
	FILE *f = c.out;
	c.out = NULL;
	if (ct_close(&c, f, "trace.json") < 0 || ct_metadata(&c, dirfd) < 0 ||
	    ct_paths(&c, dirfd) < 0 || ct_files(&c, dirfd) < 0)
		goto out;
	ret = 0;
out:
	if (c.out)
		fclose(c.out);
	sqlite3_finalize(c.fn_line);
	sqlite3_finalize(c.fn_binary);
	free(c.ins_file);
	free(c.ins_line);
	free(c.blk_off);
	free(c.runs);
	free(c.file_path);
	for (size_t i = 0; i < c.n_paths; i++)
		free(c.paths[i].path);
	free(c.paths);
	free(c.fns);
	for (long long t = 0; t < c.n_threads; t++)
		free(c.threads[t].stack);
	free(c.threads);
	return ret;
}
