/* engine_step: the reference engine. Every instruction of a traced thread
 * is single-stepped: decoded before it runs, recorded once the step trap
 * says it ran. Calls deeper than the depth limit run free until a
 * breakpoint on their return address, checked against the stack pointer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocs.h"
#include "loader.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "session.h"
#include "engine_common.h"
#include "syscalls.h"

static int step_stopped(session *s, thread *t, int sig, const siginfo_t *si)
{
	if (t->mode == TM_FREE)
		return engine_free_stopped(s, t, sig, si);
	if (sig == SIGTRAP && t->exec_step_trap) {
		/* The step over execve ends here, in the new image, before its
		 * first instruction ran. */
		t->exec_step_trap = false;
		t->stepping = NULL;
		return thread_fetch_regs(t);
	}
	siginfo_t buf;
	si = engine_siginfo(t, si, &buf);
	if (sig == SIGTRAP && (t->entering_handler || !si || si->si_code == TRAP_TRACE ||
			       si->si_code == TRAP_BRKPT || si->si_code == SI_KERNEL)) {
		int r = thread_fetch_regs(t);
		if (r < 0)
			return r;
		if (t->entering_handler)
			return engine_enter_handler(s, t);
		if (!t->stepping)
			return 0;
		dec_insn *in = t->stepping;
		dec_insn *restarted = in->flow != DEC_FLOW_SYSCALL ? engine_restarted_syscall(s, t)
								   : NULL;
		if (restarted && t->regs.rip == restarted->pub.addr + restarted->pub.size) {
			/* The kernel restarted the interrupted syscall (rip moved
			 * back onto it) and ran it again instead of in. */
			sys_enter(s, t, t->regs.orig_rax);
			in = restarted;
		}
		bool program_int3 = si && si->si_code == SI_KERNEL;
		r = engine_executed(s, t, in);
		if (program_int3) /* the program's own int3: it gets its SIGTRAP */
			t->pending_signal = SIGTRAP;
		return r;
	}
	/* Any other signal stops the thread before the instruction runs. */
	return engine_signal_arrived(s, t, sig);
}

static int step_resume(session *s, thread *t)
{
	int sig = t->pending_signal;
	t->pending_signal = 0;
	if (t->mode == TM_FREE)
		return engine_free_resume(s, t, sig);
	engine_flush_regs(t);
	if (!t->stepping) {
		uint64_t rip = t->regs.rip;
		if (rip == t->proc->r_brk)
			ldr_on_brk(s, t);
		if (s->opts.trace_alloc)
			alloc_check(s, t);
		t->stepping = session_decode(t->proc, rip);
		if (!t->stepping) {
			session_fail(s, "cannot read the code at 0x%" PRIx64 " of thread %d", rip,
				     t->tid);
			return -EFAULT;
		}
	}
	/* An int3 of ours here (a scope's, a return trap): get past it without
	 * lifting it when the instruction is a simple one. */
	while (!sig && engine_pass_bp(s, t, t->stepping)) {
		if (t->mode == TM_FREE)
			return engine_free_resume(s, t, 0);
		engine_flush_regs(t);
		t->stepping = session_decode(t->proc, t->regs.rip);
		if (!t->stepping) {
			session_fail(s, "cannot read the code at 0x%" PRIx64 " of thread %d",
				     (uint64_t)t->regs.rip, t->tid);
			return -EFAULT;
		}
	}
	if (t->stepping->flow == DEC_FLOW_SYSCALL)
		sys_enter(s, t, t->regs.rax);
	uint64_t addr = t->stepping->pub.addr;
	if (bp_is_set(t->proc->bps, addr) && bp_lift(t->proc->bps, addr) == 0)
		t->reinsert_bp = addr;
	return pt_singlestep(t->tid, sig);
}

const engine_ops engine_step = {
	.name = "step",
	.stopped = step_stopped,
	.resume = step_resume,
};
