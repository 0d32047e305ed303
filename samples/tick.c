/* Functions of the sigalrm sample in their own file (never inlined). */
#include "tick.h"

static volatile int count;

void on_tick(void)
{
	count++;
}

int ticks(void)
{
	return count;
}

void after_signals(void)
{
	count += 0;
}
