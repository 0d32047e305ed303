/* bench-scoped: the workload of the scoped-tracing benchmark. It computes
 * for about a second outside any scope and calls scoped_step(), a small
 * function, 1000 times in between: `nosco-sql run --trace scoped_step`
 * should cost little more than running it untraced.
 * usage: bench-scoped [WORK]  (WORK: inner loop iterations per call) */
#include <stdio.h>
#include <stdlib.h>

#define CALLS 1000

__attribute__((noinline, noipa)) int scoped_step(int x)
{
	int y = x;
	for (int i = 0; i < 8; i++)
		y = y * 3 + i;
	return y;
}

/* Outside the scope: integer work the compiler cannot remove. */
__attribute__((noinline, noipa)) static unsigned long spin(unsigned long n, unsigned long seed)
{
	unsigned long h = seed;
	for (unsigned long i = 0; i < n; i++)
		h = (h ^ i) * 0x100000001b3ULL;
	return h;
}

int main(int argc, char **argv)
{
	unsigned long work = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long acc = 0;
	for (int i = 0; i < CALLS; i++) {
		acc += spin(work, acc);
		acc += (unsigned long)scoped_step(i);
	}
	printf("%lu\n", acc);
	return 0;
}
