#define _GNU_SOURCE
#include "allocs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "unwind.h"

/* ---- the allocators ---- */

enum group { G_LIBC, G_CXX };

/* Which argument (0 = rdi, 1 = rsi, 2 = rdx; -1 none) holds what. */
struct allocator {
	const char *symbol;
	const char *kind;
	enum group group;
	bool required;   /* warn when its group's binary lacks it */
	int8_t ptr;      /* block passed in */
	int8_t size;     /* bytes */
	int8_t count;    /* multiplies size (calloc, reallocarray) */
	int8_t align;
	int8_t memptr;   /* posix_memalign: where the result is stored */
	bool returns_ptr;
};

static const struct allocator allocators[] = {
	{ "malloc", "malloc", G_LIBC, true, -1, 0, -1, -1, -1, true },
	{ "calloc", "calloc", G_LIBC, true, -1, 1, 0, -1, -1, true },
	{ "realloc", "realloc", G_LIBC, true, 0, 1, -1, -1, -1, true },
	{ "reallocarray", "reallocarray", G_LIBC, true, 0, 2, 1, -1, -1, true },
	{ "free", "free", G_LIBC, true, 0, -1, -1, -1, -1, false },
	{ "aligned_alloc", "aligned_alloc", G_LIBC, true, -1, 1, -1, 0, -1, true },
	{ "memalign", "aligned_alloc", G_LIBC, false, -1, 1, -1, 0, -1, true },
	{ "posix_memalign", "posix_memalign", G_LIBC, true, -1, 2, -1, 1, 0, false },
	{ "_Znwm", "new", G_CXX, true, -1, 0, -1, -1, -1, true },
	{ "_Znam", "new[]", G_CXX, true, -1, 0, -1, -1, -1, true },
	{ "_ZnwmRKSt9nothrow_t", "new", G_CXX, false, -1, 0, -1, -1, -1, true },
	{ "_ZnamRKSt9nothrow_t", "new[]", G_CXX, false, -1, 0, -1, -1, -1, true },
	{ "_ZnwmSt11align_val_t", "new", G_CXX, false, -1, 0, -1, 1, -1, true },
	{ "_ZnamSt11align_val_t", "new[]", G_CXX, false, -1, 0, -1, 1, -1, true },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", "new", G_CXX, false, -1, 0, -1, 1, -1, true },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", "new[]", G_CXX, false, -1, 0, -1, 1, -1, true },
	{ "_ZdlPv", "delete", G_CXX, true, 0, -1, -1, -1, -1, false },
	{ "_ZdaPv", "delete[]", G_CXX, true, 0, -1, -1, -1, -1, false },
	{ "_ZdlPvm", "delete", G_CXX, false, 0, 1, -1, -1, -1, false },
	{ "_ZdaPvm", "delete[]", G_CXX, false, 0, 1, -1, -1, -1, false },
	{ "_ZdlPvRKSt9nothrow_t", "delete", G_CXX, false, 0, -1, -1, -1, -1, false },
	{ "_ZdaPvRKSt9nothrow_t", "delete[]", G_CXX, false, 0, -1, -1, -1, -1, false },
	{ "_ZdlPvSt11align_val_t", "delete", G_CXX, false, 0, -1, -1, 1, -1, false },
	{ "_ZdaPvSt11align_val_t", "delete[]", G_CXX, false, 0, -1, -1, 1, -1, false },
	{ "_ZdlPvmSt11align_val_t", "delete", G_CXX, false, 0, 1, -1, 2, -1, false },
	{ "_ZdaPvmSt11align_val_t", "delete[]", G_CXX, false, 0, 1, -1, 2, -1, false },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", "delete", G_CXX, false, 0, -1, -1, 1, -1, false },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", "delete[]", G_CXX, false, 0, -1, -1, 1, -1, false },
};

enum { N_ALLOCATORS = sizeof(allocators) / sizeof(allocators[0]) };

/* ---- per-process state ---- */

struct entry {
	uint64_t addr;
	uint8_t which; /* index in allocators[] */
};

/* Open addressing with linear probing; addr 0 = empty slot. */
struct u64map {
	struct u64slot { uint64_t key, val; } *slots;
	size_t cap, used;
};

struct stack {
	uint64_t hash;
	uint32_t id, n;
	uint64_t pcs[];
};

struct alloc_state {
	struct entry *entries;
	uint32_t n_entries;
	struct u64map live;    /* block address -> allocation id */
	struct stack **stacks; /* open addressing by hash */
	size_t stacks_cap, stacks_used;
};

/* A call under way on a thread. */
struct alloc_pending {
	nt_alloc a;
	uint8_t which;
	uint64_t entry_addr, entry_sp, ret_addr;
	uint64_t memptr;     /* posix_memalign's result pointer */
	uint64_t old_id;     /* realloc: the allocation of the block passed in */
};

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
}

static int map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	if ((m->used + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct u64slot *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->slots[i].key)
				continue;
			size_t j = slot_of(m->slots[i].key, cap);
			while (slots[j].key)
				j = (j + 1) & (cap - 1);
			slots[j] = m->slots[i];
		}
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	size_t i = slot_of(key, m->cap);
	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].key)
		m->used++;
	m->slots[i] = (struct u64slot){ key, val };
	return 0;
}

static uint64_t map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap || !key)
		return 0;
	for (size_t i = slot_of(key, m->cap); m->slots[i].key; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == key)
			return m->slots[i].val;
	return 0;
}

/* Removes key (backward-shift deletion keeps probe chains whole). */
static void map_del(struct u64map *m, uint64_t key)
{
	if (!m->cap || !key)
		return;
	size_t mask = m->cap - 1, i = slot_of(key, m->cap);
	while (m->slots[i].key != key) {
		if (!m->slots[i].key)
			return;
		i = (i + 1) & mask;
	}
	for (size_t j = i;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].key)
			break;
		size_t home = slot_of(m->slots[j].key, m->cap);
		/* The entry at j may fill the hole at i unless its home lies
		 * cyclically in (i, j]. */
		bool home_between = i < j ? (home > i && home <= j) : (home > i || home <= j);
		if (!home_between) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = 0;
	m->used--;
}

static struct alloc_state *state_of(process *p)
{
	if (!p->allocs)
		p->allocs = calloc(1, sizeof(*p->allocs));
	return p->allocs;
}

/* ---- arming ---- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

struct arm_ctx {
	session *s;
	process *p;
	const binary *b;
	bool found[N_ALLOCATORS];
};

static int arm_one(void *arg, const char *name, uint64_t value)
{
	struct arm_ctx *c = arg;
	for (uint8_t k = 0; k < N_ALLOCATORS; k++) {
		if (strcmp(name, allocators[k].symbol) || c->found[k])
			continue;
		c->found[k] = true;
		struct alloc_state *st = state_of(c->p);
		uint64_t addr = c->b->base + value;
		if (!st)
			return 1;
		for (uint32_t i = 0; i < st->n_entries; i++)
			if (st->entries[i].addr == addr)
				return 0; /* an alias (memalign = aligned_alloc) */
		struct entry *e = realloc(st->entries, (st->n_entries + 1) * sizeof(*e));
		if (!e)
			return 1;
		st->entries = e;
		int r = bp_insert(c->p->bps, addr);
		if (r < 0) {
			session_fail(c->s, "cannot set a breakpoint on %s at 0x%" PRIx64 ": %s", name,
				     addr, strerror(-r));
			return 1;
		}
		e[st->n_entries++] = (struct entry){ addr, k };
		return 0;
	}
	return 0;
}

static void warn(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(session *s, const char *fmt, ...)
{
	if (!s->h->warning)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->h->warning(s->h->ctx, msg);
}

void alloc_binary_loaded(session *s, thread *t, const binary *b)
{
	process *p = t->proc;
	if (!s->opts.trace_alloc || p->silent || b->kind == NT_BINARY_VDSO ||
	    b->kind == NT_BINARY_INTERP)
		return;
	const char *name = base_name(b->path);
	bool libc = !strncmp(name, "libc.so", 7);
	bool cxx = !strncmp(name, "libstdc++.so", 12);
	if (!libc && !cxx && b->kind != NT_BINARY_EXE)
		return;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "/proc/%d/root%s", p->pid, b->path);
	struct arm_ctx c = { .s = s, .p = p, .b = b };
	if (elf_each_function(path, arm_one, &c) < 0)
		return;
	/* Which groups this binary provides: libc's and libstdc++'s by name,
	 * an executable's (static, or with its own allocator) by what it
	 * defines. */
	bool has[2] = { libc, cxx };
	for (uint8_t k = 0; k < N_ALLOCATORS; k++)
		if (c.found[k])
			has[allocators[k].group] = true;
	for (uint8_t k = 0; k < N_ALLOCATORS; k++)
		if (has[allocators[k].group] && allocators[k].required && !c.found[k])
			warn(s, "--trace-alloc: %s has no %s: its calls are not recorded", b->path,
			     allocators[k].symbol);
}

void alloc_forget_range(process *p, uint64_t lo, uint64_t hi)
{
	struct alloc_state *st = p->allocs;
	if (!st)
		return;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < st->n_entries; i++)
		if (st->entries[i].addr < lo || st->entries[i].addr >= hi)
			st->entries[kept++] = st->entries[i];
	st->n_entries = kept;
}

static int entry_at(const struct alloc_state *st, uint64_t addr)
{
	for (uint32_t i = 0; i < st->n_entries; i++)
		if (st->entries[i].addr == addr)
			return st->entries[i].which;
	return -1;
}

/* ---- call stacks ---- */

static uint64_t stack_hash(const uint64_t *pcs, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ n;
	for (size_t i = 0; i < n; i++)
		h = (h ^ pcs[i]) * 0x100000001b3ULL;
	return h | 1;
}

enum { MAX_STACKS = 1 << 20 }; /* distinct stacks remembered per process */

/* The id of the stack pcs[0..n) in t's process, reporting it when new. */
static uint32_t stack_id(session *s, thread *t, const uint64_t *pcs, size_t n)
{
	struct alloc_state *st = state_of(t->proc);
	if (!st || !n)
		return 0;
	uint64_t h = stack_hash(pcs, n);
	if ((st->stacks_used + 1) * 2 > st->stacks_cap && st->stacks_cap < MAX_STACKS * 2) {
		size_t cap = st->stacks_cap ? st->stacks_cap * 2 : 1024;
		struct stack **slots = calloc(cap, sizeof(*slots));
		if (slots) {
			for (size_t i = 0; i < st->stacks_cap; i++) {
				struct stack *k = st->stacks[i];
				if (!k)
					continue;
				size_t j = slot_of(k->hash, cap);
				while (slots[j])
					j = (j + 1) & (cap - 1);
				slots[j] = k;
			}
			free(st->stacks);
			st->stacks = slots;
			st->stacks_cap = cap;
		}
	}
	size_t i = 0;
	bool remember = st->stacks_cap && (st->stacks_used + 1) * 2 <= st->stacks_cap;
	if (st->stacks_cap) {
		for (i = slot_of(h, st->stacks_cap); st->stacks[i]; i = (i + 1) & (st->stacks_cap - 1)) {
			struct stack *k = st->stacks[i];
			if (k->hash == h && k->n == n && !memcmp(k->pcs, pcs, n * sizeof(*pcs)))
				return k->id;
		}
	}
	uint32_t id = ++s->next_stack_id;
	if (remember) {
		struct stack *k = malloc(sizeof(*k) + n * sizeof(*pcs));
		if (k) {
			*k = (struct stack){ .hash = h, .id = id, .n = (uint32_t)n };
			memcpy(k->pcs, pcs, n * sizeof(*pcs));
			st->stacks[i] = k;
			st->stacks_used++;
		}
	}
	if (s->h->stack_new)
		s->h->stack_new(s->h->ctx, t->id, id, pcs, n);
	return id;
}

/* t's call stack at an allocator's entry: from the shadow stack when the
 * thread was traced from its first instruction, else unwound. */
static uint32_t take_stack(session *s, thread *t)
{
	size_t max = s->opts.backtrace_depth < 256 ? s->opts.backtrace_depth : 256;
	if (!max)
		return 0;
	uint64_t pcs[256];
	size_t n = 0;
	if (t->mode == TM_TRACED && t->n_frames && t->frames[0].call.kind == NT_CALL_ROOT) {
		pcs[n++] = t->regs.rip;
		for (uint32_t i = t->n_frames; i-- > 0 && n < max && t->frames[i].call.return_addr;)
			pcs[n++] = t->frames[i].call.return_addr;
	} else {
		if (t->regs_dirty && pt_setregs(t->tid, &t->regs) == 0)
			t->regs_dirty = false;
		n = unwind_thread(t, pcs, max);
	}
	return stack_id(s, t, pcs, n);
}

/* ---- arrivals ---- */

static uint64_t arg(const struct user_regs_struct *r, int k)
{
	return k == 0 ? r->rdi : k == 1 ? r->rsi : r->rdx;
}

static void report(session *s, struct alloc_pending *pa)
{
	if (s->h->alloc)
		s->h->alloc(s->h->ctx, &pa->a);
}

/* The allocator call pa of t returned with t->regs at its return address. */
static void returned(session *s, thread *t, struct alloc_pending *pa)
{
	const struct allocator *al = &allocators[pa->which];
	struct alloc_state *st = state_of(t->proc);
	nt_alloc *a = &pa->a;
	a->returned = true;
	if (al->returns_ptr)
		a->result = t->regs.rax;
	else if (al->memptr >= 0 && (uint32_t)t->regs.rax == 0)
		pt_read_exact(t->tid, pa->memptr, &a->result, sizeof(a->result));
	/* realloc: the old block is released unless it failed (NULL for a
	 * nonzero size); it may already be another allocation's, if another
	 * thread got it meanwhile. */
	if (pa->old_id && (a->result || !a->size)) {
		a->frees_id = pa->old_id;
		if (st && map_get(&st->live, a->ptr) == pa->old_id)
			map_del(&st->live, a->ptr);
	}
	if (a->result && st && map_put(&st->live, a->result, a->id) < 0)
		session_fail(s, "out of memory recording allocations");
	report(s, pa);
}

static void pop_pending(thread *t)
{
	struct alloc_pending *pa = &t->allocs[--t->n_allocs];
	if (!t->proc->exited)
		bp_remove(t->proc->bps, pa->ret_addr);
}

/* t arrived at the entry of allocator k. */
static void entered(session *s, thread *t, int k)
{
	const struct user_regs_struct *r = &t->regs;
	for (uint32_t i = 0; i < t->n_allocs; i++) {
		struct alloc_pending *pa = &t->allocs[i];
		if (pa->entry_addr == r->rip && pa->entry_sp == r->rsp)
			return; /* the same arrival, seen again */
	}
	if (t->n_allocs && r->rsp <= t->allocs[t->n_allocs - 1].entry_sp)
		return; /* inside another allocator, or tail-called by one
			 * (operator delete -> jmp free): part of that call */
	uint64_t ret = 0;
	if (pt_read_exact(t->tid, r->rsp, &ret, sizeof(ret)) < 0)
		return;
	if (t->n_allocs == t->cap_allocs) {
		uint32_t cap = t->cap_allocs ? t->cap_allocs * 2 : 4;
		struct alloc_pending *pa = realloc(t->allocs, cap * sizeof(*pa));
		if (!pa) {
			session_fail(s, "out of memory recording allocations");
			return;
		}
		t->allocs = pa;
		t->cap_allocs = cap;
	}
	int err = bp_insert(t->proc->bps, ret);
	if (err < 0) {
		session_fail(s, "cannot set a breakpoint at 0x%" PRIx64 ": %s", ret, strerror(-err));
		return;
	}
	const struct allocator *al = &allocators[k];
	struct alloc_pending *pa = &t->allocs[t->n_allocs++];
	*pa = (struct alloc_pending){ .which = (uint8_t)k, .entry_addr = r->rip,
				      .entry_sp = r->rsp, .ret_addr = ret };
	nt_alloc *a = &pa->a;
	a->id = ++s->next_alloc_id;
	a->thread_id = t->id;
	a->seq = t->mode == TM_TRACED ? s->seq + t->n_run : NT_NO_SEQ;
	a->syscalls_before = s->next_syscall_id;
	a->kind = al->kind;
	a->symbol = al->symbol;
	/* The caller: below the allocator's own call frame (entered by a call
	 * whose return address is at rsp, maybe through a PLT jmp). */
	frame *top = rec_top(t);
	if (top && top->call.entry_sp == r->rsp && top->call.kind == NT_CALL_CALL)
		a->call_id = top->call.parent_id;
	else
		a->call_id = top ? top->call.id : 0;
	if (al->size >= 0) {
		a->has_size = true;
		a->size = arg(r, al->size);
		if (al->count >= 0)
			a->size *= arg(r, al->count);
	}
	if (al->align >= 0)
		a->align = arg(r, al->align);
	if (al->memptr >= 0)
		pa->memptr = arg(r, al->memptr);
	if (al->ptr >= 0) {
		a->has_ptr = true;
		a->ptr = arg(r, al->ptr);
		struct alloc_state *st = state_of(t->proc);
		uint64_t old = st ? map_get(&st->live, a->ptr) : 0;
		if (al->returns_ptr) {
			pa->old_id = old; /* realloc: decided at its return */
		} else if (old) {
			/* free, delete: the block is released now (another thread
			 * may get it back before this call returns). */
			a->frees_id = old;
			map_del(&st->live, a->ptr);
		}
	}
	a->stack_id = take_stack(s, t);
}

void alloc_check(session *s, thread *t)
{
	const struct user_regs_struct *r = &t->regs;
	while (t->n_allocs) {
		struct alloc_pending *pa = &t->allocs[t->n_allocs - 1];
		if (r->rip == pa->ret_addr && r->rsp > pa->entry_sp) {
			returned(s, t, pa);
			pop_pending(t);
			continue;
		}
		if (r->rsp <= pa->entry_sp + 8)
			break;
		/* The stack is above the call: it was left without returning
		 * (longjmp, an exception out of operator new). */
		report(s, pa);
		pop_pending(t);
	}
	struct alloc_state *st = t->proc->allocs;
	if (!st || !st->n_entries || t->owner->silent)
		return;
	int k = entry_at(st, r->rip);
	if (k >= 0)
		entered(s, t, k);
}

void alloc_thread_end(session *s, thread *t)
{
	while (t->n_allocs) {
		report(s, &t->allocs[t->n_allocs - 1]);
		pop_pending(t);
	}
}

int alloc_fork(process *parent, process *child)
{
	struct alloc_state *ps = parent->allocs;
	if (!ps || !ps->live.used)
		return 0;
	struct alloc_state *cs = state_of(child);
	if (!cs)
		return -ENOMEM;
	for (size_t i = 0; i < ps->live.cap; i++)
		if (ps->live.slots[i].key &&
		    map_put(&cs->live, ps->live.slots[i].key, ps->live.slots[i].val) < 0)
			return -ENOMEM;
	return 0;
}

void alloc_release(process *p)
{
	struct alloc_state *st = p->allocs;
	if (!st)
		return;
	for (size_t i = 0; i < st->stacks_cap; i++)
		free(st->stacks[i]);
	free(st->stacks);
	free(st->live.slots);
	free(st->entries);
	free(st);
	p->allocs = NULL;
}

void alloc_thread_release(thread *t)
{
	free(t->allocs);
	t->allocs = NULL;
	t->n_allocs = t->cap_allocs = 0;
}
