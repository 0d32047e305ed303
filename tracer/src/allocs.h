/* allocs: allocator calls (--trace-alloc). When libc, libstdc++ or an
 * executable that defines the allocator loads, an int3 goes on the entry of
 * malloc, calloc, realloc, reallocarray, free, aligned_alloc,
 * posix_memalign and the C++ operators new and delete. A thread arriving at
 * one (traced or running free) has its arguments, return address and call
 * stack read; an int3 on the return address gives the result. So an
 * allocator call costs two stops when the program otherwise runs free. An
 * allocator called from inside another (operator new -> malloc, realloc ->
 * free) is part of the outer call and not reported.
 *
 * Each process keeps the blocks it has live (address -> the allocation that
 * returned it), so a free names the allocation it releases. */
#ifndef NOSCO_ALLOCS_H
#define NOSCO_ALLOCS_H

#include <stdint.h>

#include "session.h"

/* A binary was loaded into t's process: arm the allocators it defines. */
void alloc_binary_loaded(session *s, thread *t, const binary *b);

/* Drops the entries in [lo, hi) (their binary was unloaded). */
void alloc_forget_range(process *p, uint64_t lo, uint64_t hi);

/* t is stopped with t->regs at the instruction it executes next: if that
 * is an allocator's entry, or the return address of one of t's pending
 * allocator calls, record it. Cheap when neither. Idempotent for one
 * arrival (several engine paths may ask). */
void alloc_check(session *s, thread *t);

/* The thread ended (or the tracer lets it go): its pending allocator
 * calls are reported as never returned. */
void alloc_thread_end(session *s, thread *t);

/* child was forked from parent: it starts with a copy of its live blocks. */
int alloc_fork(process *parent, process *child);

/* The process exec'd (forget everything about the old image), or is
 * freed. */
void alloc_release(process *p);

/* Frees t's pending list. */
void alloc_thread_release(thread *t);

#endif
