/*
 * bare-step: single-steps a whole program with PTRACE_SINGLESTEP and records
 * nothing. It is the reference the benchmark compares nosco-sql against, and
 * an independent oracle for how many instructions a program executes.
 *
 *   bare-step [--pin|--no-pin] -- PROG [ARGS...]
 *   bare-step --probe   (exit 0 if ptrace works here, 77 if not: for tests)
 *
 * --pin (the default) puts the tracer and PROG on one CPU before the fork:
 * single-stepping is several times faster when no cross-CPU wake-up is
 * involved (shared/notes/ptrace-costs.md).
 *
 * Prints "instructions=N steps=S seconds=T" on stdout once PROG has exited,
 * and exits with PROG's exit status (128 + signal if it was killed).
 *
 * What counts. A thread is observed at a rip whenever it stops there about to
 * execute the instruction at that rip: at the first stop after exec (the
 * loader's entry: its first instruction is the first one executed), at the
 * first stop of a new thread, after every single step, and on entry to a
 * signal handler. Each observation counts one executed instruction, except a
 * step that leaves the thread at the same rip on a rep-prefixed string
 * instruction: that is one more iteration of the same execution (single-
 * stepping traps once per iteration), so N counts the instruction once while
 * S counts every PTRACE_SINGLESTEP request (one per stop). Event stops
 * (clone, exec), group-stops and signal-delivery stops move nothing and count
 * nothing. An instruction that was about to run when a signal diverted the
 * thread into a handler did not execute: it is counted again when the
 * handler returns to it, so its first observation is taken back.
 *
 * Some hypervisors (seen on AMD EPYC VMs) emulate `cpuid` and drop its
 * single-step trap: that step ends after the next instruction, which is then
 * counted too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Per traced thread: where it was last observed. */
struct thread {
	pid_t tid;
	bool seen;        /* observed at least once */
	bool interrupted; /* a signal arrived before the instruction at rip ran */
	uint64_t rip;
};

static struct thread *threads;
static size_t nthreads, cap;

static uint64_t instructions, steps;

static void die(const char *what)
{
	fprintf(stderr, "bare-step: %s: %s\n", what, strerror(errno));
	exit(125);
}

static struct thread *find_thread(pid_t tid)
{
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i].tid == tid)
			return &threads[i];
	if (nthreads == cap) {
		cap = cap ? 2 * cap : 16;
		threads = realloc(threads, cap * sizeof(*threads));
		if (!threads)
			die("realloc");
	}
	threads[nthreads] = (struct thread){ .tid = tid };
	return &threads[nthreads++];
}

static void drop_thread(pid_t tid)
{
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i].tid == tid) {
			threads[i] = threads[--nthreads];
			return;
		}
}

/* True if the instruction at rip is a string instruction with a rep/repne
 * prefix: legacy prefixes including F2 or F3, an optional REX, then one of
 * ins/outs/movs/cmps/stos/lods/scas (6C-6F, A4-A7, AA-AF). */
static bool is_rep_string(pid_t tid, uint64_t rip)
{
	unsigned char b[16];
	for (int i = 0; i < 2; i++) {
		errno = 0;
		long w = ptrace(PTRACE_PEEKTEXT, tid, (void *)(rip + 8 * i), NULL);
		if (errno)
			return false;
		memcpy(b + 8 * i, &w, 8);
	}
	bool rep = false;
	size_t i = 0;
	for (; i < 14; i++) {
		unsigned char p = b[i];
		if (p == 0xf2 || p == 0xf3)
			rep = true;
		else if (!(p == 0x66 || p == 0x67 || p == 0x2e || p == 0x36 || p == 0x3e ||
			   p == 0x26 || p == 0x64 || p == 0x65 || p == 0xf0))
			break;
	}
	if ((b[i] & 0xf0) == 0x40) /* REX */
		i++;
	unsigned char op = b[i];
	return rep && ((op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) ||
		       (op >= 0xaa && op <= 0xaf));
}

/* Which addresses hold `cpuid` (0F A2), remembered so that checking every
 * step costs no PEEKTEXT once the code is known; forgotten at exec. */
static struct {
	uint64_t addr_plus_1; /* 0: empty slot */
	bool cpuid;
} code_seen[1 << 14];

static bool is_cpuid(pid_t tid, uint64_t rip)
{
	size_t slot = (rip ^ (rip >> 14)) & ((1 << 14) - 1);
	if (code_seen[slot].addr_plus_1 == rip + 1)
		return code_seen[slot].cpuid;
	errno = 0;
	long w = ptrace(PTRACE_PEEKTEXT, tid, (void *)rip, NULL);
	if (errno)
		return false;
	code_seen[slot].addr_plus_1 = rip + 1;
	code_seen[slot].cpuid = (w & 0xffff) == 0xa20f;
	return code_seen[slot].cpuid;
}

/* The thread stopped at rip, about to execute the instruction there. */
static void observe(struct thread *t, uint64_t rip, bool after_step)
{
	if (after_step && t->seen && rip == t->rip && is_rep_string(t->tid, rip))
		return; /* another iteration of the same rep instruction */
	if (after_step && t->seen && rip != t->rip + 2 && is_cpuid(t->tid, t->rip))
		instructions++; /* the step ran cpuid and the instruction after it */
	t->seen = true;
	t->interrupted = false;
	t->rip = rip;
	instructions++;
}

static uint64_t get_rip(pid_t tid)
{
	errno = 0;
	long rip = ptrace(PTRACE_PEEKUSER, tid, offsetof(struct user, regs.rip), NULL);
	return errno ? 0 : (uint64_t)rip;
}

/* Pin this process (and so its children) to the CPU it is running on. */
static void pin_to_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Forks a child that asks to be traced and stops, and steps it once.
 * Returns 0 if that works, 77 (a skipped test) if ptrace is not permitted. */
static int probe(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(77);
		raise(SIGSTOP);
		_exit(0);
	}
	int st, rc = 0;
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	if (WIFEXITED(st))
		rc = WEXITSTATUS(st) == 77 ? 77 : 1;
	else if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) || waitpid(pid, &st, 0) < 0)
		rc = 77;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (rc == 77)
		fprintf(stderr, "bare-step: ptrace not permitted\n");
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: bare-step [--pin|--no-pin] -- PROG [ARGS...] | bare-step --probe\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--probe"))
		return probe();
	bool pin = true;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--pin"))
			pin = true;
		else if (!strcmp(argv[i], "--no-pin"))
			pin = false;
		else
			usage();
	}
	if (i + 1 >= argc)
		usage();
	char **prog = argv + i + 1;

	if (pin)
		pin_to_one_cpu();
	double start = now();
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(prog[0], prog);
		fprintf(stderr, "bare-step: %s: %s\n", prog[0], strerror(errno));
		_exit(127);
	}

	int exit_status = 125;
	for (;;) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			die("waitpid");
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == child)
				exit_status = WIFEXITED(status) ? WEXITSTATUS(status)
								: 128 + WTERMSIG(status);
			drop_thread(tid);
			continue;
		}

		struct thread *t = find_thread(tid);
		int sig = WSTOPSIG(status), inject = 0;
		siginfo_t si;
		if (sig == SIGTRAP && (status >> 16)) {
			/* clone or exec event stop: nothing executed since the last
			 * stop; the following step reports where the thread goes */
			if (status >> 16 == PTRACE_EVENT_EXEC)
				memset(code_seen, 0, sizeof(code_seen));
		} else if (!t->seen) {
			/* first stop: the program after exec (set our options now),
			 * or a new thread (its initial SIGSTOP is swallowed) */
			if (tid == child &&
			    ptrace(PTRACE_SETOPTIONS, tid, NULL,
				   (void *)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
					    PTRACE_O_EXITKILL)))
				die("PTRACE_SETOPTIONS");
			observe(t, get_rip(tid), false);
		} else if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si)) {
			/* group-stop (no siginfo): resume without a signal */
		} else if (sig == SIGTRAP && (si.si_code == TRAP_TRACE || si.si_code == TRAP_BRKPT)) {
			/* single-step trap (TRAP_BRKPT: after a syscall instruction) */
			observe(t, get_rip(tid), true);
		} else if (sig == SIGTRAP && si.si_code == SIGTRAP) {
			/* entry into a signal handler, reported because we step */
			if (t->interrupted)
				instructions--;
			t->interrupted = false;
			observe(t, get_rip(tid), false);
		} else {
			/* a signal for the program: pass it through */
			t->interrupted = get_rip(tid) == t->rip;
			inject = sig;
		}
		if (ptrace(PTRACE_SINGLESTEP, tid, NULL, (void *)(long)inject) && errno != ESRCH)
			die("PTRACE_SINGLESTEP");
		steps++;
	}

	printf("instructions=%llu steps=%llu seconds=%.3f\n", (unsigned long long)instructions,
	       (unsigned long long)steps, now() - start);
	return exit_status;
}
