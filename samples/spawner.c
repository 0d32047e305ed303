/* spawner: starts /bin/true twice, first with vfork + execl, then with
 * posix_spawn (glibc: clone with CLONE_VM | CLONE_VFORK), waits for both,
 * then calls fib(15) (1973 calls to fib). Exit status 0 if both children
 * exited 0 and fib(15) == 610.
 * Facts: 3 processes, the two children each exec /bin/true once (2 execs),
 * both exit 0; the 1973 fib calls are all in process 1. A vfork child runs
 * in its parent's memory until it execs: a tracer that removed its int3s
 * from the child removed them from the parent too. */
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fib.h"

extern char **environ;

static int exited_zero(pid_t pid)
{
	int status;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	pid_t pid = vfork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (!exited_zero(pid))
		return 3;
	char *argv[] = { "true", NULL };
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0)
		return 4;
	if (!exited_zero(pid))
		return 5;
	return fib(15) == 610 ? 0 : 1;
}
