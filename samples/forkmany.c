/* forkmany: forks 200 children, all alive at once: child i calls
 * child_work(i) once and exits with status i. The parent waits for them
 * all and exits 0 if each exited with its own number, 1 if not.
 * Facts: 201 processes (the parent and 200 children, each with one
 * thread), child_work called 200 times, once per child, and the exit
 * statuses of the children are 0 to 199, each once. */
#include <sys/wait.h>
#include <unistd.h>

enum { CHILDREN = 200 };

__attribute__((noinline, noipa)) int child_work(int i)
{
	return i;
}

int main(void)
{
	pid_t pids[CHILDREN];
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 2;
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 3;
		if (pids[i] == 0) {
			/* Wait until every child exists: all 200 alive at once. */
			char c;
			close(pipefd[1]);
			while (read(pipefd[0], &c, 1) < 0)
				;
			_exit(child_work(i));
		}
	}
	close(pipefd[0]);
	close(pipefd[1]); /* releases them all */
	int ok = 1;
	for (int i = 0; i < CHILDREN; i++) {
		int status;
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != i)
			ok = 0;
	}
	return ok ? 0 : 1;
}
