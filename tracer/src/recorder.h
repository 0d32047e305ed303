/* recorder: turns what the engines observed into handler events. It keeps
 * each thread's current straight-line run and shadow call stack, assigns
 * seq numbers, block ids and call ids, and is the only caller of the
 * handler's exec/call/return/insn/block callbacks. */
#ifndef NOSCO_RECORDER_H
#define NOSCO_RECORDER_H

#include "session.h"

int rec_init(session *s);
void rec_fini(session *s);

/* Appends one executed instruction to t's current run (announcing the
 * instruction to the handler the first time). Returns 0 or -ENOMEM. */
int rec_insn(session *s, thread *t, dec_insn *insn);

/* Ends t's current run: reports it as one block execution. A run is a
 * sequence of instructions fixed by its first one and its length: it goes
 * on through not-taken conditional jumps and direct jmps, and ends at any
 * other transfer (and when a signal cuts it). Every engine ends runs at the
 * same places, through engine_transfer(). */
void rec_flush(session *s, thread *t);

/* Ends t's current run and reports its top call if that was pending, so
 * the call has its id (e.g. as the creator of a new thread). */
void rec_settle(session *s, thread *t);

/* Pushes a call on t's shadow stack (flushing the run first). The callee's
 * first instruction is at target; entry_sp is rsp there. Returns true when
 * the call is recorded inside, false when it is deeper than the depth limit
 * (the caller must then let the thread run free until it returns). */
bool rec_call(session *s, thread *t, nt_call_kind kind, uint64_t call_site,
	      uint64_t target, uint64_t return_addr, uint64_t entry_sp);

/* A thread running untraced entered a scope's function at target: pushes
 * it (recorded, with calls recorded depth levels below it). */
void rec_enter_scope(session *s, thread *t, uint64_t call_site, uint64_t target,
		     uint64_t return_addr, uint64_t entry_sp, int32_t scope, uint32_t depth);

/* Attaches a call stack to t's top call, reported with its entry (so the
 * call has its id and its place in entry order). */
void rec_backtrace(session *s, thread *t, const uint64_t *pcs, size_t n);

/* Whether a call made now by t would be recorded inside. */
bool rec_would_record(session *s, const thread *t);

/* Whether t is inside scope already (a recursive call below its depth
 * limit does not enter it again). */
bool rec_in_scope(const thread *t, int32_t scope);

/* After a control transfer that left rsp: pops every call whose entry_sp is
 * below rsp (never a root call). The first popped is a RET when by_ret. */
void rec_unwind(session *s, thread *t, uint64_t rsp, bool by_ret);

/* Pops the top call (an unrecorded call whose return trap hit). */
void rec_return_top(session *s, thread *t);

/* The thread ended: flushes and closes all its calls as EXIT. */
void rec_thread_end(session *s, thread *t);

/* The tracer lets the thread go: flushes and closes its calls as DETACH. */
void rec_thread_detach(session *s, thread *t);

static inline frame *rec_top(thread *t)
{
	return t->n_frames ? &t->frames[t->n_frames - 1] : NULL;
}

#endif
