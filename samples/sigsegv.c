/* sigsegv: a fault that a handler catches. main writes through a null
 * pointer 3 times; each time the SIGSEGV handler on_segv() siglongjmps back
 * into main. Exit status 0 if all 3 were caught.
 * Facts: 3 handler calls (kind 'signal'), each left by siglongjmp (so not
 * by its own ret); the faulting store never completes, so it is never
 * recorded as executed. */
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, 0);
	int caught = 0;
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(env, 1) == 0)
			*(volatile int *)0 = 1;
		else
			caught++;
	}
	return caught == 3 ? 0 : 1;
}
