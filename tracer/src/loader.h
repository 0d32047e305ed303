/* loader: which binaries a process has mapped, learned the way the dynamic
 * loader announces them: the auxiliary vector at exec, then the r_debug
 * link_map list each time the loader calls _dl_debug_state (r_brk). */
#ifndef NOSCO_LOADER_H
#define NOSCO_LOADER_H

#include "session.h"

/* At an exec stop of thread t: forgets the old image, reports the
 * executable, the interpreter and the vdso, and arms the r_brk hook.
 * Returns 0 or a negative errno (message via session_fail). */
int ldr_exec(session *s, thread *t);

/* Thread t is the first of a process just forked (its own copy of its
 * parent's memory): reports the binaries it has, as at an exec plus the
 * libraries in its link_map, and arms its r_brk hook. */
int ldr_fork(session *s, thread *t);

/* Thread t is at r_brk: reads the link_map list and reports the binaries
 * loaded and unloaded since the last consistent state. */
void ldr_on_brk(session *s, thread *t);

/* Code ran at an address no known binary maps. The loader runs code of
 * the objects it maps (relocation, ifunc resolvers) before it announces
 * them consistent: read the list as it is, once per loader event, and
 * report what it already holds. */
void ldr_on_unknown_code(session *s, thread *t);

/* The id of the live binary that maps addr, or 0. */
uint32_t ldr_binary_id(const process *p, uint64_t addr);

/* Releases the binary table of p. */
void ldr_release(process *p);

/* Releases what the loader keeps for the whole session (s->vdso). */
void ldr_session_release(session *s);

#endif
