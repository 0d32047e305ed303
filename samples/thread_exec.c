/* thread_exec: main starts a second thread, which calls execve of
 * /bin/true while main waits in pthread_join (forever: exec ends it).
 * The thread that exec'd takes the process's pid; the old main thread is
 * gone. Facts: 1 process, 2 threads, 1 exec (by thread 2, /bin/true),
 * exit status 0 (true's); exit status 1 if execve failed. */
#include <pthread.h>
#include <unistd.h>

static void *exec_true(void *arg)
{
	char *argv[] = { "true", NULL };
	execv("/bin/true", argv);
	_exit(1);
	return arg;
}

int main(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, exec_true, NULL))
		return 2;
	pthread_join(t, NULL);
	return 3;
}
