#include "recorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader.h"

/* Distinct blocks, keyed by (first instruction id, count): runs never cross
 * a control transfer, so that pair fixes the whole sequence. */
enum { MAX_RUN_INSNS = 1 << 16 };

struct blk_entry {
	uint32_t first, count, id;
};

struct blk_cache {
	struct blk_entry *slots;
	size_t cap, used;
	uint32_t next_id;
};

static size_t blk_hash(uint32_t first, uint32_t count, size_t cap)
{
	uint64_t k = ((uint64_t)first << 32 | count) * 0x9E3779B97F4A7C15ULL;
	return (size_t)(k >> 24) & (cap - 1);
}

int rec_init(session *s)
{
	s->blocks = calloc(1, sizeof(*s->blocks));
	if (!s->blocks)
		return -ENOMEM;
	s->blocks->cap = 1 << 14;
	s->blocks->slots = calloc(s->blocks->cap, sizeof(struct blk_entry));
	return s->blocks->slots ? 0 : -ENOMEM;
}

void rec_fini(session *s)
{
	if (s->blocks)
		free(s->blocks->slots);
	free(s->blocks);
	s->blocks = NULL;
}

static int blk_grow(struct blk_cache *c)
{
	size_t cap = c->cap * 2;
	struct blk_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		struct blk_entry *e = &c->slots[i];
		if (!e->id)
			continue;
		size_t j = blk_hash(e->first, e->count, cap);
		while (slots[j].id)
			j = (j + 1) & (cap - 1);
		slots[j] = *e;
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return 0;
}

/* Returns the id of the block made of ids[0..count), reporting it if new;
 * 0 when out of memory. */
static uint32_t blk_intern(session *s, const uint32_t *ids, uint32_t count)
{
	struct blk_cache *c = s->blocks;
	if ((c->used + 1) * 2 > c->cap && blk_grow(c) < 0)
		return 0;
	size_t i = blk_hash(ids[0], count, c->cap);
	for (; c->slots[i].id; i = (i + 1) & (c->cap - 1))
		if (c->slots[i].first == ids[0] && c->slots[i].count == count)
			return c->slots[i].id;
	uint32_t id = ++c->next_id;
	c->slots[i] = (struct blk_entry){ ids[0], count, id };
	c->used++;
	if (s->h->block_new) {
		nt_block b = { .id = id, .count = count, .insn_ids = ids };
		s->h->block_new(s->h->ctx, &b);
	}
	return id;
}

int rec_insn(session *s, thread *t, dec_insn *insn)
{
	if (!insn->announced) {
		insn->pub.binary_id = ldr_binary_id(t->proc, insn->pub.addr);
		if (!insn->pub.binary_id) {
			ldr_on_unknown_code(s, t);
			insn->pub.binary_id = ldr_binary_id(t->proc, insn->pub.addr);
		}
		if (s->h->insn_new)
			s->h->insn_new(s->h->ctx, &insn->pub);
		insn->announced = true;
	}
	if (t->n_run == MAX_RUN_INSNS) /* e.g. a `jmp .` loop: split it */
		rec_flush(s, t);
	if (t->n_run == t->cap_run) {
		uint32_t cap = t->cap_run ? t->cap_run * 2 : 64;
		uint32_t *run = realloc(t->run, cap * sizeof(*run));
		if (!run)
			return -ENOMEM;
		t->run = run;
		t->cap_run = cap;
	}
	t->run[t->n_run++] = insn->pub.id;
	return 0;
}

static void report_backtrace(session *s, thread *t, frame *f)
{
	if (f->n_backtrace && s->h->backtrace)
		s->h->backtrace(s->h->ctx, t->id, f->call.id, f->backtrace, f->n_backtrace);
	free(f->backtrace);
	f->backtrace = NULL;
	f->n_backtrace = 0;
}

void rec_backtrace(session *s, thread *t, const uint64_t *pcs, size_t n)
{
	frame *f = rec_top(t);
	if (!f || !n)
		return;
	free(f->backtrace);
	f->backtrace = malloc(n * sizeof(*pcs));
	if (!f->backtrace)
		return;
	memcpy(f->backtrace, pcs, n * sizeof(*pcs));
	f->n_backtrace = (uint32_t)n;
	if (!t->entry_pending)
		report_backtrace(s, t, f);
}

/* A recorded call gets its id and entry_seq when its first instruction is
 * reported, so that ids follow entry order across threads. */
static void report_entry(session *s, thread *t)
{
	frame *f = rec_top(t);
	f->call.id = ++s->next_call_id;
	f->call.entry_seq = s->seq;
	t->entry_pending = false;
	if (s->h->call_enter)
		s->h->call_enter(s->h->ctx, &f->call);
	report_backtrace(s, t, f);
}

void rec_flush(session *s, thread *t)
{
	if (!t->n_run)
		return;
	if (t->entry_pending)
		report_entry(s, t);
	uint32_t id = blk_intern(s, t->run, t->n_run);
	frame *f = rec_top(t);
	if (id && s->h->exec) {
		nt_block b = { .id = id, .count = t->n_run, .insn_ids = t->run };
		s->h->exec(s->h->ctx, t->id, f->call.id, &b, s->seq);
	}
	s->seq += t->n_run;
	f->own_insns += t->n_run;
	t->n_run = 0;
}

void rec_settle(session *s, thread *t)
{
	rec_flush(s, t);
	if (t->entry_pending)
		report_entry(s, t);
}

/* Saturating a + b for depth limits (UINT32_MAX means unlimited). */
static uint32_t add_depth(uint32_t a, uint32_t b)
{
	return b > UINT32_MAX - a ? UINT32_MAX : a + b;
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Pushes a frame. scope_depth applies to NT_CALL_SCOPE frames: they are
 * always recorded, and calls up to scope_depth below them. */
static bool push(session *s, thread *t, nt_call_kind kind, uint64_t call_site, uint64_t target,
		 uint64_t return_addr, uint64_t entry_sp, int32_t scope, uint32_t scope_depth)
{
	rec_settle(s, t);
	if (t->n_frames == t->cap_frames) {
		uint32_t cap = t->cap_frames ? t->cap_frames * 2 : 64;
		frame *frames = realloc(t->frames, cap * sizeof(*frames));
		if (!frames) {
			session_fail(s, "out of memory for the call stack");
			return false;
		}
		t->frames = frames;
		t->cap_frames = cap;
	}
	frame *parent = rec_top(t);
	frame *f = &t->frames[t->n_frames++];
	memset(f, 0, sizeof(*f));
	f->scope = scope;
	uint32_t depth = parent ? parent->call.depth + 1 : 0;
	bool recorded;
	if (kind == NT_CALL_SCOPE) {
		recorded = true;
		f->limit = add_depth(depth, scope_depth);
	} else if (!parent) {
		recorded = true;
		f->limit = s->opts.max_depth;
	} else {
		recorded = parent->call.recorded && depth <= parent->limit;
		f->limit = parent->limit;
	}
	f->call = (nt_call){
		.thread_id = t->id,
		.parent_id = parent ? parent->call.id : 0,
		.depth = depth,
		.kind = kind,
		.addr = target,
		.call_site = call_site,
		.return_addr = return_addr,
		.entry_sp = entry_sp,
		.entry_seq = s->seq,
		.entry_ns = monotonic_ns(),
		.recorded = recorded,
	};
	if (recorded) {
		t->entry_pending = true;
	} else {
		f->call.id = ++s->next_call_id;
		if (s->h->call_enter)
			s->h->call_enter(s->h->ctx, &f->call);
	}
	return recorded;
}

bool rec_call(session *s, thread *t, nt_call_kind kind, uint64_t call_site,
	      uint64_t target, uint64_t return_addr, uint64_t entry_sp)
{
	return push(s, t, kind, call_site, target, return_addr, entry_sp, -1, 0);
}

void rec_enter_scope(session *s, thread *t, uint64_t call_site, uint64_t target,
		     uint64_t return_addr, uint64_t entry_sp, int32_t scope, uint32_t depth)
{
	push(s, t, NT_CALL_SCOPE, call_site, target, return_addr, entry_sp, scope, depth);
}

bool rec_would_record(session *s, const thread *t)
{
	const frame *parent = t->n_frames ? &t->frames[t->n_frames - 1] : NULL;
	return !parent || (parent->call.recorded && parent->call.depth + 1 <= parent->limit);
}

bool rec_in_scope(const thread *t, int32_t scope)
{
	for (uint32_t i = 0; i < t->n_frames; i++)
		if (t->frames[i].scope == scope)
			return true;
	return false;
}

static void pop(session *s, thread *t, nt_return_kind kind)
{
	frame *f = rec_top(t);
	if (t->entry_pending)
		report_entry(s, t);
	if (s->h->call_return)
		s->h->call_return(s->h->ctx, &f->call, kind, s->seq, f->own_insns);
	free(f->backtrace);
	t->n_frames--;
}

void rec_unwind(session *s, thread *t, uint64_t rsp, bool by_ret)
{
	bool first = true;
	while (t->n_frames && rec_top(t)->call.kind != NT_CALL_ROOT &&
	       rec_top(t)->call.entry_sp < rsp) {
		rec_flush(s, t);
		pop(s, t, by_ret && first ? NT_RETURN_RET : NT_RETURN_UNWIND);
		first = false;
	}
}

void rec_return_top(session *s, thread *t)
{
	rec_flush(s, t);
	if (t->n_frames && rec_top(t)->call.kind != NT_CALL_ROOT)
		pop(s, t, NT_RETURN_RET);
}

void rec_thread_detach(session *s, thread *t)
{
	rec_flush(s, t);
	while (t->n_frames)
		pop(s, t, NT_RETURN_DETACH);
}

void rec_thread_end(session *s, thread *t)
{
	rec_flush(s, t);
	while (t->n_frames)
		pop(s, t, NT_RETURN_EXIT);
}
