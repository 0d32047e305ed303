/* sigrestart: the parent blocks in read() on a pipe; its child waits until
 * it is blocked there (/proc/PPID/syscall starts with "0 ", read), sends it
 * SIGURG (whose default action is to ignore it), waits until it is blocked
 * again and writes one byte 'x'. Under a tracer the ignored signal still
 * interrupts the read, which the kernel restarts with no handler to run.
 * Facts: the parent's read is interrupted once (ret -512, ERESTARTSYS) and
 * then returns 1; its syscall instruction runs twice; the child exits 0;
 * the parent exits 0 once it read 'x' and reaped the child. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Waits until pid is blocked in read (syscall 0), a few seconds at most. */
static void wait_blocked_in_read(pid_t pid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int i = 0; i < 3000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		if (!strncmp(buf, "0 ", 2))
			break;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	struct timespec settle = { 0, 20 * 1000 * 1000 };
	nanosleep(&settle, NULL);
}

int main(void)
{
	int fd[2];
	if (pipe(fd) < 0)
		return 2;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		wait_blocked_in_read(parent);
		kill(parent, SIGURG);
		wait_blocked_in_read(parent);
		_exit(write(fd[1], "x", 1) == 1 ? 0 : 1);
	}
	char c = 0;
	ssize_t n = read(fd[0], &c, 1);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 4;
	return n == 1 && c == 'x' && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
