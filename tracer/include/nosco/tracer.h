/*
 * nosco tracer: runs a program under ptrace and reports what it executed to
 * a handler. This is the whole public interface of libnosco-tracer.
 *
 * The tracer owns every ptrace and waitpid call. It reports events through
 * the callbacks of an nt_handler, always on the thread that called nt_run(),
 * in this order per traced thread: thread_start, then calls, returns and
 * executed blocks in execution order, then thread_exit. Descriptors passed
 * to callbacks (nt_insn, nt_block, nt_binary, ...) are owned by the tracer
 * and valid only during the callback; copy what you keep.
 *
 * Identifiers (thread, call, binary, instruction, block ids) are small
 * positive integers assigned in order of first appearance, so a handler can
 * use them directly as database keys. A thread is announced (thread_start)
 * when it is created, at its creator's clone, so threads are numbered in
 * creation order; its own events follow from its first stop.
 */
#ifndef NOSCO_TRACER_H
#define NOSCO_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOSCO_VERSION "0.1.0"

/* How a thread/process ended. */
typedef struct nt_exit {
	int status; /* exit code, or -1 when killed by a signal */
	int signal; /* terminating signal, or 0 */
} nt_exit;

typedef struct nt_thread {
	uint32_t id;        /* ordinal: 1 is the program's main thread */
	uint32_t process_id;
	pid_t tid;
	uint32_t parent_id; /* 0 for the first thread */
	uint64_t creating_call_id; /* call of the parent that cloned it, or 0 */
} nt_thread;

/* One system call of a traced thread, reported when it is over. */
typedef struct nt_syscall {
	uint64_t id;        /* 1, 2, 3... in order of entry, over all threads */
	uint32_t thread_id;
	uint64_t call_id;   /* the thread's call that made it, or 0 */
	uint64_t seq;       /* seq of its syscall instruction, or NT_NO_SEQ when
			     * the thread's instructions were not recorded */
	uint32_t nr;        /* x86-64 syscall number */
	const char *name;   /* NULL for a number this build does not know */
	uint64_t args[6];   /* rdi, rsi, rdx, r10, r8, r9 at entry */
	bool returned;      /* false: it never did (exit, exit_group, killed) */
	int64_t ret;        /* rax at exit: -errno on failure */
	uint64_t duration_ns; /* entry to exit, as the tracer saw it */
	/* Decoded at entry, like strace -y: the path argument made absolute
	 * against the cwd or the dirfd, or what the fd argument refers to; a
	 * second one for rename/link/symlink/sendfile... NULL when none. */
	const char *path, *path2;
	int created;        /* 1: the call created path (O_CREAT on a path that
			     * did not exist, mkdir, link...), 0: it did not,
			     * -1: not a creating call */
} nt_syscall;

#define NT_NO_SEQ UINT64_MAX

/* One allocator call (nt_options.trace_alloc), reported when it is over. */
typedef struct nt_alloc {
	uint64_t id;          /* 1, 2, 3... in order of entry, over all threads */
	uint32_t thread_id;
	uint64_t call_id;     /* the call that called the allocator, or 0 */
	uint64_t seq;         /* seq of the allocator's first instruction, or
			       * NT_NO_SEQ when it ran unrecorded */
	uint64_t syscalls_before; /* syscalls entered (all threads) before it */
	const char *kind;     /* malloc calloc realloc reallocarray
			       * aligned_alloc posix_memalign free new new[]
			       * delete delete[] */
	const char *symbol;   /* the symbol entered, e.g. "_Znwm" */
	bool has_size;
	uint64_t size;        /* bytes asked for (calloc: count * size) */
	uint64_t align;       /* alignment asked for, or 0 */
	bool has_ptr;
	uint64_t ptr;         /* the block passed in (free, delete, realloc) */
	bool returned;        /* false: it never did (thread ended, unwound) */
	uint64_t result;      /* the block returned, 0 if none (failed, free) */
	uint64_t frees_id;    /* the allocation whose block it released, or 0 */
	uint32_t stack_id;    /* its call stack (see stack_new), or 0 */
} nt_alloc;

typedef struct nt_process {
	uint32_t id;
	pid_t pid;
	uint32_t parent_id;
	const char *executable;
	const char *const *argv; /* NULL-terminated */
} nt_process;

typedef enum nt_binary_kind {
	NT_BINARY_EXE,
	NT_BINARY_INTERP,
	NT_BINARY_LIB,
	NT_BINARY_VDSO,
} nt_binary_kind;

typedef struct nt_binary {
	uint32_t id;
	uint32_t process_id;
	nt_binary_kind kind;
	const char *path;     /* file path, or "[vdso]" */
	const char *build_id; /* hex string, or NULL */
	uint64_t base;        /* load bias */
	uint64_t lo, hi;      /* mapped range [lo, hi) */
	int image_fd;         /* for [vdso]: a memfd holding its image; else -1 */
	uint32_t load_thread_id;
} nt_binary;

/* A distinct decoded instruction. Reported once, before its first use. */
typedef struct nt_insn {
	uint32_t id;
	uint32_t binary_id; /* 0 if outside any known binary */
	uint64_t addr;
	uint8_t size;
	uint8_t bytes[15];
	const char *mnemonic; /* NULL if capstone cannot decode it */
	const char *operands;
} nt_insn;

/* A distinct straight-line sequence of instructions. Reported once. */
typedef struct nt_block {
	uint32_t id;
	uint32_t count;
	const uint32_t *insn_ids; /* count entries */
} nt_block;

typedef enum nt_call_kind {
	NT_CALL_ROOT,   /* a thread's first instruction */
	NT_CALL_CALL,   /* a call instruction */
	NT_CALL_SIGNAL, /* the kernel entered a signal handler */
	NT_CALL_SCOPE,  /* a traced scope's function, entered from untraced code */
} nt_call_kind;

typedef enum nt_return_kind {
	NT_RETURN_RET,    /* the call's own ret */
	NT_RETURN_UNWIND, /* stack popped past it (longjmp, exception, ...) */
	NT_RETURN_EXIT,   /* the thread ended inside it */
	NT_RETURN_DETACH, /* the tracer let the process go while inside it */
} nt_return_kind;

typedef struct nt_call {
	uint64_t id;
	uint32_t thread_id;
	uint64_t parent_id; /* 0 for a root call */
	uint32_t depth;
	nt_call_kind kind;
	uint64_t addr;        /* callee's first instruction */
	uint64_t call_site;   /* address of the call instruction, or 0 */
	uint64_t return_addr; /* or 0 */
	uint64_t entry_sp;
	uint64_t entry_seq; /* seq of the callee's first instruction */
	uint64_t entry_ns;  /* CLOCK_MONOTONIC ns when the tracer saw the call
			     * begin (its report may come later) */
	bool recorded;      /* false: deeper than the depth limit */
} nt_call;

typedef struct nt_handler {
	void *ctx;
	void (*process_start)(void *ctx, const nt_process *p, uint64_t seq);
	void (*process_exit)(void *ctx, uint32_t process_id, nt_exit e, uint64_t seq);
	/* A thread of the process executed a new program (the process's
	 * executable and argv are now those given). */
	void (*process_exec)(void *ctx, uint32_t process_id, uint32_t thread_id,
			     const char *executable, const char *const *argv, uint64_t seq);
	void (*thread_start)(void *ctx, const nt_thread *t, uint64_t seq);
	void (*thread_exit)(void *ctx, uint32_t thread_id, nt_exit e, uint64_t seq);
	void (*syscall)(void *ctx, const nt_syscall *sc);
	void (*binary_load)(void *ctx, const nt_binary *b, uint64_t seq);
	void (*binary_unload)(void *ctx, uint32_t binary_id, uint64_t seq);
	void (*insn_new)(void *ctx, const nt_insn *insn);
	void (*block_new)(void *ctx, const nt_block *block);
	/* Instructions seq .. seq + count - 1 of the block ran in the call. A
	 * run interrupted by a signal is a block of its own (a prefix). */
	void (*exec)(void *ctx, uint32_t thread_id, uint64_t call_id,
		     const nt_block *block, uint64_t seq);
	void (*call_enter)(void *ctx, const nt_call *c);
	/* exit_seq: seq after the call's last instruction. own_insns: count of
	 * instructions recorded in this call, not in its sub-calls. */
	void (*call_return)(void *ctx, const nt_call *c, nt_return_kind kind,
			    uint64_t exit_seq, uint64_t own_insns);
	/* The call stack when call_id began: at a scope's entry, and (for the
	 * call of the parent that cloned it) at a thread's creation. pcs[0] is
	 * where the thread was, the others are return addresses. May be NULL. */
	void (*backtrace)(void *ctx, uint32_t thread_id, uint64_t call_id, const uint64_t *pcs,
			  size_t n);
	/* One allocator call, when it is over (or its thread ended). */
	void (*alloc)(void *ctx, const nt_alloc *a);
	/* A new distinct call stack, reported before its first use: pcs[0] is
	 * the allocator's entry, the others return addresses, innermost first.
	 * thread_id says in which process the addresses are. */
	void (*stack_new)(void *ctx, uint32_t thread_id, uint32_t stack_id, const uint64_t *pcs,
			  size_t n);
	/* Something the user should know that does not stop the tracing (an
	 * allocator symbol missing...). May be NULL. */
	void (*warning)(void *ctx, const char *msg);
	/* Called before the tracer blocks waiting for the tracee: a good moment
	 * to hand over buffered work. May be NULL. */
	void (*idle)(void *ctx);
} nt_handler;

typedef enum nt_engine_kind {
	NT_ENGINE_STEP,  /* single-step every instruction (reference) */
	NT_ENGINE_BLOCK, /* one int3 stop per straight-line run */
} nt_engine_kind;

/* A traced scope: with any, nothing is recorded until a thread enters one
 * of their functions; inside, calls are recorded to the scope's depth. */
typedef struct nt_scope {
	const char *symbol; /* raw or demangled name (with or without its arguments) */
	const char *binary; /* file name of the binary defining it; NULL = the executable */
	uint32_t depth;     /* calls below the entry recorded; UINT32_MAX = all */
} nt_scope;

typedef struct nt_options {
	nt_engine_kind engine;
	uint32_t max_depth; /* record calls at depth <= max_depth; UINT32_MAX = all */
	bool pin_cpu;       /* pin tracer and tracee to one CPU */
	int cpu;            /* that CPU; -1: the one the caller runs on */
	const nt_scope *scopes; /* n_scopes entries; none: trace from the start */
	size_t n_scopes;
	uint32_t backtrace_depth; /* frames per backtrace; 0 = no backtraces */
	/* Trace the processes the program forks, and theirs (default). When
	 * false only the first process is traced: a fork child is let go with
	 * our int3s removed from its copy of memory; a vfork child, which shares
	 * the parent's memory, runs untraced and unrecorded until it execs or
	 * exits, then is let go. */
	bool follow_forks;
	/* Record no instructions and no calls: processes, threads, binaries
	 * and syscalls only, every thread running at full speed between its
	 * syscall stops (like strace). */
	bool syscalls_only;
	/* Record every allocator call (malloc ... free, C++ new/delete) with its
	 * call stack (backtrace_depth frames). */
	bool trace_alloc;
	/* Record no instructions, no calls and (unless syscalls_only) no
	 * syscalls: threads run at full speed but for their allocator calls. */
	bool alloc_only;
} nt_options;

/* Default options: block engine, unlimited depth, pinned to the caller's CPU. */
void nt_options_init(nt_options *o);

typedef enum nt_end_reason {
	NT_END_EXITED,      /* program exited or was killed; see nt_result */
	NT_END_INTERRUPTED, /* nt_request_stop() was called: program killed */
	NT_END_ERROR,       /* the tracer failed; program killed (or, attached,
			     * let go) */
	NT_END_DETACHED,    /* nt_attach(): stop requested, process let go */
} nt_end_reason;

typedef struct nt_result {
	nt_end_reason reason;
	nt_exit exit;          /* of the first process */
	uint64_t instructions; /* recorded */
	uint64_t stops;        /* ptrace stops handled */
	char error[256];       /* message when reason == NT_END_ERROR */
	/* A scope that never matched: its function does not exist in its
	 * binary, or the binary never loaded. Empty when all matched. */
	char scope_error[256];
} nt_result;

/*
 * Starts argv[0] (a path to an executable; no PATH search here) with argv and
 * the caller's environment, traces it to the end and reports to handler.
 * Returns 0 when the tracing ran (see result for how it ended), or a negative
 * errno when the program could not be started, with result->error set.
 */
int nt_run(char *const argv[], const nt_options *opts, const nt_handler *handler,
	   nt_result *result);

/* Traces the running process pid (all its threads, PTRACE_SEIZE) until it
 * exits or nt_request_stop() is called, then lets it go exactly as it was:
 * no int3 left, registers and pending signals intact, CPU affinity
 * restored. Returns 0 once done (result says how it ended), or a negative
 * errno if pid cannot be traced (result->error says why). */
int nt_attach(pid_t pid, const nt_options *opts, const nt_handler *handler, nt_result *result);

/* Async-signal-safe: asks a running nt_run() to kill the program and end,
 * or a running nt_attach() to let the process go and end. */
void nt_request_stop(void);

/* Like nt_request_stop(), but the tracing ends as failed (NT_END_ERROR,
 * result->error = why): the handler cannot keep what it is given (its
 * disk is full). Call it from a callback, on the tracer's thread. */
void nt_request_abort(const char *why);

#endif
