/* Engine parts shared by every engine: what an executed instruction means
 * for the call stack, signal arrival and handler entry, and calls that run
 * free (deeper than the depth limit) until their return trap. */
#ifndef NOSCO_ENGINE_COMMON_H
#define NOSCO_ENGINE_COMMON_H

#include <signal.h>
#include <stdint.h>

#include "session.h"

/* t stopped for signal sig before its next instruction ran: arranges its
 * delivery, and notes whether a handler of the program will be entered. */
int engine_signal_arrived(session *s, thread *t, int sig);

/* Lets t run at full speed until the call whose return address is
 * ret_addr and whose entry stack pointer is entry_sp returns. */
int engine_run_free(session *s, thread *t, uint64_t ret_addr, uint64_t entry_sp);

/* The instruction in ran and t->regs holds the state after it: records
 * it and updates the call stack (a call deeper than the limit switches t
 * to TM_FREE). Returns 0 or a negative errno. */
int engine_executed(session *s, thread *t, dec_insn *in);

/* After in (already recorded) transferred control: updates the call stack
 * from t->regs. */
int engine_transfer(session *s, thread *t, const dec_insn *in);

/* A caught signal was delivered: t->regs is at the handler's first
 * instruction. Pushes the handler as a call. */
int engine_enter_handler(session *s, thread *t);

/* Reports the call stack of stopped thread t for its top call, if
 * backtraces were asked for. */
void engine_backtrace(session *s, thread *t);

/* Writes t->regs back if an engine changed them. */
int engine_flush_regs(thread *t);

/* t is at in, which carries an int3 of ours: if in is one of the simple
 * instructions emu_simple() knows, executes it that way (recording it) and
 * returns true, so the int3 stays in place for the other threads. */
bool engine_pass_bp(session *s, thread *t, dec_insn *in);

/* si if not NULL, else the siginfo of t's stop read into buf. */
const siginfo_t *engine_siginfo(thread *t, const siginfo_t *si, siginfo_t *buf);

/* stopped/resume for a thread in TM_FREE mode (resume steps over a
 * breakpoint with the int3 lifted). */
int engine_free_stopped(session *s, thread *t, int sig, const siginfo_t *si);
/* If t is back from its unrecorded call: pops it and returns whether t is
 * traced again. */
bool engine_free_check_return(session *s, thread *t);

/* Sets t's mode from its top frame: traced in a recorded call, free in an
 * unrecorded one (until its return trap) or outside every scope. */
void engine_settle(session *s, thread *t);
int engine_free_resume(session *s, thread *t, int sig);

/* A syscall instruction in ran and returned ret: if a signal interrupted
 * it with a restart code, the kernel may move rip back onto it when the
 * thread resumes (no handler to run, or SA_RESTART) and run it again.
 * Remembers it in t->restart_addr. */
void engine_note_restart(thread *t, const dec_insn *in, int64_t ret);

/* At a stop that ends a syscall (t->regs fetched, orig_rax >= 0) where the
 * engine expected something else: the syscall remembered by
 * engine_note_restart when the kernel restarted it, or NULL. Forgets it. */
dec_insn *engine_restarted_syscall(session *s, thread *t);

#endif
