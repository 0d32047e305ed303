/* syscalls: what each system call of a traced thread did. Engines call
 * sys_enter() when a thread is about to execute one (or is at its entry
 * stop) and sys_finish() when it is over; this module reads the path and
 * fd arguments while they still mean what the call saw, and reports one
 * nt_syscall per call. */
#ifndef NOSCO_SYSCALLS_H
#define NOSCO_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

/* t is at syscall nr (the registers hold its arguments). Replaces a call
 * entered before that never ran (a signal interrupted its step). */
void sys_enter(session *s, thread *t, uint64_t nr);

/* The syscall t entered is over: it returned ret (returned), or the thread
 * ended or exec'd in it. insn_recorded: its syscall instruction was just
 * recorded, as the last instruction of t's run. No-op if none is pending. */
void sys_finish(session *s, thread *t, bool returned, int64_t ret, bool insn_recorded);

/* Whether t has a syscall entered and not finished. */
bool sys_pending(const thread *t);

void sys_release(thread *t);

#endif
