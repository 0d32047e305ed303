/* forker: main calls fib(10) (177 calls to fib), then forks; the child,
 * which nosco-sql does not follow, calls fib(10) too and exits 7 if the
 * result is 55. The parent exits 0 if the child exited 7. If the child
 * inherited an int3 of the tracer's, it would die of SIGTRAP instead.
 * Facts: one process and one thread traced; exactly 177 calls to fib
 * recorded (the parent's); exit status 0. */
#include <sys/wait.h>
#include <unistd.h>

#include "fib.h"

int main(void)
{
	if (fib(10) != 55)
		return 2;
	pid_t pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0)
		_exit(fib(10) == 55 ? 7 : 1);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 4;
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1;
}
