/* sigalrm: installs on_alarm() for SIGALRM with sigaction and raises SIGALRM
 * 3 times (raise delivers it synchronously: deterministic). Each delivery
 * runs on_alarm once, which calls on_tick() once: 3 signal-handler calls, 3
 * calls of on_tick. main then calls after_signals() once. Exit status 0 if
 * on_tick ran 3 times. */
#include <signal.h>
#include <string.h>

#include "tick.h"

static void on_alarm(int sig)
{
	(void)sig;
	on_tick();
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return 2;
	for (int i = 0; i < 3; i++)
		raise(SIGALRM);
	after_signals();
	return ticks() == 3 ? 0 : 1;
}
