/* attachee: a process to attach to. Prints "ready" and its pid, then for
 * 60 rounds calls work_item(k) for k < 200 and sleeps 50 ms (nanosleep:
 * a tracer may find it in the syscall). Also a second thread does the same
 * work in parallel. Prints the sum of all results (the main thread's and
 * the second thread's: 2 * 60 * sum of 3k+1 for k < 200 = 7188000) and
 * exits 0 if it is right. An int3 left behind would kill it with SIGTRAP;
 * a register or signal mask not restored would corrupt the sum.
 * Facts: exit status 0, output "sum 7188000". */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "work.h"

enum { ROUNDS = 60, ITEMS = 200 };

static void *rounds(void *arg)
{
	long sum = 0;
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < ITEMS; k++)
			sum += work_item(k);
		nanosleep(&pause, NULL);
	}
	*(long *)arg = sum;
	return NULL;
}

int main(void)
{
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	long main_sum = 0, other_sum = 0;
	/* Bind nanosleep now: two threads racing to resolve it lazily would
	 * make the trace differ from run to run. */
	struct timespec none = { 0, 0 };
	nanosleep(&none, NULL);
	pthread_t other;
	if (pthread_create(&other, NULL, rounds, &other_sum))
		return 2;
	rounds(&main_sum);
	if (pthread_join(other, NULL))
		return 3;
	long sum = main_sum + other_sum;
	printf("sum %ld\n", sum);
	return sum == 7188000L ? 0 : 1;
}
