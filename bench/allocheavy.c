/* allocheavy: an allocation-heavy workload for bench/alloc.sh.
 *
 *   bench-allocheavy [ROUNDS]   (default 100000)
 *
 * Each round mallocs a block of 1..512 bytes, touches it, and frees the
 * block allocated 64 rounds earlier; every 16th round reallocs instead. So
 * ROUNDS mallocs/reallocs and about as many frees: 2 * ROUNDS allocator
 * calls. Prints a checksum so the work cannot be optimized away. */
#include <stdio.h>
#include <stdlib.h>

#define RING 64

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100000;
	unsigned char *ring[RING] = { 0 };
	unsigned long sum = 0;
	for (long i = 0; i < rounds; i++) {
		size_t size = (size_t)(i * 37 % 512) + 1;
		unsigned char **slot = &ring[i % RING];
		if (i % 16 == 15 && *slot) {
			*slot = realloc(*slot, size);
		} else {
			free(*slot);
			*slot = malloc(size);
		}
		if (!*slot)
			return 1;
		(*slot)[0] = (unsigned char)i;
		(*slot)[size - 1] = (unsigned char)(i >> 8);
		sum += (*slot)[0] + (*slot)[size - 1];
	}
	for (int k = 0; k < RING; k++)
		free(ring[k]);
	printf("%lu\n", sum);
	return 0;
}
