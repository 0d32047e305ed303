/* antidebug: the classic anti-debugging check: ptrace(PTRACE_TRACEME)
 * fails with EPERM when a tracer is already attached. Facts: it makes one
 * ptrace syscall (101) with request 0 (PTRACE_TRACEME), which fails with
 * EPERM (1) under a tracer; it then exits 3 ("being traced"), or 0 when
 * not traced. */
#include <errno.h>
#include <stdio.h>
#include <sys/ptrace.h>

int main(void)
{
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == -1 && errno == EPERM) {
		puts("being traced");
		return 3;
	}
	puts("not traced");
	return 0;
}
