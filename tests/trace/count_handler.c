/*
 * count_handler: runs PROG through the tracer library (nosco/tracer.h) with
 * a handler that only counts what it is told, checks the counts against
 * expectations given on the command line (fixed by the samples' source) and
 * checks the handler contract: every event comes with ids already announced,
 * calls and returns balance, exec runs tile the seq numbers.
 *
 * usage: count_handler [--engine step|block] [--threads N] [--calls N]
 *                      [--insns N] [--status N] -- PROG [ARGS...]
 * Exit status: 0 all as expected, 1 a mismatch, 77 ptrace not permitted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nosco/tracer.h"

#define SKIP 77
#define MAXTHREADS 64

/* A set of small positive ids: a byte per id. */
struct idset {
	uint8_t *seen;
	size_t cap;
};

/* Adds id; returns 1 if it was new, 0 if already there, -1 if out of range. */
static int idset_add(struct idset *s, uint64_t id)
{
	if (id == 0 || id > 100000000)
		return -1;
	if (id >= s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap <= id)
			cap *= 2;
		uint8_t *p = realloc(s->seen, cap);
		if (!p) {
			perror("count_handler");
			exit(2);
		}
		memset(p + s->cap, 0, cap - s->cap);
		s->seen = p;
		s->cap = cap;
	}
	if (s->seen[id])
		return 0;
	s->seen[id] = 1;
	return 1;
}

static int idset_has(const struct idset *s, uint64_t id)
{
	return id < s->cap && s->seen[id];
}

struct counts {
	uint64_t processes, process_exits;
	uint64_t threads, thread_exits;
	uint64_t binaries, insns_new, blocks_new;
	uint64_t calls, returns, roots;
	uint64_t executed;     /* sum of exec block counts */
	uint64_t next_seq;     /* one past the highest seq seen */
	uint64_t max_call_id;
	uint32_t max_insn_id, max_block_id, max_thread_id;
	struct idset insns_seen, calls_seen;
	uint64_t errors;
};

static void bad(struct counts *c, const char *what)
{
	if (c->errors++ < 10)
		fprintf(stderr, "count_handler: contract broken: %s\n", what);
}

static void on_process_start(void *ctx, const nt_process *p, uint64_t seq)
{
	struct counts *c = ctx;
	c->processes++;
	if (!p->argv || !p->argv[0])
		bad(c, "process_start without argv");
}

static void on_process_exit(void *ctx, uint32_t process_id, nt_exit e, uint64_t seq)
{
	((struct counts *)ctx)->process_exits++;
}

static void on_thread_start(void *ctx, const nt_thread *t, uint64_t seq)
{
	struct counts *c = ctx;
	c->threads++;
	if (t->id != c->max_thread_id + 1)
		bad(c, "thread ids are not 1, 2, 3... in order of appearance");
	c->max_thread_id = t->id;
	if ((t->id == 1) != (t->parent_id == 0))
		bad(c, "only thread 1 has no parent thread");
}

static void on_thread_exit(void *ctx, uint32_t thread_id, nt_exit e, uint64_t seq)
{
	struct counts *c = ctx;
	c->thread_exits++;
	if (thread_id == 0 || thread_id > c->max_thread_id)
		bad(c, "thread_exit of an unknown thread");
}

static void on_binary_load(void *ctx, const nt_binary *b, uint64_t seq)
{
	((struct counts *)ctx)->binaries++;
}

static void on_binary_unload(void *ctx, uint32_t binary_id, uint64_t seq)
{
}

static void on_insn_new(void *ctx, const nt_insn *insn)
{
	struct counts *c = ctx;
	c->insns_new++;
	if (idset_add(&c->insns_seen, insn->id) != 1)
		bad(c, "an instruction id announced twice or out of range");
	if (insn->id > c->max_insn_id)
		c->max_insn_id = insn->id;
	if (insn->size < 1 || insn->size > 15)
		bad(c, "instruction size out of 1..15");
}

static void on_block_new(void *ctx, const nt_block *block)
{
	struct counts *c = ctx;
	c->blocks_new++;
	if (block->id != c->max_block_id + 1)
		bad(c, "block ids are not 1, 2, 3... in order");
	c->max_block_id = block->id;
	if (block->count < 1)
		bad(c, "empty block");
	for (uint32_t i = 0; i < block->count; i++)
		if (!idset_has(&c->insns_seen, block->insn_ids[i]))
			bad(c, "block uses an instruction not announced before");
}

static void on_exec(void *ctx, uint32_t thread_id, uint64_t call_id,
		    const nt_block *block, uint64_t seq)
{
	struct counts *c = ctx;
	c->executed += block->count;
	if (block->id == 0 || block->id > c->max_block_id)
		bad(c, "exec of a block not announced before");
	if (!idset_has(&c->calls_seen, call_id))
		bad(c, "exec in a call not entered before");
	if (thread_id == 0 || thread_id > c->max_thread_id)
		bad(c, "exec in a thread not started before");
	if (seq + block->count > c->next_seq)
		c->next_seq = seq + block->count;
}

static void on_call_enter(void *ctx, const nt_call *call)
{
	struct counts *c = ctx;
	c->calls++;
	if (call->kind == NT_CALL_ROOT) {
		c->roots++;
		if (call->depth != 0 || call->parent_id != 0)
			bad(c, "a root call has a parent or depth");
	} else if (!idset_has(&c->calls_seen, call->parent_id)) {
		bad(c, "a call's parent was not entered before");
	}
	if (idset_add(&c->calls_seen, call->id) != 1)
		bad(c, "a call id entered twice or out of range");
	if (call->id > c->max_call_id)
		c->max_call_id = call->id;
}

static void on_call_return(void *ctx, const nt_call *call, nt_return_kind kind,
			   uint64_t exit_seq, uint64_t own_insns)
{
	struct counts *c = ctx;
	c->returns++;
	if (!idset_has(&c->calls_seen, call->id))
		bad(c, "return of a call not entered");
	if (exit_seq < call->entry_seq)
		bad(c, "a call returns before it was entered");
}

static int parse_num(const char *s, long long *out)
{
	char *end;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || !*s || *end ? -1 : 0;
}

/* expected < 0: anything goes. */
static int check(const char *what, long long expected, long long got)
{
	if (expected < 0)
		return 0;
	if (expected == got) {
		printf("ok   %s = %lld\n", what, got);
		return 0;
	}
	printf("FAIL %s: expected %lld, got %lld\n", what, expected, got);
	return 1;
}

int main(int argc, char **argv)
{
	nt_options opts;
	nt_options_init(&opts);
	long long want_threads = -1, want_calls = -1, want_insns = -1, want_status = -1;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		long long *dst = NULL;
		if (!strcmp(argv[i], "--engine") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "step"))
				opts.engine = NT_ENGINE_STEP;
			else if (!strcmp(argv[i], "block"))
				opts.engine = NT_ENGINE_BLOCK;
			else
				goto usage;
			continue;
		} else if (!strcmp(argv[i], "--threads")) {
			dst = &want_threads;
		} else if (!strcmp(argv[i], "--calls")) {
			dst = &want_calls;
		} else if (!strcmp(argv[i], "--insns")) {
			dst = &want_insns;
		} else if (!strcmp(argv[i], "--status")) {
			dst = &want_status;
		}
		if (!dst || i + 1 >= argc || parse_num(argv[++i], dst))
			goto usage;
	}
	if (i + 1 >= argc)
		goto usage;

	struct counts c;
	memset(&c, 0, sizeof(c));
	nt_handler h = {
		.ctx = &c,
		.process_start = on_process_start,
		.process_exit = on_process_exit,
		.thread_start = on_thread_start,
		.thread_exit = on_thread_exit,
		.binary_load = on_binary_load,
		.binary_unload = on_binary_unload,
		.insn_new = on_insn_new,
		.block_new = on_block_new,
		.exec = on_exec,
		.call_enter = on_call_enter,
		.call_return = on_call_return,
		.idle = NULL,
	};
	nt_result r;
	memset(&r, 0, sizeof(r));
	int rc = nt_run(argv + i + 1, &opts, &h, &r);
	if (rc == -EPERM) {
		printf("SKIP: %s\n", r.error);
		return SKIP;
	}
	if (rc) {
		printf("FAIL nt_run: %d (%s)\n", rc, r.error);
		return 1;
	}

	int fails = 0;
	if (r.reason != NT_END_EXITED) {
		printf("FAIL end reason %d (%s)\n", (int)r.reason, r.error);
		fails++;
	}
	fails += check("threads started", want_threads, c.threads);
	fails += check("threads exited (= started)", (long long)c.threads, c.thread_exits);
	fails += check("root calls (= threads)", (long long)c.threads, c.roots);
	fails += check("calls entered", want_calls, c.calls);
	fails += check("calls returned (= entered)", (long long)c.calls, c.returns);
	fails += check("instructions executed", want_insns, c.executed);
	fails += check("result.instructions (= executed)", (long long)c.executed, r.instructions);
	fails += check("seq numbers used (= executed)", (long long)c.executed, c.next_seq);
	fails += check("distinct instructions (ids 1..N)", (long long)c.max_insn_id, c.insns_new);
	fails += check("call ids (1..N)", (long long)c.max_call_id, c.calls);
	fails += check("processes started", 1, c.processes);
	fails += check("processes exited", 1, c.process_exits);
	fails += check("exit status", want_status, r.exit.status);
	fails += check("contract violations", 0, c.errors);
	printf("(%" PRIu64 " binaries, %" PRIu64 " distinct instructions, %" PRIu64
	       " blocks, %" PRIu64 " stops)\n", c.binaries, c.insns_new, c.blocks_new, r.stops);
	free(c.insns_seen.seen);
	free(c.calls_seen.seen);
	return fails ? 1 : 0;

usage:
	fprintf(stderr, "usage: count_handler [--engine step|block] [--threads N] [--calls N] "
			"[--insns N] [--status N] -- PROG [ARGS...]\n");
	return 2;
}
