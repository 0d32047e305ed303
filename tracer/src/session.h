/* session: the tracer's model of what it traces (processes, threads, their
 * shadow call stacks) shared by the core loop, the loader hook, the
 * recorder and the engines. Only the core (session.c) creates and destroys
 * these objects, and only it calls waitpid. */
#ifndef NOSCO_SESSION_H
#define NOSCO_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "breakpoints.h"
#include "decoder.h"
#include "nosco/tracer.h"

struct session;

typedef struct binary {
	uint32_t id;
	nt_binary_kind kind;
	char *path;
	uint64_t base, lo, hi;
	int image_fd; /* [vdso] image, or -1 */
	bool live;
} binary;

struct scope_entry {
	uint64_t addr;  /* a scoped function's first instruction */
	uint32_t scope; /* index in nt_options.scopes */
};

typedef struct process {
	uint32_t id;
	pid_t pid;
	uint32_t parent_id; /* process that forked it, 0 for the first */
	void *saved_affinity; /* attached: its main thread's cpu_set_t before */
	bool silent;        /* a vfork child not followed: nothing reported */
	bp_table *bps;
	dec_cache *dec;
	binary *bins;
	uint32_t n_bins, cap_bins;
	uint64_t r_debug; /* address of the loader's r_debug, or 0 */
	uint64_t r_brk;   /* address of _dl_debug_state, or 0 */
	bool rescanned;   /* link_map read for unknown code since the last r_brk */
	struct sblock_cache *sblocks; /* block engine: decoded runs by address */
	struct scope_entry *scope_entries;
	uint32_t n_scope_entries;
	struct alloc_state *allocs; /* allocs.c: allocator entries, live blocks */
	uint32_t bins_gen;          /* bumped at every load and unload */
	struct Dwfl *unwind_dwfl;   /* unwind.c's, valid for unwind_gen */
	uint32_t unwind_gen;
	uint32_t threads_alive;
	bool exited;
	nt_exit exit; /* valid once exited */
} process;

/* One active call on a thread's shadow stack. */
typedef struct frame {
	nt_call call;
	uint64_t own_insns;
	uint32_t limit; /* calls up to this depth are recorded below it */
	int32_t scope;  /* the scope it entered (NT_CALL_SCOPE frames), else -1 */
	uint64_t *backtrace; /* taken at entry, reported with the entry */
	uint32_t n_backtrace;
} frame;

typedef enum thread_mode {
	TM_TRACED, /* the engine records every instruction */
	TM_FREE,   /* inside an unrecorded call: runs until its return trap */
} thread_mode;

typedef struct thread {
	uint32_t id;
	pid_t tid;
	process *proc;  /* the address space it runs in (breakpoints, code) */
	process *owner; /* the process it belongs to: proc, except for a vfork
			 * child, which runs in its parent's memory until it
			 * execs */
	frame *frames;
	uint32_t n_frames, cap_frames;
	bool entry_pending; /* top frame's call_enter waits for its first run */

	uint32_t *run;      /* instruction ids of the current straight-line run */
	uint32_t n_run, cap_run;

	thread_mode mode;
	struct user_regs_struct regs; /* valid while stopped, after a fetch */
	int pending_signal;           /* to deliver on the next resume */
	bool started;                 /* its first stop has been seen */
	uint64_t creating_call_id;    /* creator's call that cloned it */
	bool exited;

	/* engine state */
	bool regs_dirty;        /* t->regs changed by an engine: write back */
	bool at_bp;             /* TM_FREE: rip was set back onto our int3 */
	bool in_syscall;        /* block engine: between syscall entry and exit */
	uint64_t restart_addr;  /* block engine: the syscall instruction whose
				 * exit said the kernel may restart it */
	struct sblock *cur;     /* block engine: the run it was let go on */
	uint32_t emulated;      /* block engine: transfers emulated in a row */
	dec_insn *stepping;     /* step engine: instruction being stepped */
	bool rep_continuing;    /* that rep string instruction is mid-way */
	bool entering_handler;  /* a caught signal is being delivered */
	struct sys_pending *sys; /* syscalls.c: the syscall under way */
	struct alloc_pending *allocs; /* allocs.c: allocator calls under way */
	uint32_t n_allocs, cap_allocs;
	bool held;              /* detaching: stopped, not to be resumed */
	void *saved_affinity;   /* attached: its cpu_set_t before we pinned it */
	bool exec_step_trap;    /* execve was single-stepped: its step trap is
				 * still to come, after the exec stop */
	uint64_t reinsert_bp;   /* breakpoint lifted to step over it, or 0 */
	uint64_t free_ret_addr; /* TM_FREE: return trap address */
	uint64_t free_sp;       /* TM_FREE: entry_sp of the unrecorded call */
} thread;

/* The engine interface: how a traced thread is advanced. */
typedef struct engine_ops {
	const char *name;
	/* The thread stopped with signal sig (SIGTRAP for traps; si may be NULL
	 * when siginfo is unavailable). Records what ran, decides what is
	 * delivered (t->pending_signal). Returns 0 or a negative errno
	 * (-ESRCH: the thread vanished). */
	int (*stopped)(struct session *s, thread *t, int sig, const siginfo_t *si);
	/* Resumes a stopped thread. Returns 0 or a negative errno. */
	int (*resume)(struct session *s, thread *t);
	/* Code in [lo, hi) of p is gone (unmapped, or the whole image after an
	 * exec when lo = 0, hi = UINT64_MAX): drop what was decoded there.
	 * May be NULL. */
	void (*invalidate)(process *p, uint64_t lo, uint64_t hi);
} engine_ops;

extern const engine_ops engine_step;
extern const engine_ops engine_block;

typedef struct session {
	nt_options opts;
	const nt_handler *h;
	const engine_ops *engine;
	process **procs;
	uint32_t n_procs;
	thread **threads;
	uint32_t n_threads, cap_threads;
	uint64_t seq;
	uint64_t next_call_id, next_syscall_id, next_alloc_id;
	uint32_t next_stack_id;
	uint32_t next_thread_id, next_binary_id, next_insn_id;
	struct blk_cache *blocks;
	bool *scope_binary_seen; /* per scope: a binary it names was loaded */
	bool *scope_found;       /* per scope: its function was found there */
	uint64_t stops;
	struct elf_cache *elfs;    /* elfinfo.h: ELF facts by file, for the loader */
	struct ldr_vdso *vdso;     /* loader.c: the last vdso image seen */
	bool attached;  /* the first process was attached to, not started */
	bool detaching; /* attached: letting every process go */
	int cpu;        /* attached and pinned: the CPU threads are pinned to, else -1 */
	char error[256];
} session;

/* Records a fatal tracer error (first one wins) for nt_result. */
void session_fail(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fetches t->regs. Returns 0 or a negative errno. */
int thread_fetch_regs(thread *t);

/* Reads and decodes the instruction at addr (cached). NULL if unreadable. */
dec_insn *session_decode(process *p, uint64_t addr);

#endif
