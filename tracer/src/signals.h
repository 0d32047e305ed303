/* Engine parts shared by every engine: signal arrival and calls that run
 * free (deeper than the depth limit) until their return trap. */
#ifndef NOSCO_SIGNALS_H
#define NOSCO_SIGNALS_H

#include <signal.h>
#include <stdint.h>

#include "session.h"

/* t stopped for signal sig before its next instruction ran: arranges its
 * delivery, and notes whether a handler of the program will be entered. */
int engine_signal_arrived(session *s, thread *t, int sig);

/* Lets t run at full speed until the call whose return address is
 * ret_addr and whose entry stack pointer is entry_sp returns. */
int engine_run_free(session *s, thread *t, uint64_t ret_addr, uint64_t entry_sp);

/* stopped/resume for a thread in TM_FREE mode. */
int engine_free_stopped(session *s, thread *t, int sig, const siginfo_t *si);
int engine_free_resume(session *s, thread *t, int sig);

#endif
