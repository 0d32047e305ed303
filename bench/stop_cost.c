/*
 * stop-cost: what one ptrace stop costs on this machine, with nothing
 * recorded, so that nosco-sql's per-stop cost (its --stats) can be put next
 * to the floor the kernel and hypervisor set (shared/notes/ptrace-costs.md
 * measured these once; machines change).
 *
 *   stop-cost [--no-pin] [STOPS]
 *
 * A forked child (no exec) runs one of two loops forever while the parent
 * drives it STOPS times (default 200000) per row:
 *   step       PTRACE_SINGLESTEP + waitpid over `nop; jmp back` (a #DB trap)
 *   int3       PTRACE_CONT + waitpid over `int3; jmp back` (a #BP trap)
 *   int3+regs  the same plus GETREGS, SETREGS and one PEEKDATA at rip: what
 *              a block engine needs at least at each stop
 *   int3+vm    int3+regs plus one 8-byte process_vm_readv (as for `ret`)
 * and prints microseconds per stop for each, and step / int3+regs.
 * --no-pin leaves the parent and the child free to run on any CPU; by
 * default both are pinned to the CPU the parent started on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The two loops the child runs; never return. */
void stop_cost_step_loop(void);
void stop_cost_int3_loop(void);
__asm__(".text\n"
	".globl stop_cost_step_loop\n"
	"stop_cost_step_loop:\n"
	"1: nop\n"
	"   jmp 1b\n"
	".globl stop_cost_int3_loop\n"
	"stop_cost_int3_loop:\n"
	"2: int3\n"
	"   jmp 2b\n");

enum row { ROW_STEP, ROW_INT3, ROW_INT3_REGS, ROW_INT3_VM, ROW_COUNT };
static const char *const row_names[ROW_COUNT] = { "step", "int3", "int3+regs", "int3+vm" };

static void die(const char *what)
{
	fprintf(stderr, "stop-cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A stopped, traced child running the loop of `row`. */
static pid_t start_child(enum row row)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
			_exit(2);
		raise(SIGSTOP);
		if (row == ROW_STEP)
			stop_cost_step_loop();
		stop_cost_int3_loop();
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		die("waitpid (first stop)");
	return pid;
}

static void wait_trap(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		errno = EINVAL;
		die("unexpected stop");
	}
}

static double seconds_per_stop(enum row row, long stops)
{
	pid_t pid = start_child(row);
	struct user_regs_struct regs;
	uint64_t word = 0;
	struct iovec local = { &word, sizeof(word) }, remote;
	double t0 = now();
	for (long i = 0; i < stops; i++) {
		if (ptrace(row == ROW_STEP ? PTRACE_SINGLESTEP : PTRACE_CONT, pid, NULL, NULL) != 0)
			die("ptrace resume");
		wait_trap(pid);
		if (row < ROW_INT3_REGS)
			continue;
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0)
			die("PTRACE_GETREGS");
		errno = 0;
		word = (uint64_t)ptrace(PTRACE_PEEKDATA, pid, (void *)regs.rip, NULL);
		if (errno)
			die("PTRACE_PEEKDATA");
		if (row == ROW_INT3_VM) {
			remote = (struct iovec){ (void *)regs.rsp, sizeof(word) };
			if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(word))
				die("process_vm_readv");
		}
		if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) != 0)
			die("PTRACE_SETREGS");
	}
	double t = now() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return t / stops;
}

int main(int argc, char **argv)
{
	int pin = 1;
	long stops = 200000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-pin") == 0)
			pin = 0;
		else if (strcmp(argv[i], "--pin") == 0)
			pin = 1;
		else if ((stops = strtol(argv[i], NULL, 10)) <= 0) {
			fprintf(stderr, "stop-cost: usage: stop-cost [--pin|--no-pin] [STOPS]\n");
			return 2;
		}
	}
	if (pin) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(sched_getcpu(), &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("sched_setaffinity");
	}
	double per[ROW_COUNT];
	printf("%-10s %10s %12s\n", "stop", "us/stop", "stops/s");
	for (int r = 0; r < ROW_COUNT; r++) {
		per[r] = seconds_per_stop((enum row)r, stops);
		printf("%-10s %10.2f %12.0f\n", row_names[r], per[r] * 1e6, 1 / per[r]);
		fflush(stdout);
	}
	printf("step / int3+regs: %.2f (%s, %ld stops per row)\n", per[ROW_STEP] / per[ROW_INT3_REGS],
	       pin ? "pinned" : "unpinned", stops);
	return 0;
}
