#define _GNU_SOURCE
#include "engine_common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocs.h"
#include "emulate.h"
#include "loader.h"
#include "nosco/procfs.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "scopes.h"
#include "syscalls.h"
#include "unwind.h"

int engine_flush_regs(thread *t)
{
	if (!t->regs_dirty)
		return 0;
	t->regs_dirty = false;
	return pt_setregs(t->tid, &t->regs);
}

/* A caught signal was delivered: the kernel built the handler frame and
 * stopped before the handler's first instruction. */
int engine_enter_handler(session *s, thread *t)
{
	t->entering_handler = false;
	t->restart_addr = 0; /* the handler runs first, whatever the syscall does */
	t->stepping = NULL;
	t->rep_continuing = false;
	rec_flush(s, t);
	uint64_t ret = 0;
	pt_read_exact(t->tid, t->regs.rsp, &ret, sizeof(ret));
	if (!rec_call(s, t, NT_CALL_SIGNAL, 0, t->regs.rip, ret, t->regs.rsp))
		return engine_run_free(s, t, ret, t->regs.rsp);
	return 0;
}

static int step_overran(session *s, thread *t, uint64_t next);

void engine_note_restart(thread *t, const dec_insn *in, int64_t ret)
{
	/* ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK */
	bool restart = ret == -512 || ret == -513 || ret == -514 || ret == -516;
	t->restart_addr = restart ? in->pub.addr : 0;
}

dec_insn *engine_restarted_syscall(session *s, thread *t)
{
	uint64_t addr = t->restart_addr;
	t->restart_addr = 0;
	if (!addr || (int64_t)t->regs.orig_rax < 0)
		return NULL;
	dec_insn *in = session_decode(t->proc, addr);
	return in && in->flow == DEC_FLOW_SYSCALL ? in : NULL;
}

int engine_executed(session *s, thread *t, dec_insn *in)
{
	t->stepping = NULL;
	const struct user_regs_struct *r = &t->regs;
	if (!in->pub.mnemonic && in->flow != DEC_FLOW_OTHER) {
		/* Undecodable: the step tells its size (or corrects our guess). */
		uint64_t len = r->rip - in->pub.addr;
		if (len >= 1 && len <= 15 && len != in->pub.size)
			dec_set_size(in, (uint8_t)len);
	}
	if (in->rep_string && r->rip == in->pub.addr) {
		t->rep_continuing = true; /* one more iteration: same execution */
		return 0;
	}
	t->rep_continuing = false;
	int err = rec_insn(s, t, in);
	if (err == 0)
		err = engine_transfer(s, t, in);
	t->restart_addr = 0;
	if (in->flow == DEC_FLOW_SYSCALL) {
		engine_note_restart(t, in, (int64_t)r->rax);
		sys_finish(s, t, true, (int64_t)r->rax, true);
	}
	if (err == 0 && in->step_overrun && r->rip != in->pub.addr + in->pub.size)
		err = step_overran(s, t, in->pub.addr + in->pub.size);
	return err;
}

/* The single step over an instruction a hypervisor emulates (cpuid) ended
 * after the instruction that follows it, which therefore ran as well:
 * record it too, its outcome being the registers we stopped with. */
static int step_overran(session *s, thread *t, uint64_t next)
{
	dec_insn *in = session_decode(t->proc, next);
	if (!in) {
		session_fail(s, "cannot read the code at 0x%" PRIx64 " of thread %d", next, t->tid);
		return -EFAULT;
	}
	if (in->flow == DEC_FLOW_SYSCALL)
		sys_enter(s, t, t->regs.orig_rax);
	return engine_executed(s, t, in);
}

int engine_transfer(session *s, thread *t, const dec_insn *in)
{
	const struct user_regs_struct *r = &t->regs;
	switch (in->flow) {
	case DEC_FLOW_NONE:
		/* Frames are popped only at transfers (a longjmp's `mov rsp`
		 * belongs to __longjmp until its jmp), as every engine sees. */
		return 0;
	case DEC_FLOW_CALL: {
		uint64_t ret = in->pub.addr + in->pub.size;
		int k = s->opts.n_scopes ? scope_at(t->proc, r->rip) : -1;
		if (k >= 0 && !rec_in_scope(t, k) && !rec_would_record(s, t)) {
			/* Below the depth limit, but the callee is a scope of its
			 * own: the call enters that scope. */
			rec_enter_scope(s, t, in->pub.addr, r->rip, ret, r->rsp, k,
					s->opts.scopes[k].depth);
			engine_backtrace(s, t);
			return 0;
		}
		if (!rec_call(s, t, NT_CALL_CALL, in->pub.addr, r->rip, ret, r->rsp))
			return engine_run_free(s, t, ret, r->rsp);
		return 0;
	}
	case DEC_FLOW_JCC:
	case DEC_FLOW_LOOP:
		/* Not taken: execution goes on in sequence, and so does the run. */
		if (r->rip == in->pub.addr + in->pub.size)
			return 0;
		rec_flush(s, t);
		return 0;
	case DEC_FLOW_JMP:
		/* A direct jmp always goes to the same place: a run through it is
		 * still fixed by its first instruction and its length. */
		if (in->op_kind == DEC_OP_IMM)
			return 0;
		/* fall through */
	default: /* any other transfer, or an instruction of unknown size */
		rec_flush(s, t);
		rec_unwind(s, t, r->rsp, in->flow == DEC_FLOW_RET);
		engine_settle(s, t); /* it may have left its last scope */
		return 0;
	}
}


/* True when the program has a handler installed for sig (SigCgt). */
static bool signal_caught(pid_t tid, int sig)
{
	uint64_t mask = nt_proc_status_mask(tid, "SigCgt");
	return sig >= 1 && sig <= 64 && (mask >> (sig - 1)) & 1;
}

int engine_signal_arrived(session *s, thread *t, int sig)
{
	t->pending_signal = sig;
	if (signal_caught(t->tid, sig))
		t->entering_handler = true;
	return 0;
}

int engine_run_free(session *s, thread *t, uint64_t ret_addr, uint64_t entry_sp)
{
	int r = bp_insert(t->proc->bps, ret_addr);
	if (r < 0) {
		session_fail(s, "cannot set a return breakpoint at 0x%" PRIx64 ": %s", ret_addr,
			     strerror(-r));
		return r;
	}
	t->mode = TM_FREE;
	t->free_ret_addr = ret_addr;
	t->free_sp = entry_sp;
	t->stepping = NULL;
	return 0;
}

void engine_settle(session *s, thread *t)
{
	frame *top = rec_top(t);
	if (top && top->call.recorded) {
		t->mode = TM_TRACED;
		return;
	}
	/* Outside every scope (no frame), or inside an unrecorded call whose
	 * return breakpoint is armed: run free. */
	rec_flush(s, t);
	t->mode = TM_FREE;
	t->stepping = NULL;
	t->free_ret_addr = top ? top->call.return_addr : 0;
	t->free_sp = top ? top->call.entry_sp : 0;
}

/* If t, running free, is back at its return address above the unrecorded
 * call's frame, the call returned. */
bool engine_free_check_return(session *s, thread *t)
{
	if (!t->free_ret_addr || t->regs.rip != t->free_ret_addr || t->regs.rsp <= t->free_sp)
		return false;
	bp_remove(t->proc->bps, t->free_ret_addr);
	t->at_bp = false;
	rec_return_top(s, t);
	rec_unwind(s, t, t->regs.rsp, false);
	engine_settle(s, t);
	return t->mode == TM_TRACED;
}

void engine_backtrace(session *s, thread *t)
{
	frame *top = rec_top(t);
	if (!s->opts.backtrace_depth || !s->h->backtrace || !top)
		return;
	if (engine_flush_regs(t) < 0)
		return;
	uint64_t pcs[256];
	size_t max = s->opts.backtrace_depth < 256 ? s->opts.backtrace_depth : 256;
	size_t n = 0;
	if (t->frames[0].call.kind == NT_CALL_ROOT) {
		/* Traced from its first instruction: the shadow stack is the
		 * exact call stack, no unwinding needed. */
		pcs[n++] = t->regs.rip;
		for (uint32_t i = t->n_frames; i-- > 0 && n < max && t->frames[i].call.return_addr;)
			pcs[n++] = t->frames[i].call.return_addr;
	} else {
		n = unwind_thread(t, pcs, max);
	}
	rec_backtrace(s, t, pcs, n);
}

/* t, running free, is at the entry of a scoped function: trace from here. */
static bool enter_scope(session *s, thread *t, uint64_t addr)
{
	int k = t->owner->silent ? -1 : scope_at(t->proc, addr);
	if (k < 0 || rec_in_scope(t, k))
		return false;
	uint64_t ret = 0;
	pt_read_exact(t->tid, t->regs.rsp, &ret, sizeof(ret));
	rec_enter_scope(s, t, 0, addr, ret, t->regs.rsp, k, s->opts.scopes[k].depth);
	t->mode = TM_TRACED;
	t->stepping = NULL;
	engine_backtrace(s, t);
	return true;
}

bool engine_pass_bp(session *s, thread *t, dec_insn *in)
{
	if (!bp_is_set(t->proc->bps, in->pub.addr))
		return false;
	struct user_regs_struct regs = t->regs;
	if (emu_simple(t->tid, in, &regs) < 0)
		return false;
	t->regs = regs;
	t->regs_dirty = true;
	return engine_executed(s, t, in) == 0;
}

const siginfo_t *engine_siginfo(thread *t, const siginfo_t *si, siginfo_t *buf)
{
	if (si)
		return si;
	if (pt_getsiginfo(t->tid, buf) < 0)
		memset(buf, 0, sizeof(*buf)); /* si_code 0 = SI_USER: not ours */
	return buf;
}

int engine_free_stopped(session *s, thread *t, int sig, const siginfo_t *si)
{
	if (sig == (SIGTRAP | 0x80)) { /* syscall entry or exit */
		int r = thread_fetch_regs(t);
		if (r < 0)
			return r;
		t->in_syscall = !t->in_syscall;
		if (t->in_syscall)
			sys_enter(s, t, t->regs.orig_rax);
		else
			sys_finish(s, t, true, (int64_t)t->regs.rax, false);
		return 0;
	}
	siginfo_t buf;
	si = engine_siginfo(t, si, &buf);
	if (sig != SIGTRAP || !si || si->si_code == TRAP_TRACE)
		goto deliver; /* TRAP_TRACE: a step over a breakpoint ended */
	int r = thread_fetch_regs(t);
	if (r < 0)
		return r;
	uint64_t addr = t->regs.rip - 1;
	if (si->si_code != SI_KERNEL || !bp_is_set(t->proc->bps, addr))
		goto deliver;
	/* One of our int3s: back onto the instruction it covers. */
	t->regs.rip = addr;
	t->regs_dirty = true;
	t->at_bp = true;
	if (!engine_free_check_return(s, t) && t->mode == TM_FREE && enter_scope(s, t, addr))
		t->at_bp = false; /* the engine steps over it, tracing */
	return 0;
deliver:
	if (sig != SIGTRAP || si->si_code != TRAP_TRACE)
		t->pending_signal = sig;
	return 0;
}

/* Whether an int3 at addr needs engine_free_stopped's dispatch (a scope
 * entry, or the return a free thread waits for) rather than the checks
 * engine_free_resume makes itself. */
static bool needs_dispatch(session *s, thread *t, uint64_t addr)
{
	return addr == t->free_ret_addr || (s->opts.n_scopes && scope_at(t->proc, addr) >= 0);
}

/* t, running free, stopped on one of our int3s at its rip: handles it, and
 * gets past it without a single step where it can, by emulating the
 * instruction under it and those after it while they are simple
 * (function prologues, and jmps: `operator delete` jumps through a PLT
 * into `free`, whose int3 is handled on the way). Returns true when t is
 * left on an int3 that it must single-step with the int3 lifted. */
static bool pass_free_bp(session *s, thread *t, int sig)
{
	enum { MAX_EMULATED = 8 };
	for (int n = 0;; n++) {
		uint64_t rip = t->regs.rip;
		bool at_bp = bp_is_set(t->proc->bps, rip);
		if (at_bp) {
			if (n && needs_dispatch(s, t, rip))
				return false; /* run into it: it traps again */
			if (rip == t->proc->r_brk)
				ldr_on_brk(s, t);
			if (s->opts.trace_alloc)
				alloc_check(s, t);
			at_bp = bp_is_set(t->proc->bps, rip); /* maybe removed */
		}
		if (sig || n == MAX_EMULATED || t->proc->exited)
			return at_bp;
		dec_insn *in = session_decode(t->proc, rip);
		if (!in)
			return at_bp;
		struct user_regs_struct regs = t->regs;
		int r = emu_simple(t->tid, in, &regs);
		if (r == -EINVAL && in->flow == DEC_FLOW_JMP)
			r = emu_apply(t->tid, in, &regs);
		if (r < 0)
			return at_bp;
		t->regs = regs;
		t->regs_dirty = true;
	}
}

int engine_free_resume(session *s, thread *t, int sig)
{
	if (t->at_bp) {
		t->at_bp = false;
		if (pass_free_bp(s, t, sig)) {
			/* Step the original instruction with the int3 lifted;
			 * dispatch puts it back at the next stop. */
			uint64_t rip = t->regs.rip;
			int r = engine_flush_regs(t);
			if (r < 0)
				return r;
			if (bp_lift(t->proc->bps, rip) == 0) {
				t->reinsert_bp = rip;
				return pt_singlestep(t->tid, sig);
			}
		}
	}
	int r = engine_flush_regs(t);
	if (r < 0)
		return r;
	if (s->opts.alloc_only && !s->opts.syscalls_only)
		return pt_cont(t->tid, sig); /* no syscall stops: nothing to record */
	return pt_syscall(t->tid, sig); /* syscall stops, to record them */
}
