/*
 * bench-compute: a compute-bound workload for bench/run.sh. Integer
 * arithmetic, branches and small function calls, about 2.5 million executed
 * instructions in all (startup included) with the default count, so that
 * straight-line runs, calls and returns look like ordinary compiled code
 * rather than one tight loop.
 *
 *   bench-compute [ITERATIONS]     (default 36000)
 *
 * Prints a checksum so the work cannot be optimized away.
 */
#include <stdio.h>
#include <stdlib.h>

/* A few rounds of an integer hash: straight-line arithmetic. */
static __attribute__((noinline)) unsigned mix(unsigned x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	return x ^ (x >> 16);
}

/* Euclid on small numbers: a short data-dependent loop. */
static __attribute__((noinline)) unsigned gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* One iteration: calls, a data-dependent branch, a bit more arithmetic. */
static __attribute__((noinline)) unsigned step(unsigned acc, unsigned i)
{
	unsigned h = mix(acc + i);
	if (h & 1)
		acc += gcd((h >> 8) | 1, (i & 0xff) + 1);
	else
		acc ^= mix(h) >> 3;
	return acc * 31 + i;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 36000;
	unsigned acc = (unsigned)argc;
	for (unsigned long i = 0; i < n; i++)
		acc = step(acc, (unsigned)i);
	printf("%u\n", acc);
	return 0;
}
