/* killed: dies of a signal. No argument: writes through a null pointer,
 * SIGSEGV (11), so the shell status is 139. Argument "kill": raise(SIGKILL)
 * (9), status 137. Argument "abort": abort(), SIGABRT (6), status 134. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "kill"))
		raise(SIGKILL);
	else if (argc > 1 && !strcmp(argv[1], "abort"))
		abort();
	else
		*(volatile int *)0 = 1;
	return 0;
}
