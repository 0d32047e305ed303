/* scopes: the functions where scoped tracing starts. When a binary loads,
 * the scopes that name it are resolved in its symbol tables and an int3 is
 * put on each entry; a thread running untraced that hits one enters the
 * scope. */
#ifndef NOSCO_SCOPES_H
#define NOSCO_SCOPES_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

/* A binary was loaded into t's process: arm the entries of its scopes. */
void scope_binary_loaded(session *s, thread *t, const binary *b);

/* The scope whose entry is at addr in p, or -1. */
int scope_at(const process *p, uint64_t addr);

/* Drops the entries in [lo, hi) (their binary was unloaded). */
void scope_forget_range(process *p, uint64_t lo, uint64_t hi);

/* Fills msg (empty if none) with the first scope that never matched. */
void scope_report_unmatched(const session *s, char *msg, size_t len);

/* Releases p's scope entries. */
void scope_release(process *p);

#endif
