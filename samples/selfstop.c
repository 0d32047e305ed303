/* selfstop: stops itself with SIGSTOP; a child it forked first sends it
 * SIGCONT 100 ms later, which its handler on_cont counts. Facts: two
 * processes; the parent makes kill(own pid, SIGSTOP) and the child
 * kill(parent, SIGCONT) (kill is syscall 62; SIGSTOP 19, SIGCONT 18);
 * on_cont runs exactly once, as a signal handler; the child exits 0, the
 * parent exits 0 once on_cont ran and the child is reaped. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t conts;

static void on_cont(int sig)
{
	(void)sig;
	conts++;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_cont };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCONT, &sa, NULL) < 0)
		return 2;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(kill(parent, SIGCONT) == 0 ? 0 : 1);
	}
	kill(parent, SIGSTOP);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		; /* EINTR: SIGCONT's handler ran */
	/* SIGCONT may still be on its way when the child is reaped. */
	for (int i = 0; i < 500 && !conts; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return conts == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
