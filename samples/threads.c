/* threads: main starts 3 threads and joins them: 4 threads in all.
 * Thread i (i = 0, 1, 2, started in this order) runs worker() once, which
 * calls work_item() 10 * (i + 1) times: 10, 20 and 30 calls. The main thread
 * calls work_item() never. Exit status 0 if every result is right. */
#include <pthread.h>
#include <stdint.h>

#include "work.h"

#define NTHREADS 3

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	long sum = 0;
	for (int k = 0; k < 10 * (i + 1); k++)
		sum += work_item(k);
	return (void *)(intptr_t)sum;
}

int main(void)
{
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
			return 2;
	int bad = 0;
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		if (pthread_join(t[i], &r))
			return 3;
		long n = 10 * (i + 1);
		/* sum of 3k+1 for k < n */
		if ((intptr_t)r != 3 * n * (n - 1) / 2 + n)
			bad = 1;
	}
	return bad;
}
