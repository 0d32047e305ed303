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

#include "loader.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "session.h"
#include "signals.h"

/* A caught signal was delivered: the kernel built the handler frame and
 * stopped before the handler's first instruction. */
static int enter_handler(session *s, thread *t)
{
	t->entering_handler = false;
	t->stepping = NULL;
	t->rep_continuing = false;
	rec_flush(s, t);
	uint64_t ret = 0;
	pt_read_exact(t->tid, t->regs.rsp, &ret, sizeof(ret));
	if (!rec_call(s, t, NT_CALL_SIGNAL, 0, t->regs.rip, ret, t->regs.rsp))
		return engine_run_free(s, t, ret, t->regs.rsp);
	return 0;
}

/* The instruction t->stepping ran and t->regs is the state after it. */
static int executed(session *s, thread *t)
{
	dec_insn *in = t->stepping;
	t->stepping = NULL;
	const struct user_regs_struct *r = &t->regs;
	if (in->flow == DEC_FLOW_UNKNOWN) {
		uint64_t len = r->rip - in->pub.addr;
		if (len >= 1 && len <= 15)
			dec_set_size(in, (uint8_t)len);
	}
	if (in->rep_string && r->rip == in->pub.addr) {
		t->rep_continuing = true; /* one more iteration: same execution */
		return 0;
	}
	t->rep_continuing = false;
	int err = rec_insn(s, t, in);
	if (err < 0)
		return err;
	switch (in->flow) {
	case DEC_FLOW_NONE:
		rec_unwind(s, t, r->rsp, false);
		return 0;
	case DEC_FLOW_CALL:
		if (!rec_call(s, t, NT_CALL_CALL, in->pub.addr, r->rip,
			      in->pub.addr + in->pub.size, r->rsp))
			return engine_run_free(s, t, in->pub.addr + in->pub.size, r->rsp);
		return 0;
	default: /* any other transfer, or an instruction of unknown size */
		rec_flush(s, t);
		rec_unwind(s, t, r->rsp, in->flow == DEC_FLOW_RET);
		return 0;
	}
}

static int step_stopped(session *s, thread *t, int sig, const siginfo_t *si)
{
	if (t->mode == TM_FREE)
		return engine_free_stopped(s, t, sig, si);
	if (sig == SIGTRAP && (t->entering_handler || !si || si->si_code == TRAP_TRACE ||
			       si->si_code == TRAP_BRKPT || si->si_code == SI_KERNEL)) {
		int r = thread_fetch_regs(t);
		if (r < 0)
			return r;
		if (t->entering_handler)
			return enter_handler(s, t);
		if (!t->stepping)
			return 0;
		bool program_int3 = si && si->si_code == SI_KERNEL;
		r = executed(s, t);
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
	if (!t->stepping) {
		uint64_t rip = t->regs.rip;
		if (rip == t->proc->r_brk)
			ldr_on_brk(s, t);
		t->stepping = session_decode(t->proc, rip);
		if (!t->stepping) {
			session_fail(s, "cannot read the code at 0x%" PRIx64 " of thread %d", rip,
				     t->tid);
			return -EFAULT;
		}
	}
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
