#define _GNU_SOURCE
#include "signals.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "ptrace_io.h"
#include "recorder.h"

/* True when the program has a handler installed for sig (SigCgt). */
static bool signal_caught(pid_t tid, int sig)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	uint64_t mask = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigCgt:", 7)) {
			mask = strtoull(line + 7, NULL, 16);
			break;
		}
	fclose(f);
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

int engine_free_stopped(session *s, thread *t, int sig, const siginfo_t *si)
{
	if (sig != SIGTRAP || !si || si->si_code == TRAP_TRACE)
		goto deliver; /* TRAP_TRACE: a step over a breakpoint ended */
	int r = thread_fetch_regs(t);
	if (r < 0)
		return r;
	uint64_t addr = t->regs.rip - 1;
	if (si->si_code != SI_KERNEL || !bp_is_set(t->proc->bps, addr))
		goto deliver;
	t->regs.rip = addr;
	r = pt_setregs(t->tid, &t->regs);
	if (r < 0)
		return r;
	if (addr == t->free_ret_addr && t->regs.rsp > t->free_sp) {
		bp_remove(t->proc->bps, addr);
		t->mode = TM_TRACED;
		t->free_ret_addr = t->free_sp = 0;
		rec_return_top(s, t);
		rec_unwind(s, t, t->regs.rsp, false);
		return 0;
	}
	return 0;
deliver:
	if (sig != SIGTRAP || (si && si->si_code != TRAP_TRACE))
		t->pending_signal = sig;
	return 0;
}

int engine_free_resume(session *s, thread *t, int sig)
{
	/* After a breakpoint stop rip was set back onto it: step the original
	 * instruction with the int3 lifted, then put it back (dispatch does). */
	if (t->regs.rip && t->regs.rip == t->proc->r_brk)
		ldr_on_brk(s, t);
	if (t->regs.rip && bp_is_set(t->proc->bps, t->regs.rip) &&
	    bp_lift(t->proc->bps, t->regs.rip) == 0) {
		t->reinsert_bp = t->regs.rip;
		t->regs.rip = 0;
		return pt_singlestep(t->tid, sig);
	}
	t->regs.rip = 0;
	return pt_cont(t->tid, sig);
}
