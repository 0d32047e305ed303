/* engine_block: the fast engine. A traced thread is let go over a whole
 * straight-line run: the run is decoded from rip to the next control
 * transfer, an int3 is placed on that last instruction, the thread
 * continues, and when it stops there the transfer is emulated from the
 * registers (emulate.c) instead of being executed. Syscalls end a run too;
 * threads run under PTRACE_SYSCALL, so a syscall stops them without any
 * int3 and is executed for real. Only what cannot be emulated (int, ud2,
 * undecodable instructions of unknown length, ...) is single-stepped.
 *
 * The instructions recorded are exactly those the step engine records, in
 * the same order, split into the same runs; tests/ checks it. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocs.h"
#include "emulate.h"
#include "engine_common.h"
#include "loader.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "session.h"
#include "syscalls.h"

enum {
	MAX_RUN = 4096,      /* a longer straight line ends in a forced stop */
	MAX_EMULATED = 64,   /* transfers emulated in a row before letting go */
};

/* A decoded straight-line run, in execution order (through direct jmps):
 * insns[n-1] is a control transfer unless the run was capped (length limit
 * or unreadable code after it). Addresses in it are distinct. */
typedef struct sblock {
	uint64_t addr;
	uint32_t n;
	bool capped;
	dec_insn *insns[];
} sblock;

struct sblock_cache {
	sblock **slots;
	size_t cap, used;
};

static size_t sb_hash(uint64_t addr, size_t cap)
{
	return (size_t)((addr * 0x9E3779B97F4A7C15ULL) >> 21) & (cap - 1);
}

static struct sblock_cache *cache_of(process *p)
{
	if (!p->sblocks) {
		p->sblocks = calloc(1, sizeof(*p->sblocks));
		if (!p->sblocks)
			return NULL;
		p->sblocks->cap = 1 << 14;
		p->sblocks->slots = calloc(p->sblocks->cap, sizeof(sblock *));
		if (!p->sblocks->slots) {
			free(p->sblocks);
			p->sblocks = NULL;
		}
	}
	return p->sblocks;
}

static void cache_insert(struct sblock_cache *c, sblock *b)
{
	size_t i = sb_hash(b->addr, c->cap);
	while (c->slots[i])
		i = (i + 1) & (c->cap - 1);
	c->slots[i] = b;
	c->used++;
}

static int cache_grow(struct sblock_cache *c)
{
	sblock **old = c->slots;
	size_t old_cap = c->cap;
	c->slots = calloc(old_cap * 2, sizeof(*c->slots));
	if (!c->slots) {
		c->slots = old;
		return -ENOMEM;
	}
	c->cap = old_cap * 2;
	c->used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			cache_insert(c, old[i]);
	free(old);
	return 0;
}

static void block_invalidate(process *p, uint64_t lo, uint64_t hi)
{
	struct sblock_cache *c = p->sblocks;
	if (!c)
		return;
	sblock **old = c->slots;
	size_t cap = c->cap;
	bool all = lo == 0 && hi == UINT64_MAX;
	c->slots = all ? NULL : calloc(cap, sizeof(*c->slots));
	c->used = 0;
	for (size_t i = 0; i < cap; i++) {
		sblock *b = old[i];
		if (!b)
			continue;
		if (!all && c->slots && !(b->addr >= lo && b->addr < hi)) {
			cache_insert(c, b);
			continue;
		}
		free(b);
	}
	free(old);
	if (!c->slots) {
		free(c);
		p->sblocks = NULL;
	}
}

static sblock *cache_find(struct sblock_cache *c, uint64_t addr)
{
	for (size_t i = sb_hash(addr, c->cap);; i = (i + 1) & (c->cap - 1)) {
		sblock *b = c->slots[i];
		if (!b || b->addr == addr)
			return b;
	}
}

static bool contains(dec_insn *const *insns, uint32_t n, uint64_t addr)
{
	for (uint32_t i = 0; i < n; i++)
		if (insns[i]->pub.addr == addr)
			return true;
	return false;
}

/* The run starting at addr, decoded on first use: up to the next control
 * transfer, following direct jmps (each address at most once); NULL if no
 * instruction can be read there. */
static sblock *block_at(process *p, uint64_t addr)
{
	struct sblock_cache *c = cache_of(p);
	if (!c)
		return NULL;
	sblock *b = cache_find(c, addr);
	if (b)
		return b;
	dec_insn *tmp[MAX_RUN];
	uint32_t n = 0;
	bool capped = true;
	for (uint64_t a = addr; n < MAX_RUN;) {
		dec_insn *in = session_decode(p, a);
		if (!in || in->generated)
			break;
		tmp[n++] = in;
		if (in->flow == DEC_FLOW_JMP && in->op_kind == DEC_OP_IMM &&
		    !contains(tmp, n, in->target)) {
			/* A direct jmp always goes to the same place: the CPU may
			 * take it, and the run goes on at its target. */
			a = in->target;
			continue;
		}
		if (in->flow != DEC_FLOW_NONE) {
			capped = false;
			break;
		}
		a += in->pub.size;
	}
	if (!n)
		return NULL;
	if ((c->used + 1) * 2 > c->cap && cache_grow(c) < 0)
		return NULL;
	b = malloc(sizeof(*b) + n * sizeof(b->insns[0]));
	if (!b)
		return NULL;
	b->addr = addr;
	b->n = n;
	b->capped = capped;
	memcpy(b->insns, tmp, n * sizeof(tmp[0]));
	cache_insert(c, b);
	return b;
}

/* Records the first k instructions of b as executed. */
static int record_prefix(session *s, thread *t, const sblock *b, uint32_t k)
{
	for (uint32_t i = 0; i < k; i++) {
		int r = rec_insn(s, t, b->insns[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Index of the instruction at addr in b, or -1. */
static int index_in(const sblock *b, uint64_t addr)
{
	for (uint32_t i = 0; i < b->n; i++)
		if (b->insns[i]->pub.addr == addr)
			return (int)i;
	return -1;
}

static int arm(session *s, process *p, dec_insn *in)
{
	if (in->armed)
		return 0;
	int r = bp_insert(p->bps, in->pub.addr);
	if (r < 0) {
		session_fail(s, "cannot set a breakpoint at 0x%" PRIx64 ": %s", in->pub.addr,
			     strerror(-r));
		return r;
	}
	in->armed = true;
	return 0;
}

/* Single-steps the instruction at rip (lifting our int3 there, if any). */
static int step_one(session *s, thread *t, dec_insn *in, int sig)
{
	t->stepping = in;
	if (in->flow == DEC_FLOW_SYSCALL && t->mode == TM_TRACED)
		sys_enter(s, t, t->regs.rax);
	uint64_t addr = in->pub.addr;
	if (bp_is_set(t->proc->bps, addr) && bp_lift(t->proc->bps, addr) == 0)
		t->reinsert_bp = addr;
	int r = engine_flush_regs(t);
	return r < 0 ? r : pt_singlestep(t->tid, sig);
}

/* A thread running free hit one of our int3s that is not its return trap:
 * emulate the transfer there when possible, so no int3 is lifted (which
 * could let another thread run past it). */
static int free_resume(session *s, thread *t, int sig)
{
	for (uint32_t i = 0; t->at_bp && i < MAX_EMULATED; i++) {
		if (t->regs.rip == t->proc->r_brk)
			ldr_on_brk(s, t);
		if (s->opts.trace_alloc)
			alloc_check(s, t);
		dec_insn *in = session_decode(t->proc, t->regs.rip);
		if (!in || !emu_can(in) || sig)
			break;
		struct user_regs_struct regs = t->regs;
		if (emu_apply(t->tid, in, &regs) < 0)
			break;
		t->regs = regs;
		t->regs_dirty = true;
		t->at_bp = bp_is_set(t->proc->bps, regs.rip);
		if (engine_free_check_return(s, t))
			return 1; /* traced again: the caller goes on */
	}
	return engine_free_resume(s, t, sig);
}

static int block_resume(session *s, thread *t)
{
	int sig = t->pending_signal;
	t->pending_signal = 0;
	process *p = t->proc;
	if (t->mode == TM_FREE) {
		int r = free_resume(s, t, sig);
		if (r <= 0)
			return r;
	}
	if (t->in_syscall) {
		int r = engine_flush_regs(t);
		return r < 0 ? r : pt_syscall(t->tid, sig);
	}
	if (t->stepping || t->entering_handler) {
		/* An instruction still to step (a signal stopped it before it
		 * ran), or a handler to stop at the entry of. */
		if (t->stepping)
			return step_one(s, t, t->stepping, sig);
		int r = engine_flush_regs(t);
		return r < 0 ? r : pt_singlestep(t->tid, sig);
	}
	for (;;) {
		uint64_t rip = t->regs.rip;
		if (rip == p->r_brk)
			ldr_on_brk(s, t);
		if (s->opts.trace_alloc)
			alloc_check(s, t);
		dec_insn *first = session_decode(p, rip);
		if (first && first->generated) {
			/* Code made at run time may change under us: no int3 in it,
			 * no cached run; step it, checking its bytes each time. */
			return step_one(s, t, first, sig);
		}
		sblock *b = first ? block_at(p, rip) : NULL;
		if (!b) {
			session_fail(s, "cannot read the code at 0x%" PRIx64 " of thread %d", rip,
				     t->tid);
			return -EFAULT;
		}
		dec_insn *last = b->insns[b->n - 1];
		if (b->n == 1 && !b->capped) {
			/* At the transfer itself: emulate it right here. */
			if (emu_can(last) && !sig && t->emulated < MAX_EMULATED) {
				struct user_regs_struct regs = t->regs;
				if (emu_apply(t->tid, last, &regs) == 0) {
					t->emulated++;
					t->regs = regs;
					t->regs_dirty = true;
					int r = rec_insn(s, t, last);
					if (r == 0)
						r = engine_transfer(s, t, last);
					if (r < 0)
						return r;
					if (t->mode == TM_FREE)
						return engine_free_resume(s, t, 0);
					continue;
				}
			}
			if (last->flow == DEC_FLOW_SYSCALL)
				goto let_go; /* PTRACE_SYSCALL stops it at the entry */
			if (!emu_can(last) || t->emulated < MAX_EMULATED || sig)
				return step_one(s, t, last, sig);
			/* Many transfers in a row (a tight loop): let the CPU
			 * trap on the armed int3, so other threads and signals
			 * get their turn. */
		} else if (bp_is_set(p->bps, rip) && !(b->n == 1 && last->armed)) {
			/* Another user's int3 where this run starts (a scope's or a
			 * return trap): get past it without lifting it if we can. */
			if (!sig && engine_pass_bp(s, t, b->insns[0])) {
				if (t->mode == TM_FREE)
					return engine_free_resume(s, t, 0);
				continue;
			}
			return step_one(s, t, b->insns[0], sig);
		}
	let_go:
		t->emulated = 0;
		if (last->flow != DEC_FLOW_SYSCALL || b->capped) {
			int r = arm(s, p, last);
			if (r < 0)
				return r;
		}
		t->cur = b;
		int r = engine_flush_regs(t);
		return r < 0 ? r : pt_syscall(t->tid, sig);
	}
}

/* The thread stopped at an int3 at addr while running t->cur. */
static int at_int3(session *s, thread *t, uint64_t addr)
{
	sblock *b = t->cur;
	t->cur = NULL;
	t->restart_addr = 0;
	int k = b ? index_in(b, addr) : -1;
	if (k < 0) {
		if (!bp_is_set(t->proc->bps, addr)) {
			t->pending_signal = SIGTRAP; /* the program's own int3 */
			return 0;
		}
		session_fail(s, "lost track of thread %d at 0x%" PRIx64, t->tid, addr);
		return -EPROTO;
	}
	int r = record_prefix(s, t, b, (uint32_t)k);
	if (r < 0)
		return r;
	t->regs.rip = addr;
	t->regs_dirty = true;
	if (b->capped && (uint32_t)k == b->n - 1)
		t->stepping = b->insns[k]; /* a forced stop: step the last one */
	return 0;
}

/* Syscall entry: the run ended at its syscall, which now executes. At the
 * exit stop it is recorded, as a completed single step would be. */
static int at_syscall(session *s, thread *t)
{
	if (t->in_syscall) {
		t->in_syscall = false;
		dec_insn *in = t->stepping;
		if (!in)
			return 0; /* after an exec, which recorded it already */
		t->stepping = NULL;
		int r = rec_insn(s, t, in);
		if (r == 0)
			r = engine_transfer(s, t, in);
		engine_note_restart(t, in, (int64_t)t->regs.rax);
		sys_finish(s, t, true, (int64_t)t->regs.rax, true);
		return r;
	}
	sblock *b = t->cur;
	t->cur = NULL;
	uint64_t addr = t->regs.rip - 2;
	int k = b ? index_in(b, addr) : -1;
	dec_insn *restarted = engine_restarted_syscall(s, t);
	if (k < 0 && restarted && restarted->pub.addr == addr) {
		/* The kernel restarted the interrupted syscall: it runs again,
		 * before anything of the run we let the thread go on. */
		t->in_syscall = true;
		t->stepping = restarted;
		sys_enter(s, t, t->regs.orig_rax);
		return 0;
	}
	if (k < 0 || b->insns[k]->flow != DEC_FLOW_SYSCALL) {
		session_fail(s, "lost track of thread %d at a syscall at 0x%" PRIx64, t->tid, addr);
		return -EPROTO;
	}
	t->in_syscall = true;
	t->stepping = b->insns[k];
	sys_enter(s, t, t->regs.orig_rax);
	return record_prefix(s, t, b, (uint32_t)k);
}

static int block_stopped(session *s, thread *t, int sig, const siginfo_t *si)
{
	if (t->mode == TM_FREE)
		return engine_free_stopped(s, t, sig, si);
	int r = thread_fetch_regs(t);
	if (r < 0)
		return r;
	t->regs_dirty = false;
	if (sig == (SIGTRAP | 0x80))
		return at_syscall(s, t);
	if (sig == SIGTRAP && t->exec_step_trap) {
		/* execve was single-stepped (step_one): its trap comes in the new
		 * image, before the first instruction ran. */
		t->exec_step_trap = false;
		t->stepping = NULL;
		t->cur = NULL;
		return 0;
	}
	if (sig == SIGTRAP && t->entering_handler)
		return engine_enter_handler(s, t);
	if (sig == SIGTRAP && t->cur && !t->stepping) {
		/* The common stop: the int3 on the run's last instruction. */
		const sblock *b = t->cur;
		if (t->regs.rip - 1 == b->insns[b->n - 1]->pub.addr)
			return at_int3(s, t, t->regs.rip - 1);
	}
	siginfo_t buf;
	si = engine_siginfo(t, si, &buf);
	if (sig == SIGTRAP && t->stepping && si->si_code != SI_USER && si->si_code != SI_TKILL) {
		bool program_int3 = si->si_code == SI_KERNEL;
		r = engine_executed(s, t, t->stepping);
		if (program_int3)
			t->pending_signal = SIGTRAP;
		return r;
	}
	if (sig == SIGTRAP && si->si_code == SI_KERNEL)
		return at_int3(s, t, t->regs.rip - 1);
	/* A signal stopped the thread before the instruction at rip ran. */
	if (t->cur) {
		sblock *b = t->cur;
		t->cur = NULL;
		int k = index_in(b, t->regs.rip);
		if (k < 0) {
			session_fail(s, "lost track of thread %d at 0x%" PRIx64 " (signal %d)",
				     t->tid, (uint64_t)t->regs.rip, sig);
			return -EPROTO;
		}
		r = record_prefix(s, t, b, (uint32_t)k);
		if (r < 0)
			return r;
	}
	return engine_signal_arrived(s, t, sig);
}

const engine_ops engine_block = {
	.name = "block",
	.stopped = block_stopped,
	.resume = block_resume,
	.invalidate = block_invalidate,
};
