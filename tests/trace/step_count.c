/*
 * step_count: an independent instruction counter for the tests. Runs PROG
 * under a bare PTRACE_SINGLESTEP loop and prints on stdout how many
 * instructions it executed, counting a rep-prefixed string instruction once
 * per execution: a stop at the same rip as the previous stop, on a string
 * instruction (movs, cmps, stos, lods, scas, ins, outs) with an f2/f3
 * legacy prefix, is a repeat and not counted.
 *
 * usage: step_count [--pin|--no-pin] -- PROG [ARGS...]
 *        step_count --probe
 *   --pin (default) pins itself and PROG to the CPU it runs on.
 *   --probe: only checks that a child can be traced and single-stepped.
 * Exit status: 0, 77 if ptrace is not permitted here, 1 on other errors.
 * PROG runs with this process's environment, stdin, stdout and stderr, and
 * no PATH search. Handles one thread only (no PTRACE_O_TRACECLONE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define SKIP 77

/* Reads up to 16 bytes of code at addr; returns how many could be read. */
static size_t peek_code(pid_t pid, uint64_t addr, uint8_t *buf)
{
	size_t n = 0;
	for (int w = 0; w < 2; w++) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKTEXT, pid, (void *)(addr + 8 * w), NULL);
		if (errno)
			break;
		memcpy(buf + 8 * w, &v, 8);
		n += 8;
	}
	return n;
}

/* True if the code is a string instruction with a rep/repne prefix. */
static bool is_rep_string(const uint8_t *b, size_t n)
{
	bool rep = false;
	size_t i = 0;
	for (; i < n; i++) {
		uint8_t c = b[i];
		if (c == 0xf2 || c == 0xf3)
			rep = true;
		else if (!(c == 0xf0 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26 ||
			   c == 0x64 || c == 0x65 || c == 0x66 || c == 0x67))
			break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40) /* REX */
		i++;
	if (!rep || i >= n)
		return false;
	uint8_t op = b[i];
	return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
	       (op >= 0x6c && op <= 0x6f);
}

/* Forks a child that asks to be traced and stops; steps it once. */
static int probe(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(SKIP);
		raise(SIGSTOP);
		_exit(0);
	}
	int st, rc = 0;
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	if (WIFEXITED(st))
		rc = WEXITSTATUS(st) == SKIP ? SKIP : 1;
	else if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) || waitpid(pid, &st, 0) < 0)
		rc = SKIP;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (rc == SKIP)
		fprintf(stderr, "step_count: ptrace not permitted\n");
	return rc;
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
			break;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "usage: step_count [--pin|--no-pin] -- PROG [ARGS...]\n");
		return 1;
	}
	char **prog = argv + i + 1;

	if (pin) {
		int cpu = sched_getcpu();
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("step_count: sched_setaffinity");
	}

	pid_t pid = fork();
	if (pid < 0) {
		perror("step_count: fork");
		return 1;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(SKIP);
		execv(prog[0], prog);
		fprintf(stderr, "step_count: %s: %s\n", prog[0], strerror(errno));
		_exit(127);
	}

	uint64_t count = 0, prev_rip = 0, stops = 0;
	for (;;) {
		int st;
		if (waitpid(pid, &st, 0) < 0) {
			perror("step_count: waitpid");
			return 1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (stops == 0) {
				int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
				if (code == SKIP)
					fprintf(stderr, "step_count: ptrace not permitted\n");
				else
					fprintf(stderr, "step_count: %s did not start\n", prog[0]);
				return code == SKIP ? SKIP : 1;
			}
			break;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st);
		if (stops++ == 0) {
			/* the SIGTRAP after execve: rip is the first instruction */
			if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL)) {
				perror("step_count: PTRACE_SETOPTIONS");
				kill(pid, SIGKILL);
				return errno == EPERM ? SKIP : 1;
			}
			sig = 0;
		}
		if (sig == SIGTRAP)
			sig = 0;
		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs)) {
			perror("step_count: PTRACE_GETREGS");
			return 1;
		}
		bool repeat = false;
		if (stops > 1 && regs.rip == prev_rip) {
			uint8_t code[16];
			size_t n = peek_code(pid, regs.rip, code);
			repeat = is_rep_string(code, n);
		}
		if (!repeat)
			count++;
		prev_rip = regs.rip;
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, (void *)(long)sig)) {
			if (errno == ESRCH)
				continue; /* died: wait reports it */
			perror("step_count: PTRACE_SINGLESTEP");
			return errno == EPERM ? SKIP : 1;
		}
	}
	printf("%llu\n", (unsigned long long)count);
	return 0;
}
