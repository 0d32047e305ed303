/* breakpoints: int3 bytes in one address space, reference counted, so that
 * several users (the loader hook, return-address traps of several threads,
 * the block engine) can share one address. Anything that reads tracee code
 * goes through bp_read_code(), which puts our original bytes back, so no
 * decoder ever sees an int3 we placed. */
#ifndef NOSCO_BREAKPOINTS_H
#define NOSCO_BREAKPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct bp_table bp_table;

/* Returns a table for the address space of pid, or NULL (errno set). */
bp_table *bp_create(pid_t pid);
/* Frees the table without touching tracee memory. */
void bp_destroy(bp_table *t);
/* After an exec the address space is new: forget every entry. */
void bp_forget_all(bp_table *t);

/* Adds one reference to a breakpoint at addr, writing the int3 on the
 * first. Returns 0 or a negative errno (the tracee's memory untouched). */
int bp_insert(bp_table *t, uint64_t addr);
/* Drops one reference; restores the original byte on the last. */
int bp_remove(bp_table *t, uint64_t addr);
/* Drops every breakpoint and restores the original bytes in the tracee. */
void bp_remove_all(bp_table *t);
/* Writes the original bytes of all our breakpoints into the memory of
 * another process (a forked child that shares nothing with us). */
void bp_scrub_copy(const bp_table *t, pid_t other);

bool bp_is_set(const bp_table *t, uint64_t addr);

/* ptrace writes memory through a stopped thread: the table's writes go
 * through tid (a stopped thread of the process) from now on. */
void bp_set_accessor(bp_table *t, pid_t tid);

/* Puts the original byte back at a breakpoint without dropping it, so that
 * one thread can execute the real instruction; bp_rearm() writes the int3
 * again. Return 0 or a negative errno. */
int bp_lift(bp_table *t, uint64_t addr);
int bp_rearm(bp_table *t, uint64_t addr);

/* Forgets breakpoints in [lo, hi) whose memory was unmapped. */
void bp_forget_range(bp_table *t, uint64_t lo, uint64_t hi);

/* Reads tracee code as the program sees it: our int3 bytes replaced by the
 * original bytes. Returns bytes read (>0) or a negative errno. */
ssize_t bp_read_code(const bp_table *t, uint64_t addr, uint8_t *buf, size_t len);

#endif
