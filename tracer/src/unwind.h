/* unwind: call stacks of stopped threads, by libdwfl's unwinder (CFI from
 * .eh_frame/.debug_frame), for backtraces at scope entries and thread
 * creations. One Dwfl per process, re-reported when its binaries change. */
#ifndef NOSCO_UNWIND_H
#define NOSCO_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* Fills pcs with up to max program counters of stopped thread t, innermost
 * first (the first is where t is; the others are return addresses).
 * Returns how many, or 0 when the stack cannot be unwound. */
size_t unwind_thread(thread *t, uint64_t *pcs, size_t max);

/* Forgets p's Dwfl (its mappings changed, or it is gone). */
void unwind_release(process *p);

#endif
