#define _GNU_SOURCE
#include "trace_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nosco/symbols.h"
#include "source_file.h"

/* Embedded from the .sql files of schema/ at build time. */
extern const char nosco_sql_schema[];
extern const char nosco_sql_views[];
extern const char nosco_sql_indexes[];
extern const char nosco_sql_sources[]; /* sources, source_lines: --embed-sources */
extern const char nosco_query_views[]; /* the argument-less canned queries as q_* views */

/* ---- events ---- */

enum ev_type {
	EV_PROCESS_START, EV_PROCESS_EXIT, EV_PROCESS_EXEC, EV_THREAD_START, EV_THREAD_EXIT,
	EV_BINARY_LOAD, EV_BINARY_UNLOAD, EV_INSN, EV_BLOCK, EV_EXEC, EV_CALL_RETURN,
	EV_BACKTRACE, EV_SYSCALL, EV_ALLOC, EV_STACK, EV_CALL_ENTER,
};

/* An nt_alloc with its strings copied after it. */
struct alloc_copy {
	nt_alloc a;
	char text[];
};

/* An nt_syscall with its strings copied after it. */
struct syscall_copy {
	nt_syscall sc;
	char text[];
};

struct insn_copy {
	nt_insn insn;
	char *mnemonic, *operands;
};

struct binary_copy {
	nt_binary b;
	char *path, *build_id;
};

struct process_copy {
	nt_process p;
	uint32_t thread_id; /* the thread that exec'd (EV_PROCESS_EXEC) */
	char *argv_json;
};

typedef struct ev {
	uint8_t type;
	uint64_t seq;
	union {
		struct { uint32_t thread; uint32_t block; uint32_t count; uint64_t call; } exec;
		struct { nt_call c; nt_return_kind kind; uint64_t own, ns; } ret;
		struct { uint32_t id; nt_exit e; } exit;
		nt_thread thread;
		uint32_t id;
		struct insn_copy *insn;
		struct binary_copy *bin;
		struct process_copy *proc;
		struct syscall_copy *sys;
		struct alloc_copy *alloc;
		struct { uint32_t id, count; uint32_t *ids; } block;
		struct { uint32_t thread; uint32_t n; uint64_t call; uint64_t *pcs; } bt;
	} u;
} ev;

enum { BATCH_EVENTS = 8192, MAX_QUEUED = 8 };
/* Seconds a partly filled batch may wait on the tracer side. */
#define HANDOVER_AGE 0.1

typedef struct batch {
	struct batch *next;
	uint32_t n;
	struct timespec started; /* when its first event was pushed */
	ev evs[BATCH_EVENTS];
} batch;

/* ---- small hash maps ---- */

/* (k1, k2) -> value, open addressing; value 0 means absent. */
typedef struct pairmap {
	struct pm_slot { uint64_t k1, k2, v; } *slots;
	size_t cap, used;
} pairmap;

static size_t pm_hash(uint64_t k1, uint64_t k2, size_t cap)
{
	uint64_t h = (k1 ^ (k2 * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 17) & (cap - 1);
}

static uint64_t pm_get(const pairmap *m, uint64_t k1, uint64_t k2)
{
	if (!m->cap)
		return 0;
	for (size_t i = pm_hash(k1, k2, m->cap);; i = (i + 1) & (m->cap - 1)) {
		const struct pm_slot *s = &m->slots[i];
		if (!s->v)
			return 0;
		if (s->k1 == k1 && s->k2 == k2)
			return s->v;
	}
}

static int pm_put(pairmap *m, uint64_t k1, uint64_t k2, uint64_t v)
{
	if ((m->used + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct pm_slot *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < m->cap; i++) {
			struct pm_slot *s = &m->slots[i];
			if (!s->v)
				continue;
			size_t j = pm_hash(s->k1, s->k2, cap);
			while (slots[j].v)
				j = (j + 1) & (cap - 1);
			slots[j] = *s;
		}
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	size_t i = pm_hash(k1, k2, m->cap);
	while (m->slots[i].v && !(m->slots[i].k1 == k1 && m->slots[i].k2 == k2))
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].v)
		m->used++;
	m->slots[i] = (struct pm_slot){ k1, k2, v };
	return 0;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* ---- the writer ---- */

enum stmt_id {
	S_PROCESS_INS, S_PROCESS_EXIT, S_PEXEC_INS, S_PROCESS_EXEC, S_THREAD_INS, S_THREAD_EXIT, S_BINARY_INS,
	S_BINARY_UNLOAD, S_FUNCTION_INS, S_FILE_INS, S_INSN_INS, S_BLOCK_INS,
	S_BLOCK_INSN_INS, S_EXEC_INS, S_SEGMENT_INS, S_CALL_INS, S_THREAD_ROOT,
	S_BACKTRACE_INS, S_SYSCALL_INS, S_ALLOC_INS, S_STACK_INS, S_PAGE_COUNT, S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_PROCESS_INS] = "INSERT INTO processes(id, pid, parent_id, executable, argv, start_seq) "
			  "VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, ?6)",
	[S_PEXEC_INS] = "INSERT INTO execs(process_id, thread_id, seq, executable, argv) "
		       "VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_PROCESS_EXEC] = "UPDATE processes SET executable = ?2, argv = ?3 WHERE id = ?1",
	[S_PROCESS_EXIT] = "UPDATE processes SET end_seq = ?2, exit_status = ?3, "
			   "exit_signal = ?4 WHERE id = ?1",
	[S_THREAD_INS] = "INSERT INTO threads(id, process_id, tid, parent_id, creating_call_id, "
			 "first_seq) VALUES (?1, ?2, ?3, nullif(?4, 0), nullif(?5, 0), ?6)",
	[S_THREAD_EXIT] = "UPDATE threads SET last_seq = ?2, exit_status = ?3, exit_signal = ?4, "
			  "instructions = ?5 WHERE id = ?1",
	[S_BINARY_INS] = "INSERT INTO binaries(id, process_id, path, name, kind, build_id, base, "
			 "lo, hi, load_seq, load_thread_id) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, nullif(?11, 0))",
	[S_BINARY_UNLOAD] = "UPDATE binaries SET unload_seq = ?2 WHERE id = ?1",
	[S_FUNCTION_INS] = "INSERT INTO functions(id, binary_id, name, raw_name, addr, offset, "
			   "size) VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, ?6, ?7)",
	[S_FILE_INS] = "INSERT INTO source_files(id, path) VALUES (?1, ?2)",
	[S_INSN_INS] = "INSERT INTO instructions(id, binary_id, addr, offset, bytes, size, "
		       "mnemonic, operands, function_id, file_id, line) "
		       "VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, nullif(?9, 0), "
		       "nullif(?10, 0), nullif(?11, 0))",
	[S_BLOCK_INS] = "INSERT INTO blocks(id, addr, count) VALUES (?1, ?2, ?3)",
	[S_BLOCK_INSN_INS] = "INSERT INTO block_instructions(block_id, idx, instruction_id) "
			     "VALUES (?1, ?2, ?3)",
	[S_EXEC_INS] = "INSERT INTO exec_blocks(seq, block_id) VALUES (?1, ?2)",
	[S_SEGMENT_INS] = "INSERT INTO exec_segments(first_seq, thread_id, call_id) "
			  "VALUES (?1, ?2, ?3)",
	[S_CALL_INS] = "INSERT INTO calls(id, thread_id, parent_id, depth, kind, function_id, "
		       "addr, call_site, return_addr, entry_sp, entry_seq, exit_seq, end_kind, "
		       "recorded, instructions, entry_ns, exit_ns) VALUES (?1, ?2, nullif(?3, 0), "
		       "?4, ?5, nullif(?6, 0), ?7, nullif(?8, 0), nullif(?9, 0), ?10, ?11, ?12, "
		       "?13, ?14, ?15, ?16, ?17)",
	[S_SYSCALL_INS] = "INSERT INTO syscalls(id, thread_id, call_id, seq, nr, name, arg0, arg1, "
			  "arg2, arg3, arg4, arg5, ret, errno, duration_ns, path, path2, created) "
			  "VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
			  "?14, ?15, ?16, ?17, ?18)",
	[S_BACKTRACE_INS] = "INSERT INTO backtraces(call_id, frame, addr, function_id) "
			    "VALUES (?1, ?2, ?3, nullif(?4, 0))",
	[S_ALLOC_INS] = "INSERT INTO allocations(id, thread_id, call_id, seq, syscalls_before, kind, "
			"symbol, size, align, ptr, result, returned, frees_id, stack_id) VALUES (?1, ?2, "
			"nullif(?3, 0), ?4, ?5, ?6, ?7, ?8, nullif(?9, 0), ?10, nullif(?11, 0), ?12, "
			"nullif(?13, 0), nullif(?14, 0))",
	[S_STACK_INS] = "INSERT INTO stack_frames(stack_id, frame, addr, function_id) "
			"VALUES (?1, ?2, ?3, nullif(?4, 0))",
	[S_THREAD_ROOT] = "UPDATE threads SET root_call_id = ?2 WHERE id = ?1 AND root_call_id IS NULL",
	[S_PAGE_COUNT] = "PRAGMA page_count",
};

struct binary_info {
	uint32_t id, process_id;
	uint64_t base;
};

/* A call entered and not yet returned, with the instructions it ran so far
 * (itself, not its sub-calls). */
struct open_call {
	nt_call c;
	uint64_t own;
	uint64_t entry_ns; /* when the tracer saw it begin (calls.entry_ns) */
};

struct thread_info {
	uint32_t process_id;
	uint64_t instructions;
	struct open_call *stack; /* its calls running, outermost first */
	uint32_t n_stack, cap_stack;
};

/* What the file holds as of the last commit, kept so that a trace whose
 * writing fails (disk full) can be ended there, consistently: the length
 * of the execution stream, each thread's instruction count, the calls
 * running then, and the last function and file ids written. */
struct committed {
	uint64_t seq;
	uint64_t *thread_insns; /* by thread id */
	uint32_t n_threads;
	struct open_call *calls;
	size_t n_calls, cap_calls;
	uint64_t function_id, file_id;
	uint32_t binary_id;
};

struct tw_writer {
	struct timespec opened; /* time 0 of calls.entry_ns/exit_ns */
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	char *path;
	nt_handler handler;

	/* producer side (tracer thread) */
	batch *cur;

	/* the queue */
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	batch *head, *tail;
	uint32_t n_queued;
	bool closing;
	pthread_t thread;
	bool thread_started;
	bool writer_restricted; /* kept off the tracer's CPU: see tw_open */
	cpu_set_t cpus;         /* the CPUs the writer may use at the end */

	/* consumer side (writer thread) */
	char error[256];
	nt_symbolizer **syms; /* by process id */
	uint32_t n_syms;
	struct binary_info *bins; /* by binary id */
	uint32_t cap_bins;
	struct thread_info *threads; /* by thread id */
	uint32_t cap_threads;
	uint32_t **block_ids; /* by block id: instruction ids, for the block's addr */
	pairmap functions;   /* (binary id, symbol addr) -> function id */
	pairmap call_funcs;  /* (process id, addr) -> function id + 1 (1: none) */
	pairmap files;       /* (string hash, 0) -> file id */
	pairmap insn_addr;   /* (insn id, 0) -> addr */
	uint64_t next_function_id, next_file_id;
	uint32_t seg_thread;
	uint64_t seg_call;
	uint64_t rows_since_commit;
	int64_t pages_at_commit; /* the file's size in pages, as of the last commit */
	int64_t commit_pages;    /* COMMIT_BYTES in pages */
	struct timespec last_commit;
	uint64_t seq_end;      /* end of the execution stream applied */
	uint32_t max_binary_id;
	struct committed done; /* as of the last commit */
	bool failed;           /* a write failed: events are dropped from then on */
	atomic_bool stop_tracer; /* the writer failed: the tracer should stop */
	bool abort_sent;       /* (tracer side) nt_request_abort() called */
	int lock_fd;           /* the trace file, flock'ed while it is written */
	int reserve_fd;        /* space kept on the trace's file system, or -1 */
	bool embed_sources;    /* store the source files at the end */
};

/* Disk space kept for ending a trace whose file system fills up: enough for
 * the calls then running, the threads' counts and the trace row. */
enum { RESERVE_BYTES = 1 << 20 };

/* A commit comes at least every second, and after any batch that grew the
 * file by this much since the last one: a fault (a full disk) then costs
 * about that many bytes of the latest events at most, however fast they
 * come. */
enum { COMMIT_BYTES = 512 << 10 };

/* An invisible file (O_TMPFILE, or unlinked at once) of RESERVE_BYTES in
 * the directory of path; its space comes back when it is closed, by us or
 * by the kernel at our exit however it happens. Returns its fd or -1. */
static int make_reserve(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char name[4096 + 32];
		snprintf(name, sizeof(name), "%s.nosco-reserve-XXXXXX", slash ? dir : "./");
		fd = mkostemp(name, O_CLOEXEC);
		if (fd >= 0)
			unlink(name);
	}
	if (fd >= 0 && posix_fallocate(fd, 0, RESERVE_BYTES) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void set_error(tw_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(tw_writer *w, const char *fmt, ...)
{
	if (w->error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

/* A write failed (the disk is full...): the transaction is rolled back, so
 * the file holds what the last commit wrote; events are dropped from now
 * on, and the tracer is asked to stop (see on_idle). */
static void writer_fail(tw_writer *w)
{
	if (w->failed)
		return;
	w->failed = true;
	if (!sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	atomic_store(&w->stop_tracer, true);
}

/* Runs a prepared statement to completion with its bindings, then resets. */
static void step(tw_writer *w, enum stmt_id id)
{
	sqlite3_stmt *s = w->st[id];
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		set_error(w, "writing the trace: %s", sqlite3_errmsg(w->db));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		writer_fail(w);
	w->rows_since_commit++;
}

static void bind_i(tw_writer *w, enum stmt_id id, int idx, int64_t v)
{
	sqlite3_bind_int64(w->st[id], idx, v);
}

static void bind_t(tw_writer *w, enum stmt_id id, int idx, const char *v)
{
	if (v)
		sqlite3_bind_text(w->st[id], idx, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(w->st[id], idx);
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* ---- applying events (writer thread) ---- */

static nt_symbolizer *sym_of(tw_writer *w, uint32_t process_id)
{
	if (process_id >= w->n_syms) {
		uint32_t n = process_id + 8;
		nt_symbolizer **syms = realloc(w->syms, n * sizeof(*syms));
		if (!syms)
			return NULL;
		memset(syms + w->n_syms, 0, (n - w->n_syms) * sizeof(*syms));
		w->syms = syms;
		w->n_syms = n;
	}
	if (!w->syms[process_id])
		w->syms[process_id] = nt_sym_create();
	return w->syms[process_id];
}

static void *grow_table(void *arr, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need < *cap)
		return arr;
	uint32_t n = *cap ? *cap : 64;
	while (n <= need)
		n *= 2;
	char *p = realloc(arr, n * elem);
	if (!p)
		return NULL;
	memset(p + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
	return p;
}

/* Returns the function id for the symbol sym (inserting it), or 0. */
static uint64_t function_id(tw_writer *w, const nt_symbol *sym)
{
	if (!sym->raw_name)
		return 0;
	uint64_t id = pm_get(&w->functions, sym->binary_id, sym->addr);
	if (id)
		return id;
	id = ++w->next_function_id;
	pm_put(&w->functions, sym->binary_id, sym->addr, id);
	char *demangled = nt_demangle(sym->raw_name);
	uint64_t base = sym->binary_id < w->cap_bins ? w->bins[sym->binary_id].base : 0;
	bind_i(w, S_FUNCTION_INS, 1, (int64_t)id);
	bind_i(w, S_FUNCTION_INS, 2, sym->binary_id);
	bind_t(w, S_FUNCTION_INS, 3, demangled ? demangled : sym->raw_name);
	bind_t(w, S_FUNCTION_INS, 4, sym->raw_name);
	bind_i(w, S_FUNCTION_INS, 5, (int64_t)sym->addr);
	bind_i(w, S_FUNCTION_INS, 6, (int64_t)(sym->addr - base));
	bind_i(w, S_FUNCTION_INS, 7, (int64_t)sym->size);
	step(w, S_FUNCTION_INS);
	free(demangled);
	return id;
}

static uint64_t file_id(tw_writer *w, const char *path)
{
	if (!path)
		return 0;
	/* Hash collisions between two paths are vanishingly unlikely; a
	 * collision would only mislabel a file, never corrupt the trace. */
	uint64_t h = str_hash(path);
	uint64_t id = pm_get(&w->files, h, 0);
	if (id)
		return id;
	id = ++w->next_file_id;
	pm_put(&w->files, h, 0, id);
	bind_i(w, S_FILE_INS, 1, (int64_t)id);
	bind_t(w, S_FILE_INS, 2, path);
	step(w, S_FILE_INS);
	return id;
}

static uint32_t process_of_binary(tw_writer *w, uint32_t binary_id)
{
	return binary_id && binary_id < w->cap_bins ? w->bins[binary_id].process_id : 1;
}

static void apply_insn(tw_writer *w, struct insn_copy *c)
{
	const nt_insn *in = &c->insn;
	nt_symbol sym = { 0 };
	nt_symbolizer *sz = sym_of(w, process_of_binary(w, in->binary_id));
	if (sz)
		nt_sym_lookup(sz, in->addr, &sym);
	uint64_t base = in->binary_id && in->binary_id < w->cap_bins ? w->bins[in->binary_id].base
								    : 0;
	enum stmt_id s = S_INSN_INS;
	bind_i(w, s, 1, in->id);
	bind_i(w, s, 2, in->binary_id);
	bind_i(w, s, 3, (int64_t)in->addr);
	if (in->binary_id)
		bind_i(w, s, 4, (int64_t)(in->addr - base));
	else
		sqlite3_bind_null(w->st[s], 4);
	sqlite3_bind_blob(w->st[s], 5, in->bytes, in->size, SQLITE_TRANSIENT);
	bind_i(w, s, 6, in->size);
	bind_t(w, s, 7, c->mnemonic);
	bind_t(w, s, 8, c->operands);
	bind_i(w, s, 9, (int64_t)function_id(w, &sym));
	bind_i(w, s, 10, (int64_t)file_id(w, sym.file));
	bind_i(w, s, 11, sym.line);
	step(w, s);
	pm_put(&w->insn_addr, in->id, 0, in->addr);
}

static void apply_block(tw_writer *w, uint32_t id, uint32_t count, const uint32_t *ids)
{
	bind_i(w, S_BLOCK_INS, 1, id);
	bind_i(w, S_BLOCK_INS, 2, (int64_t)pm_get(&w->insn_addr, ids[0], 0));
	bind_i(w, S_BLOCK_INS, 3, count);
	step(w, S_BLOCK_INS);
	for (uint32_t i = 0; i < count; i++) {
		bind_i(w, S_BLOCK_INSN_INS, 1, id);
		bind_i(w, S_BLOCK_INSN_INS, 2, i);
		bind_i(w, S_BLOCK_INSN_INS, 3, ids[i]);
		step(w, S_BLOCK_INSN_INS);
	}
}

static void apply_exec(tw_writer *w, const ev *e)
{
	if (e->u.exec.thread != w->seg_thread || e->u.exec.call != w->seg_call) {
		w->seg_thread = e->u.exec.thread;
		w->seg_call = e->u.exec.call;
		bind_i(w, S_SEGMENT_INS, 1, (int64_t)e->seq);
		bind_i(w, S_SEGMENT_INS, 2, e->u.exec.thread);
		bind_i(w, S_SEGMENT_INS, 3, (int64_t)e->u.exec.call);
		step(w, S_SEGMENT_INS);
	}
	bind_i(w, S_EXEC_INS, 1, (int64_t)e->seq);
	bind_i(w, S_EXEC_INS, 2, e->u.exec.block);
	step(w, S_EXEC_INS);
	w->seq_end = e->seq + e->u.exec.count;
	if (e->u.exec.thread < w->cap_threads) {
		struct thread_info *t = &w->threads[e->u.exec.thread];
		t->instructions += e->u.exec.count;
		/* The block ran in the thread's innermost call. */
		for (uint32_t i = t->n_stack; i-- > 0;)
			if (t->stack[i].c.id == e->u.exec.call) {
				t->stack[i].own += e->u.exec.count;
				break;
			}
	}
}

/* Keeps the calls running per thread (see struct committed). */
static void apply_enter(tw_writer *w, const nt_call *c, uint64_t entry_ns)
{
	struct thread_info *ts = grow_table(w->threads, &w->cap_threads, c->thread_id, sizeof(*ts));
	if (!ts)
		return;
	w->threads = ts;
	struct thread_info *t = &ts[c->thread_id];
	if (t->n_stack == t->cap_stack) {
		uint32_t cap = t->cap_stack ? t->cap_stack * 2 : 16;
		struct open_call *st = realloc(t->stack, cap * sizeof(*st));
		if (!st)
			return;
		t->stack = st;
		t->cap_stack = cap;
	}
	t->stack[t->n_stack++] = (struct open_call){ *c, 0, entry_ns };
}

/* Drops c from its thread's open calls; returns when it began (ns), or 0
 * when it is not there. */
static uint64_t forget_open_call(tw_writer *w, const nt_call *c)
{
	if (c->thread_id >= w->cap_threads)
		return 0;
	struct thread_info *t = &w->threads[c->thread_id];
	/* Returns come innermost first: it is the top one. */
	for (uint32_t i = t->n_stack; i-- > 0;)
		if (t->stack[i].c.id == c->id) {
			uint64_t ns = t->stack[i].entry_ns;
			memmove(&t->stack[i], &t->stack[i + 1], (t->n_stack - i - 1) * sizeof(*t->stack));
			t->n_stack--;
			return ns;
		}
	return 0;
}

static uint64_t call_function_id(tw_writer *w, uint32_t thread_id, uint64_t addr)
{
	uint32_t pid = thread_id < w->cap_threads ? w->threads[thread_id].process_id : 1;
	uint64_t v = pm_get(&w->call_funcs, pid, addr);
	if (v)
		return v - 1;
	nt_symbol sym;
	nt_symbolizer *sz = sym_of(w, pid);
	uint64_t id = sz && nt_sym_lookup(sz, addr, &sym) ? function_id(w, &sym) : 0;
	pm_put(&w->call_funcs, pid, addr, id + 1);
	return id;
}

/* Rows (key, frame, pc, function) of a call stack: backtraces (key = the
 * call) or stack_frames (key = the stack). */
static void apply_frames(tw_writer *w, enum stmt_id S, const ev *e)
{
	for (uint32_t i = 0; i < e->u.bt.n; i++) {
		uint64_t pc = e->u.bt.pcs[i];
		/* A return address is just past its call: look up the call. */
		uint64_t fid = call_function_id(w, e->u.bt.thread, i ? pc - 1 : pc);
		bind_i(w, S, 1, (int64_t)e->u.bt.call);
		bind_i(w, S, 2, i);
		bind_i(w, S, 3, (int64_t)pc);
		bind_i(w, S, 4, (int64_t)fid);
		step(w, S);
	}
}

static void apply_alloc(tw_writer *w, const nt_alloc *a)
{
	enum stmt_id S = S_ALLOC_INS;
	bind_i(w, S, 1, (int64_t)a->id);
	bind_i(w, S, 2, a->thread_id);
	bind_i(w, S, 3, (int64_t)a->call_id);
	if (a->seq == NT_NO_SEQ)
		sqlite3_bind_null(w->st[S], 4);
	else
		bind_i(w, S, 4, (int64_t)a->seq);
	bind_i(w, S, 5, (int64_t)a->syscalls_before);
	bind_t(w, S, 6, a->kind);
	bind_t(w, S, 7, a->symbol);
	if (a->has_size)
		bind_i(w, S, 8, (int64_t)a->size);
	else
		sqlite3_bind_null(w->st[S], 8);
	bind_i(w, S, 9, (int64_t)a->align);
	if (a->has_ptr)
		bind_i(w, S, 10, (int64_t)a->ptr);
	else
		sqlite3_bind_null(w->st[S], 10);
	bind_i(w, S, 11, (int64_t)a->result);
	bind_i(w, S, 12, a->returned);
	bind_i(w, S, 13, (int64_t)a->frees_id);
	bind_i(w, S, 14, a->stack_id);
	step(w, S);
}

static const char *const call_kinds[] = { "root", "call", "signal", "scope" };
static const char *const return_kinds[] = { "ret", "unwind", "exit", "detach" };

static void apply_return(tw_writer *w, const ev *e)
{
	const nt_call *c = &e->u.ret.c;
	uint64_t entry_ns = forget_open_call(w, c);
	enum stmt_id s = S_CALL_INS;
	bind_i(w, s, 1, (int64_t)c->id);
	bind_i(w, s, 2, c->thread_id);
	bind_i(w, s, 3, (int64_t)c->parent_id);
	bind_i(w, s, 4, c->depth);
	bind_t(w, s, 5, call_kinds[c->kind]);
	bind_i(w, s, 6, (int64_t)call_function_id(w, c->thread_id, c->addr));
	bind_i(w, s, 7, (int64_t)c->addr);
	bind_i(w, s, 8, (int64_t)c->call_site);
	bind_i(w, s, 9, (int64_t)c->return_addr);
	bind_i(w, s, 10, (int64_t)c->entry_sp);
	bind_i(w, s, 11, (int64_t)c->entry_seq);
	bind_i(w, s, 12, (int64_t)e->seq);
	bind_t(w, s, 13, return_kinds[e->u.ret.kind]);
	bind_i(w, s, 14, c->recorded);
	bind_i(w, s, 15, (int64_t)e->u.ret.own);
	bind_i(w, s, 16, (int64_t)entry_ns);
	bind_i(w, s, 17, (int64_t)e->u.ret.ns);
	step(w, s);
	if (!c->parent_id) { /* a root call, or the first scope entry */
		bind_i(w, S_THREAD_ROOT, 1, c->thread_id);
		bind_i(w, S_THREAD_ROOT, 2, (int64_t)c->id);
		step(w, S_THREAD_ROOT);
	}
}

static const char *const binary_kinds[] = { "exe", "interp", "lib", "vdso" };

static void apply_binary(tw_writer *w, struct binary_copy *c, uint64_t seq)
{
	const nt_binary *b = &c->b;
	if (b->id > w->max_binary_id)
		w->max_binary_id = b->id;
	struct binary_info *bins = grow_table(w->bins, &w->cap_bins, b->id, sizeof(*bins));
	if (bins) {
		w->bins = bins;
		bins[b->id] = (struct binary_info){ b->id, b->process_id, b->base };
	}
	nt_symbolizer *sz = sym_of(w, b->process_id);
	if (sz)
		nt_sym_add(sz, b->id, c->path, b->image_fd, b->base);
	const char *slash = strrchr(c->path, '/');
	enum stmt_id s = S_BINARY_INS;
	bind_i(w, s, 1, b->id);
	bind_i(w, s, 2, b->process_id);
	bind_t(w, s, 3, c->path);
	bind_t(w, s, 4, slash ? slash + 1 : c->path);
	bind_t(w, s, 5, binary_kinds[b->kind]);
	bind_t(w, s, 6, c->build_id);
	bind_i(w, s, 7, (int64_t)b->base);
	bind_i(w, s, 8, (int64_t)b->lo);
	bind_i(w, s, 9, (int64_t)b->hi);
	bind_i(w, s, 10, (int64_t)seq);
	bind_i(w, s, 11, b->load_thread_id);
	step(w, s);
}

static void apply_syscall(tw_writer *w, const nt_syscall *sc)
{
	enum stmt_id S = S_SYSCALL_INS;
	bind_i(w, S, 1, (int64_t)sc->id);
	bind_i(w, S, 2, sc->thread_id);
	bind_i(w, S, 3, (int64_t)sc->call_id);
	if (sc->seq == NT_NO_SEQ)
		sqlite3_bind_null(w->st[S], 4);
	else
		bind_i(w, S, 4, (int64_t)sc->seq);
	bind_i(w, S, 5, sc->nr);
	bind_t(w, S, 6, sc->name);
	for (int i = 0; i < 6; i++)
		bind_i(w, S, 7 + i, (int64_t)sc->args[i]);
	if (sc->returned) {
		bind_i(w, S, 13, sc->ret);
		if (sc->ret < 0 && sc->ret >= -4095)
			bind_i(w, S, 14, -sc->ret);
		else
			sqlite3_bind_null(w->st[S], 14);
	} else {
		sqlite3_bind_null(w->st[S], 13);
		sqlite3_bind_null(w->st[S], 14);
	}
	bind_i(w, S, 15, (int64_t)sc->duration_ns);
	bind_t(w, S, 16, sc->path);
	bind_t(w, S, 17, sc->path2);
	if (sc->created >= 0)
		bind_i(w, S, 18, sc->created);
	else
		sqlite3_bind_null(w->st[S], 18);
	step(w, S);
}

/* Frees what an event owns, without applying it (after a failure). */
static void release(ev *e)
{
	switch (e->type) {
	case EV_SYSCALL:
		free(e->u.sys);
		break;
	case EV_BACKTRACE:
	case EV_STACK:
		free(e->u.bt.pcs);
		break;
	case EV_ALLOC:
		free(e->u.alloc);
		break;
	case EV_INSN:
		free(e->u.insn->mnemonic);
		free(e->u.insn->operands);
		free(e->u.insn);
		break;
	case EV_BLOCK:
		free(e->u.block.ids);
		break;
	case EV_BINARY_LOAD:
		if (e->u.bin->b.image_fd >= 0)
			close(e->u.bin->b.image_fd);
		free(e->u.bin->path);
		free(e->u.bin->build_id);
		free(e->u.bin);
		break;
	case EV_PROCESS_START:
	case EV_PROCESS_EXEC:
		free((char *)e->u.proc->p.executable);
		free(e->u.proc->argv_json);
		free(e->u.proc);
		break;
	default:
		break;
	}
}

/* Writes an event into the trace and frees what it owns. */
static void apply(tw_writer *w, ev *e)
{
	switch (e->type) {
	case EV_EXEC:
		apply_exec(w, e);
		break;
	case EV_CALL_ENTER:
		apply_enter(w, &e->u.ret.c, e->u.ret.ns);
		break;
	case EV_CALL_RETURN:
		apply_return(w, e);
		break;
	case EV_SYSCALL:
		apply_syscall(w, &e->u.sys->sc);
		free(e->u.sys);
		break;
	case EV_BACKTRACE:
	case EV_STACK:
		apply_frames(w, e->type == EV_STACK ? S_STACK_INS : S_BACKTRACE_INS, e);
		free(e->u.bt.pcs);
		break;
	case EV_ALLOC:
		apply_alloc(w, &e->u.alloc->a);
		free(e->u.alloc);
		break;
	case EV_INSN:
		apply_insn(w, e->u.insn);
		free(e->u.insn->mnemonic);
		free(e->u.insn->operands);
		free(e->u.insn);
		break;
	case EV_BLOCK:
		apply_block(w, e->u.block.id, e->u.block.count, e->u.block.ids);
		free(e->u.block.ids);
		break;
	case EV_BINARY_LOAD:
		apply_binary(w, e->u.bin, e->seq);
		if (e->u.bin->b.image_fd >= 0)
			close(e->u.bin->b.image_fd);
		free(e->u.bin->path);
		free(e->u.bin->build_id);
		free(e->u.bin);
		break;
	case EV_BINARY_UNLOAD: {
		uint32_t id = e->u.id;
		bind_i(w, S_BINARY_UNLOAD, 1, id);
		bind_i(w, S_BINARY_UNLOAD, 2, (int64_t)e->seq);
		step(w, S_BINARY_UNLOAD);
		nt_symbolizer *sz = sym_of(w, process_of_binary(w, id));
		if (sz)
			nt_sym_remove(sz, id);
		break;
	}
	case EV_THREAD_START: {
		const nt_thread *t = &e->u.thread;
		struct thread_info *ts = grow_table(w->threads, &w->cap_threads, t->id, sizeof(*ts));
		if (ts) {
			w->threads = ts;
			ts[t->id].process_id = t->process_id;
			ts[t->id].instructions = 0;
		}
		bind_i(w, S_THREAD_INS, 1, t->id);
		bind_i(w, S_THREAD_INS, 2, t->process_id);
		bind_i(w, S_THREAD_INS, 3, t->tid);
		bind_i(w, S_THREAD_INS, 4, t->parent_id);
		bind_i(w, S_THREAD_INS, 5, (int64_t)t->creating_call_id);
		bind_i(w, S_THREAD_INS, 6, (int64_t)e->seq);
		step(w, S_THREAD_INS);
		break;
	}
	case EV_THREAD_EXIT: {
		uint32_t id = e->u.exit.id;
		bind_i(w, S_THREAD_EXIT, 1, id);
		bind_i(w, S_THREAD_EXIT, 2, (int64_t)e->seq);
		bind_i(w, S_THREAD_EXIT, 3, e->u.exit.e.status);
		if (e->u.exit.e.signal)
			bind_i(w, S_THREAD_EXIT, 4, e->u.exit.e.signal);
		else
			sqlite3_bind_null(w->st[S_THREAD_EXIT], 4);
		bind_i(w, S_THREAD_EXIT, 5,
		       id < w->cap_threads ? (int64_t)w->threads[id].instructions : 0);
		if (e->u.exit.e.status < 0)
			sqlite3_bind_null(w->st[S_THREAD_EXIT], 3);
		step(w, S_THREAD_EXIT);
		break;
	}
	case EV_PROCESS_START: {
		struct process_copy *c = e->u.proc;
		bind_i(w, S_PROCESS_INS, 1, c->p.id);
		bind_i(w, S_PROCESS_INS, 2, c->p.pid);
		bind_i(w, S_PROCESS_INS, 3, c->p.parent_id);
		bind_t(w, S_PROCESS_INS, 4, c->p.executable);
		bind_t(w, S_PROCESS_INS, 5, c->argv_json);
		bind_i(w, S_PROCESS_INS, 6, (int64_t)e->seq);
		step(w, S_PROCESS_INS);
		free((char *)c->p.executable);
		free(c->argv_json);
		free(c);
		break;
	}
	case EV_PROCESS_EXEC: {
		struct process_copy *c = e->u.proc;
		bind_i(w, S_PEXEC_INS, 1, c->p.id);
		bind_i(w, S_PEXEC_INS, 2, c->thread_id);
		bind_i(w, S_PEXEC_INS, 3, (int64_t)e->seq);
		bind_t(w, S_PEXEC_INS, 4, c->p.executable);
		bind_t(w, S_PEXEC_INS, 5, c->argv_json);
		step(w, S_PEXEC_INS);
		bind_i(w, S_PROCESS_EXEC, 1, c->p.id);
		bind_t(w, S_PROCESS_EXEC, 2, c->p.executable);
		bind_t(w, S_PROCESS_EXEC, 3, c->argv_json);
		step(w, S_PROCESS_EXEC);
		free((char *)c->p.executable);
		free(c->argv_json);
		free(c);
		break;
	}
	case EV_PROCESS_EXIT:
		bind_i(w, S_PROCESS_EXIT, 1, e->u.exit.id);
		bind_i(w, S_PROCESS_EXIT, 2, (int64_t)e->seq);
		if (e->u.exit.e.status >= 0)
			bind_i(w, S_PROCESS_EXIT, 3, e->u.exit.e.status);
		else
			sqlite3_bind_null(w->st[S_PROCESS_EXIT], 3);
		if (e->u.exit.e.signal)
			bind_i(w, S_PROCESS_EXIT, 4, e->u.exit.e.signal);
		else
			sqlite3_bind_null(w->st[S_PROCESS_EXIT], 4);
		step(w, S_PROCESS_EXIT);
		break;
	}
}

/* The database's size in pages, as this transaction sees it (0 if unknown). */
static int64_t page_count(tw_writer *w)
{
	sqlite3_stmt *s = w->st[S_PAGE_COUNT];
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return n;
}

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Remembers what the file holds now (after a commit): see struct
 * committed. */
static void remember_committed(tw_writer *w)
{
	struct committed *d = &w->done;
	d->seq = w->seq_end;
	d->function_id = w->next_function_id;
	d->file_id = w->next_file_id;
	d->binary_id = w->max_binary_id;
	if (w->cap_threads > d->n_threads) {
		uint64_t *n = realloc(d->thread_insns, w->cap_threads * sizeof(*n));
		if (!n)
			return;
		d->thread_insns = n;
	}
	d->n_threads = w->cap_threads;
	d->n_calls = 0;
	for (uint32_t i = 0; i < w->cap_threads; i++) {
		const struct thread_info *t = &w->threads[i];
		d->thread_insns[i] = t->instructions;
		if (d->n_calls + t->n_stack > d->cap_calls) {
			size_t cap = (d->n_calls + t->n_stack) * 2;
			struct open_call *c = realloc(d->calls, cap * sizeof(*c));
			if (!c)
				return;
			d->calls = c;
			d->cap_calls = cap;
		}
		if (t->n_stack)
			memcpy(d->calls + d->n_calls, t->stack, t->n_stack * sizeof(*t->stack));
		d->n_calls += t->n_stack;
	}
}

/* Commits what was written so far, so a trace cut short keeps it. */
static void commit(tw_writer *w)
{
	char err[256];
	if (exec_sql(w->db, "COMMIT", err, sizeof(err)) < 0) {
		set_error(w, "writing the trace: %s", err);
		writer_fail(w);
		return;
	}
	remember_committed(w);
	if (exec_sql(w->db, "BEGIN", err, sizeof(err)) < 0) {
		set_error(w, "writing the trace: %s", err);
		writer_fail(w);
		return;
	}
	w->rows_since_commit = 0;
	w->pages_at_commit = page_count(w);
	clock_gettime(CLOCK_MONOTONIC, &w->last_commit);
}

static void *writer_main(void *arg)
{
	tw_writer *w = arg;
	clock_gettime(CLOCK_MONOTONIC, &w->last_commit);
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->closing)
			pthread_cond_wait(&w->not_empty, &w->lock);
		batch *b = w->head;
		if (b) {
			w->head = b->next;
			if (!w->head)
				w->tail = NULL;
			w->n_queued--;
			pthread_cond_signal(&w->not_full);
		}
		pthread_mutex_unlock(&w->lock);
		if (!b)
			break;
		for (uint32_t i = 0; i < b->n; i++) {
			if (w->failed)
				release(&b->evs[i]);
			else
				apply(w, &b->evs[i]);
		}
		free(b);
		if (!w->failed && (w->rows_since_commit > 500000 || since(&w->last_commit) > 1.0 ||
				   page_count(w) - w->pages_at_commit > w->commit_pages))
			commit(w);
	}
	return NULL;
}

/* ---- producing events (tracer thread) ---- */

static void hand_over(tw_writer *w)
{
	batch *b = w->cur;
	if (!b || !b->n)
		return;
	w->cur = NULL;
	pthread_mutex_lock(&w->lock);
	while (w->n_queued >= MAX_QUEUED)
		pthread_cond_wait(&w->not_full, &w->lock);
	if (w->tail)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	w->n_queued++;
	pthread_cond_signal(&w->not_empty);
	pthread_mutex_unlock(&w->lock);
}

static ev *push(tw_writer *w, uint8_t type, uint64_t seq)
{
	if (w->cur && w->cur->n == BATCH_EVENTS)
		hand_over(w);
	if (!w->cur) {
		w->cur = malloc(sizeof(*w->cur));
		if (!w->cur) {
			nt_request_stop();
			return NULL;
		}
		w->cur->n = 0;
		w->cur->next = NULL;
		clock_gettime(CLOCK_MONOTONIC, &w->cur->started);
	}
	ev *e = &w->cur->evs[w->cur->n++];
	e->type = type;
	e->seq = seq;
	return e;
}

/* Appends text to a growing buffer; returns false when out of memory. */
static bool buf_add(char **out, size_t *len, size_t *cap, const char *text, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = (*len + n + 1) * 2;
		char *o = realloc(*out, c);
		if (!o)
			return false;
		*out = o;
		*cap = c;
	}
	memcpy(*out + *len, text, n);
	*len += n;
	(*out)[*len] = 0;
	return true;
}

/* Returns v as a malloc'd JSON array of strings, or NULL. */
static char *json_string_array(const char *const *v)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	bool ok = buf_add(&out, &len, &cap, "[", 1);
	for (size_t i = 0; ok && v && v[i]; i++) {
		ok = buf_add(&out, &len, &cap, i ? ",\"" : "\"", i ? 2 : 1);
		for (const char *p = v[i]; ok && *p; p++) {
			char esc[8];
			if (*p == '"' || *p == '\\')
				snprintf(esc, sizeof(esc), "\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*p);
			else
				esc[0] = *p, esc[1] = 0;
			ok = buf_add(&out, &len, &cap, esc, strlen(esc));
		}
		ok = ok && buf_add(&out, &len, &cap, "\"", 1);
	}
	ok = ok && buf_add(&out, &len, &cap, "]", 1);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

static void on_process_start(void *ctx, const nt_process *p, uint64_t seq)
{
	struct process_copy *c = calloc(1, sizeof(*c));
	ev *e = c ? push(ctx, EV_PROCESS_START, seq) : NULL;
	if (!e) {
		free(c);
		return;
	}
	c->p = *p;
	c->p.executable = p->executable ? strdup(p->executable) : NULL;
	c->p.argv = NULL;
	c->argv_json = json_string_array(p->argv);
	e->u.proc = c;
}

static void on_process_exec(void *ctx, uint32_t process_id, uint32_t thread_id,
			    const char *executable, const char *const *argv, uint64_t seq)
{
	struct process_copy *c = calloc(1, sizeof(*c));
	ev *e = c ? push(ctx, EV_PROCESS_EXEC, seq) : NULL;
	if (!e) {
		free(c);
		return;
	}
	c->p.id = process_id;
	c->thread_id = thread_id;
	c->p.executable = executable ? strdup(executable) : NULL;
	c->argv_json = json_string_array(argv);
	e->u.proc = c;
}

static void on_syscall(void *ctx, const nt_syscall *sc)
{
	size_t l1 = sc->path ? strlen(sc->path) + 1 : 0, l2 = sc->path2 ? strlen(sc->path2) + 1 : 0;
	struct syscall_copy *c = malloc(sizeof(*c) + l1 + l2);
	ev *e = c ? push(ctx, EV_SYSCALL, 0) : NULL;
	if (!e) {
		free(c);
		return;
	}
	c->sc = *sc;
	if (l1)
		c->sc.path = memcpy(c->text, sc->path, l1);
	if (l2)
		c->sc.path2 = memcpy(c->text + l1, sc->path2, l2);
	e->u.sys = c;
}

static void on_process_exit(void *ctx, uint32_t id, nt_exit x, uint64_t seq)
{
	ev *e = push(ctx, EV_PROCESS_EXIT, seq);
	if (e) {
		e->u.exit.id = id;
		e->u.exit.e = x;
	}
}

static void on_thread_start(void *ctx, const nt_thread *t, uint64_t seq)
{
	ev *e = push(ctx, EV_THREAD_START, seq);
	if (e)
		e->u.thread = *t;
}

static void on_thread_exit(void *ctx, uint32_t id, nt_exit x, uint64_t seq)
{
	ev *e = push(ctx, EV_THREAD_EXIT, seq);
	if (e) {
		e->u.exit.id = id;
		e->u.exit.e = x;
	}
}

static void on_binary_load(void *ctx, const nt_binary *b, uint64_t seq)
{
	struct binary_copy *c = calloc(1, sizeof(*c));
	ev *e = c ? push(ctx, EV_BINARY_LOAD, seq) : NULL;
	if (!e) {
		free(c);
		return;
	}
	c->b = *b;
	c->path = strdup(b->path);
	c->build_id = b->build_id ? strdup(b->build_id) : NULL;
	c->b.image_fd = b->image_fd >= 0 ? dup(b->image_fd) : -1;
	e->u.bin = c;
}

static void on_binary_unload(void *ctx, uint32_t id, uint64_t seq)
{
	ev *e = push(ctx, EV_BINARY_UNLOAD, seq);
	if (e)
		e->u.id = id;
}

static void on_insn_new(void *ctx, const nt_insn *insn)
{
	struct insn_copy *c = calloc(1, sizeof(*c));
	ev *e = c ? push(ctx, EV_INSN, 0) : NULL;
	if (!e) {
		free(c);
		return;
	}
	c->insn = *insn;
	c->mnemonic = insn->mnemonic ? strdup(insn->mnemonic) : NULL;
	c->operands = insn->operands ? strdup(insn->operands) : NULL;
	e->u.insn = c;
}

static void on_block_new(void *ctx, const nt_block *b)
{
	uint32_t *ids = malloc(b->count * sizeof(*ids));
	ev *e = ids ? push(ctx, EV_BLOCK, 0) : NULL;
	if (!e) {
		free(ids);
		return;
	}
	memcpy(ids, b->insn_ids, b->count * sizeof(*ids));
	e->u.block.id = b->id;
	e->u.block.count = b->count;
	e->u.block.ids = ids;
}

static void on_exec(void *ctx, uint32_t thread_id, uint64_t call_id, const nt_block *b,
		    uint64_t seq)
{
	ev *e = push(ctx, EV_EXEC, seq);
	if (e) {
		e->u.exec.thread = thread_id;
		e->u.exec.call = call_id;
		e->u.exec.block = b->id;
		e->u.exec.count = b->count;
	}
}

/* CLOCK_MONOTONIC ns t as the measured time of calls: ns since the writer
 * was opened. */
static uint64_t since_opened(const tw_writer *w, uint64_t t)
{
	uint64_t t0 = (uint64_t)w->opened.tv_sec * 1000000000u + (uint64_t)w->opened.tv_nsec;
	return t > t0 ? t - t0 : 0;
}

static uint64_t elapsed_ns(const tw_writer *w)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return since_opened(w, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
}

static void on_call_enter(void *ctx, const nt_call *c)
{
	ev *e = push(ctx, EV_CALL_ENTER, c->entry_seq);
	if (e) {
		e->u.ret.c = *c;
		/* When the tracer saw it begin, not now: it reports a call at
		 * its first instructions' end, maybe after a long syscall. */
		e->u.ret.ns = c->entry_ns ? since_opened(ctx, c->entry_ns) : elapsed_ns(ctx);
	}
}

static void on_call_return(void *ctx, const nt_call *c, nt_return_kind kind,
			   uint64_t exit_seq, uint64_t own)
{
	ev *e = push(ctx, EV_CALL_RETURN, exit_seq);
	if (e) {
		e->u.ret.c = *c;
		e->u.ret.kind = kind;
		e->u.ret.own = own;
		e->u.ret.ns = elapsed_ns(ctx);
	}
}

static void push_frames(void *ctx, uint8_t type, uint32_t thread_id, uint64_t key,
			const uint64_t *pcs, size_t n)
{
	uint64_t *copy = malloc(n * sizeof(*copy));
	ev *e = copy ? push(ctx, type, 0) : NULL;
	if (!e) {
		free(copy);
		return;
	}
	memcpy(copy, pcs, n * sizeof(*copy));
	e->u.bt.thread = thread_id;
	e->u.bt.call = key;
	e->u.bt.n = (uint32_t)n;
	e->u.bt.pcs = copy;
}

static void on_backtrace(void *ctx, uint32_t thread_id, uint64_t call_id, const uint64_t *pcs,
			 size_t n)
{
	push_frames(ctx, EV_BACKTRACE, thread_id, call_id, pcs, n);
}

static void on_stack_new(void *ctx, uint32_t thread_id, uint32_t stack_id, const uint64_t *pcs,
			 size_t n)
{
	push_frames(ctx, EV_STACK, thread_id, stack_id, pcs, n);
}

static void on_alloc(void *ctx, const nt_alloc *a)
{
	size_t l1 = strlen(a->kind) + 1, l2 = strlen(a->symbol) + 1;
	struct alloc_copy *c = malloc(sizeof(*c) + l1 + l2);
	ev *e = c ? push(ctx, EV_ALLOC, 0) : NULL;
	if (!e) {
		free(c);
		return;
	}
	c->a = *a;
	c->a.kind = memcpy(c->text, a->kind, l1);
	c->a.symbol = memcpy(c->text + l1, a->symbol, l2);
	e->u.alloc = c;
}

static void on_warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "nosco-sql: warning: %s\n", msg);
}

/* Called before every waitpid, that is at every stop: handing a batch over
 * wakes the writer (a futex call and a cross-CPU wake-up), so only a batch
 * that has waited long enough goes now; full batches go from push(). */
static void on_idle(void *ctx)
{
	tw_writer *w = ctx;
	if (!w->abort_sent && atomic_load(&w->stop_tracer)) {
		/* The writer failed: what is traced from now on cannot be kept. */
		w->abort_sent = true;
		nt_request_abort(w->error);
	}
	if (w->cur && w->cur->n && since(&w->cur->started) > HANDOVER_AGE)
		hand_over(w);
}

/* ---- open / close ---- */

static void iso_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void free_writer(tw_writer *w)
{
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(w->st[i]);
	if (w->db)
		sqlite3_close(w->db);
	for (uint32_t i = 0; i < w->n_syms; i++)
		nt_sym_destroy(w->syms[i]);
	free(w->syms);
	free(w->bins);
	for (uint32_t i = 0; i < w->cap_threads; i++)
		free(w->threads[i].stack);
	free(w->threads);
	free(w->done.thread_insns);
	free(w->done.calls);
	if (w->lock_fd >= 0)
		close(w->lock_fd); /* after sqlite3_close: it drops the process's locks */
	if (w->reserve_fd >= 0)
		close(w->reserve_fd);
	free(w->functions.slots);
	free(w->call_funcs.slots);
	free(w->files.slots);
	free(w->insn_addr.slots);
	free(w->cur);
	while (w->head) {
		batch *b = w->head;
		w->head = b->next;
		free(b);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->not_empty);
	pthread_cond_destroy(&w->not_full);
	free(w->path);
	free(w);
}

tw_writer *tw_open(const char *path, const tw_run_info *info, char *err, size_t errlen)
{
	tw_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->not_empty, NULL);
	pthread_cond_init(&w->not_full, NULL);
	w->path = strdup(path);
	w->lock_fd = -1;
	w->reserve_fd = -1;
	w->embed_sources = info->embed_sources;
	clock_gettime(CLOCK_MONOTONIC, &w->opened);
	/* Create the file ourselves: O_EXCL never clobbers, 0600 keeps program
	 * data private. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		free_writer(w);
		return NULL;
	}
	w->lock_fd = fd;
	/* A mode asked for is set exactly, not masked by the umask. */
	if (info->mode && fchmod(fd, info->mode) < 0) {
		snprintf(err, errlen, "cannot set the mode of %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Held until the trace is closed, so that another nosco-sql refuses
	 * the file (tw_busy). flock locks are apart from SQLite's fcntl ones. */
	flock(fd, LOCK_EX | LOCK_NB);
	w->reserve_fd = make_reserve(path);
	if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(w->db));
		goto fail;
	}
	char sql_err[512];
	char pragmas[256];
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL; PRAGMA user_version=%d;"
		 "PRAGMA cache_size=-16384;",
		 NOSCO_SCHEMA_VERSION);
	if (exec_sql(w->db, pragmas, sql_err, sizeof(sql_err)) < 0 ||
	    exec_sql(w->db, "BEGIN", sql_err, sizeof(sql_err)) < 0 ||
	    exec_sql(w->db, nosco_sql_schema, sql_err, sizeof(sql_err)) < 0 ||
	    exec_sql(w->db, nosco_sql_views, sql_err, sizeof(sql_err)) < 0 ||
	    exec_sql(w->db, nosco_query_views, sql_err, sizeof(sql_err)) < 0) {
		snprintf(err, errlen, "cannot create the trace schema in %s: %s", path, sql_err);
		goto fail;
	}
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(w->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "internal error preparing SQL: %s",
				 sqlite3_errmsg(w->db));
			goto fail;
		}
	sqlite3_stmt *s;
	char now[32];
	iso_now(now, sizeof(now));
	char *argv_json = json_string_array(info->argv);
	char *env_json = info->env ? json_string_array(info->env) : NULL;
	sqlite3_prepare_v2(w->db,
			   "INSERT INTO trace(id, format, tool_version, argv, cwd, engine, options, "
			   "start_time, env) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, NOSCO_TRACE_FORMAT, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, NOSCO_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, argv_json ? argv_json : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, info->cwd, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, info->engine, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, info->options_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, now, -1, SQLITE_TRANSIENT);
	if (env_json)
		sqlite3_bind_text(s, 8, env_json, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	free(argv_json);
	free(env_json);
	if (rc != SQLITE_DONE || exec_sql(w->db, "COMMIT; BEGIN", sql_err, sizeof(sql_err)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, sqlite3_errmsg(w->db));
		goto fail;
	}
	sqlite3_stmt *ps = NULL;
	int64_t page_size = 0;
	if (sqlite3_prepare_v2(w->db, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
	    sqlite3_step(ps) == SQLITE_ROW)
		page_size = sqlite3_column_int64(ps, 0);
	sqlite3_finalize(ps);
	w->commit_pages = COMMIT_BYTES / (page_size > 0 ? page_size : 4096);
	w->pages_at_commit = page_count(w);
	w->handler = (nt_handler){
		.ctx = w,
		.process_start = on_process_start,
		.process_exit = on_process_exit,
		.process_exec = on_process_exec,
		.syscall = on_syscall,
		.thread_start = on_thread_start,
		.thread_exit = on_thread_exit,
		.binary_load = on_binary_load,
		.binary_unload = on_binary_unload,
		.insn_new = on_insn_new,
		.block_new = on_block_new,
		.exec = on_exec,
		.call_enter = on_call_enter,
		.call_return = on_call_return,
		.backtrace = on_backtrace,
		.alloc = on_alloc,
		.stack_new = on_stack_new,
		.warning = on_warning,
		.idle = on_idle,
	};
	/* The tracer and the program share one CPU: keep the writer on the
	 * others, or waking it would take turns with them. */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (info->avoid_cpu >= 0 && sched_getaffinity(0, sizeof(w->cpus), &w->cpus) == 0 &&
	    CPU_COUNT(&w->cpus) > 1) {
		cpu_set_t set = w->cpus;
		CPU_CLR(info->avoid_cpu, &set);
		w->writer_restricted = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0;
	}
	rc = pthread_create(&w->thread, &attr, writer_main, w);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the writer thread");
		goto fail;
	}
	w->thread_started = true;
	return w;
fail:
	free_writer(w);
	unlink(path);
	return NULL;
}

const nt_handler *tw_handler(tw_writer *w)
{
	return &w->handler;
}

static const char *end_reason(const nt_result *res)
{
	switch (res->reason) {
	case NT_END_INTERRUPTED:
		return "interrupted";
	case NT_END_ERROR:
		return "error";
	case NT_END_DETACHED:
		return "detached";
	default:
		return res->exit.signal ? "killed" : "exited";
	}
}

/* Finalizes the statements, makes the file self-contained (no -wal/-shm
 * beside it; this fails when the disk is full, and the -wal file stays)
 * and closes it. Returns 0, or -1 after set_error. */
static int close_db(tw_writer *w)
{
	char sql_err[512];
	for (int i = 0; i < S_COUNT; i++) {
		sqlite3_finalize(w->st[i]);
		w->st[i] = NULL;
	}
	exec_sql(w->db, "PRAGMA journal_mode=DELETE", sql_err, sizeof(sql_err));
	int rc = sqlite3_close(w->db);
	if (rc != SQLITE_OK)
		set_error(w, "closing the trace: %s", sqlite3_errmsg(w->db));
	w->db = NULL;
	return rc == SQLITE_OK ? 0 : -1;
}

/* When the -wal file is still there (the disk was full), a note that the
 * trace is the two files. */
static const char *wal_note(const tw_writer *w)
{
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", w->path);
	return access(wal, F_OK) == 0 ? " (the trace is the file and its -wal file beside it: "
					"keep them together)" : "";
}

/* Keeps the entries of m whose value, less sub, is at most max. */
static void pm_prune(pairmap *m, uint64_t max, uint64_t sub)
{
	pairmap kept = { 0 };
	for (size_t i = 0; i < m->cap; i++) {
		const struct pm_slot *s = &m->slots[i];
		if (s->v && s->v - sub <= max)
			pm_put(&kept, s->k1, s->k2, s->v);
	}
	free(m->slots);
	*m = kept;
}

/* The writer failed: the file holds what the last commit wrote. End the
 * trace there, consistently: the calls then running get their rows (no
 * exit: still running when the trace ended), the threads then alive their
 * instruction counts, and the trace row its end (reason 'error', the
 * message, the instructions kept). It is a small write, into the space the
 * rolled-back transaction already took. */
static int end_at_commit(tw_writer *w, const char *now)
{
	const struct committed *d = &w->done;
	if (w->reserve_fd >= 0) { /* the space kept for this */
		close(w->reserve_fd);
		w->reserve_fd = -1;
	}
	/* Ids written after the commit were rolled back: forget them. */
	pm_prune(&w->functions, d->function_id, 0);
	pm_prune(&w->call_funcs, d->function_id, 1);
	pm_prune(&w->files, d->file_id, 0);
	w->next_function_id = d->function_id;
	w->next_file_id = d->file_id;
	w->failed = false; /* step() may write again */
	char sql_err[512];
	if (exec_sql(w->db, "BEGIN", sql_err, sizeof(sql_err)) < 0)
		return -1;
	sqlite3_stmt *s = NULL;
	sqlite3_prepare_v2(w->db,
			   "UPDATE threads SET instructions = ?2 WHERE id = ?1 AND last_seq IS NULL", -1,
			   &s, NULL);
	for (uint32_t i = 1; s && i < d->n_threads; i++) {
		sqlite3_bind_int64(s, 1, i);
		sqlite3_bind_int64(s, 2, (int64_t)d->thread_insns[i]);
		if (sqlite3_step(s) != SQLITE_DONE)
			w->failed = true;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < d->n_calls && !w->failed; i++) {
		const nt_call *c = &d->calls[i].c;
		/* Its function, if its binary was written before the commit. */
		uint32_t pid = c->thread_id < w->cap_threads ? w->threads[c->thread_id].process_id : 1;
		nt_symbolizer *sz = sym_of(w, pid);
		nt_symbol sym;
		uint64_t fid = sz && nt_sym_lookup(sz, c->addr, &sym) && sym.binary_id <= d->binary_id
				       ? function_id(w, &sym)
				       : 0;
		enum stmt_id S = S_CALL_INS;
		bind_i(w, S, 1, (int64_t)c->id);
		bind_i(w, S, 2, c->thread_id);
		bind_i(w, S, 3, (int64_t)c->parent_id);
		bind_i(w, S, 4, c->depth);
		bind_t(w, S, 5, call_kinds[c->kind]);
		bind_i(w, S, 6, (int64_t)fid);
		bind_i(w, S, 7, (int64_t)c->addr);
		bind_i(w, S, 8, (int64_t)c->call_site);
		bind_i(w, S, 9, (int64_t)c->return_addr);
		bind_i(w, S, 10, (int64_t)c->entry_sp);
		bind_i(w, S, 11, (int64_t)c->entry_seq);
		sqlite3_bind_null(w->st[S], 12);
		sqlite3_bind_null(w->st[S], 13);
		bind_i(w, S, 14, c->recorded);
		bind_i(w, S, 15, (int64_t)d->calls[i].own);
		bind_i(w, S, 16, (int64_t)d->calls[i].entry_ns);
		sqlite3_bind_null(w->st[S], 17);
		step(w, S);
		if (!c->parent_id) {
			bind_i(w, S_THREAD_ROOT, 1, c->thread_id);
			bind_i(w, S_THREAD_ROOT, 2, (int64_t)c->id);
			step(w, S_THREAD_ROOT);
		}
	}
	s = NULL;
	sqlite3_prepare_v2(w->db,
			   "UPDATE trace SET end_time = ?1, end_reason = 'error', instructions = ?2, "
			   "error = ?3 WHERE id = 1",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, (int64_t)d->seq);
	sqlite3_bind_text(s, 3, w->error, -1, SQLITE_TRANSIENT);
	if (!s || sqlite3_step(s) != SQLITE_DONE)
		w->failed = true;
	sqlite3_finalize(s);
	if (w->failed || exec_sql(w->db, "COMMIT", sql_err, sizeof(sql_err)) < 0) {
		exec_sql(w->db, "ROLLBACK", sql_err, sizeof(sql_err));
		return -1;
	}
	return 0;
}

/* tw_close() after a failed write: see end_at_commit. */
static int close_failed(tw_writer *w, const char *now, char *err, size_t errlen)
{
	char msg[sizeof(w->error)];
	snprintf(msg, sizeof(msg), "%s", w->error);
	uint64_t kept = w->done.seq;
	int ended = end_at_commit(w, now);
	close_db(w);
	snprintf(err, errlen, "%s: tracing stopped; the trace ends after %llu instructions%s%s",
		 msg, (unsigned long long)kept,
		 ended < 0 ? " (its end could not be written: trace.end_time is empty)" : "",
		 wal_note(w));
	free_writer(w);
	return -1;
}

/* --embed-sources: at most this much of one file, and of all together. */
enum { SOURCE_MAX_BYTES = 16 << 20, SOURCES_MAX_BYTES = 256 << 20, SOURCE_WARNINGS = 10 };

/* A path from the program's debug info on stderr: control characters as '?'. */
static void warn_path(const char *path)
{
	for (const char *p = path; *p; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, stderr);
}

/* Inserts the lines of data (split at '\n', a '\r' before it dropped; no
 * empty line after a final '\n'). Returns false when a write failed. */
static bool insert_lines(sqlite3_stmt *s, int64_t file_id, const char *data, size_t size)
{
	int64_t line = 0;
	for (size_t at = 0; at < size;) {
		const char *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - at;
		if (len && data[at + len - 1] == '\r')
			len--;
		sqlite3_bind_int64(s, 1, file_id);
		sqlite3_bind_int64(s, 2, ++line);
		sqlite3_bind_text(s, 3, data + at, (int)len, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return false;
		at = end + 1;
	}
	return true;
}

/* run --embed-sources: every path of source_files read once now, into the
 * sources and source_lines tables, in a transaction of its own after the
 * trace's end was committed, so that a failure here (or nosco-sql killed
 * meanwhile) leaves the trace complete without them. Files that cannot be
 * embedded get a row saying why and a warning; nothing here is an error. */
static void embed_sources(tw_writer *w)
{
	char sql_err[512];
	sqlite3_stmt *paths = NULL, *ins = NULL, *lines = NULL;
	bool ok = exec_sql(w->db, "BEGIN", sql_err, sizeof(sql_err)) == 0 &&
		  exec_sql(w->db, nosco_sql_sources, sql_err, sizeof(sql_err)) == 0 &&
		  sqlite3_prepare_v2(w->db, "SELECT id, path FROM source_files ORDER BY id", -1,
				     &paths, NULL) == SQLITE_OK &&
		  sqlite3_prepare_v2(w->db,
				     "INSERT INTO sources(path, file_id, status, size, sha256, "
				     "content, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				     -1, &ins, NULL) == SQLITE_OK &&
		  sqlite3_prepare_v2(w->db,
				     "INSERT INTO source_lines(file_id, line, text) VALUES (?1, ?2, ?3)",
				     -1, &lines, NULL) == SQLITE_OK;
	if (!ok && !sql_err[0])
		snprintf(sql_err, sizeof(sql_err), "%s", sqlite3_errmsg(w->db));
	size_t total = 0;
	unsigned n_paths = 0, n_relative = 0, n_embedded = 0, n_warned = 0, n_unwarned = 0;
	while (ok && sqlite3_step(paths) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(paths, 0);
		const char *path = (const char *)sqlite3_column_text(paths, 1);
		if (!path)
			continue;
		n_paths++;
		src_file f;
		src_read(path, SOURCE_MAX_BYTES, &f);
		if (f.status == SRC_OK && total + f.size > SOURCES_MAX_BYTES) {
			free(f.data);
			f.data = NULL;
			f.status = SRC_TOO_LARGE;
			snprintf(f.error, sizeof(f.error), "the trace's sources reached %d MiB",
				 SOURCES_MAX_BYTES >> 20);
		}
		sqlite3_bind_text(ins, 1, path, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 2, id);
		sqlite3_bind_text(ins, 3, src_status_name(f.status), -1, SQLITE_STATIC);
		if (f.status == SRC_OK || f.status == SRC_TOO_LARGE)
			sqlite3_bind_int64(ins, 4, (int64_t)f.size);
		if (f.status == SRC_OK) {
			sqlite3_bind_text(ins, 5, f.sha256, -1, SQLITE_STATIC);
			sqlite3_bind_blob(ins, 6, f.size ? f.data : "", (int)f.size, SQLITE_STATIC);
		} else {
			sqlite3_bind_text(ins, 7, f.error, -1, SQLITE_STATIC);
		}
		ok = sqlite3_step(ins) == SQLITE_DONE;
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
		if (ok && f.status == SRC_OK) {
			ok = insert_lines(lines, id, f.data, f.size);
			total += f.size;
			n_embedded++;
		} else if (f.status == SRC_RELATIVE) {
			n_relative++;
		} else if (f.status != SRC_OK && n_warned < SOURCE_WARNINGS) {
			n_warned++;
			fputs("nosco-sql: warning: --embed-sources: ", stderr);
			warn_path(path);
			fprintf(stderr, ": %s (not embedded)\n", f.error);
		} else if (f.status != SRC_OK) {
			n_unwarned++;
		}
		free(f.data);
		if (!ok)
			snprintf(sql_err, sizeof(sql_err), "%s", sqlite3_errmsg(w->db));
	}
	sqlite3_finalize(paths);
	sqlite3_finalize(ins);
	sqlite3_finalize(lines);
	if (ok && exec_sql(w->db, "COMMIT", sql_err, sizeof(sql_err)) < 0)
		ok = false;
	if (!ok) {
		char ignored[64];
		exec_sql(w->db, "ROLLBACK", ignored, sizeof(ignored));
		fprintf(stderr, "nosco-sql: warning: --embed-sources: the sources could not be stored "
				"(%s); the trace is complete without them\n", sql_err);
		return;
	}
	if (n_unwarned)
		fprintf(stderr, "nosco-sql: warning: --embed-sources: %u more files not embedded "
				"(see the sources table's status)\n", n_unwarned);
	if (n_relative)
		fprintf(stderr, "nosco-sql: warning: --embed-sources: %u of %u source paths are "
				"relative (to their binary's build directory, which the trace does not "
				"know): not embedded; "
				"%u files embedded\n", n_relative, n_paths, n_embedded);
}

int tw_close(tw_writer *w, const nt_result *res, char *err, size_t errlen)
{
	hand_over(w);
	/* The tracer is done: the writer may run anywhere, the tracer's CPU
	 * too. (On a loaded machine a thread bound to one other CPU can wait
	 * there for seconds while this one sits idle in the join.) */
	if (w->writer_restricted)
		pthread_setaffinity_np(w->thread, sizeof(w->cpus), &w->cpus);
	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_signal(&w->not_empty);
	pthread_mutex_unlock(&w->lock);
	if (w->thread_started)
		pthread_join(w->thread, NULL);

	char now[32], sql_err[512];
	iso_now(now, sizeof(now));
	if (w->failed)
		return close_failed(w, now, err, errlen);
	if (w->reserve_fd >= 0) { /* room for the end, whatever the disk holds */
		close(w->reserve_fd);
		w->reserve_fd = -1;
	}
	sqlite3_stmt *s = NULL;
	sqlite3_prepare_v2(w->db,
			   "UPDATE trace SET end_time = ?1, end_reason = ?2, exit_status = ?3, "
			   "exit_signal = ?4, instructions = ?5, error = ?6 WHERE id = 1",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, end_reason(res), -1, SQLITE_STATIC);
	if (res->exit.status >= 0)
		sqlite3_bind_int(s, 3, res->exit.status);
	if (res->exit.signal)
		sqlite3_bind_int(s, 4, res->exit.signal);
	sqlite3_bind_int64(s, 5, (int64_t)res->instructions);
	const char *msg = res->error[0] ? res->error : w->error[0] ? w->error : NULL;
	if (msg)
		sqlite3_bind_text(s, 6, msg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE)
		set_error(w, "writing the trace: %s", sqlite3_errmsg(w->db));
	sqlite3_finalize(s);
	if (exec_sql(w->db, "COMMIT", sql_err, sizeof(sql_err)) < 0)
		set_error(w, "committing the trace: %s", sql_err);
	else {
		if (w->embed_sources)
			embed_sources(w);
		if (exec_sql(w->db, nosco_sql_indexes, sql_err, sizeof(sql_err)) < 0)
			set_error(w, "indexing the trace: %s", sql_err);
	}
	int ret = 0;
	if (close_db(w) < 0 || w->error[0]) {
		snprintf(err, errlen, "%s%s", w->error, wal_note(w));
		ret = -1;
	}
	free_writer(w);
	return ret;
}

int tw_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	int busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

int tw_is_trace(const char *path, int *is_trace)
{
	*is_trace = 0;
	sqlite3 *db = NULL;
	/* Whoever made the file: no extension, trigger or function from it runs. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)0) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)0) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT format FROM main.trace WHERE id = 1", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *f = sqlite3_column_text(s, 0);
		*is_trace = f && !strcmp((const char *)f, NOSCO_TRACE_FORMAT);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return 0;
}
