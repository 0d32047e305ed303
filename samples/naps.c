/* naps: calls whose wall-clock time the source fixes, for measured time
 * (nosco-sql export --time measured). main calls nap() 3 times, each
 * sleeping 200 ms in nanosleep, and blink() 3 times, which returns at once.
 * So each nap call lasts at least 200 ms, main at least 600 ms, and every
 * blink call far less than a nap. Exits 0. */
#include <time.h>

#define NAPS 3
#define NAP_MS 200

static volatile int blinks;

__attribute__((noinline)) void nap(void)
{
	struct timespec ts = { 0, NAP_MS * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		; /* interrupted: sleep the rest */
}

__attribute__((noinline)) void blink(void)
{
	blinks++;
}

int main(void)
{
	for (int i = 0; i < NAPS; i++) {
		nap();
		blink();
	}
	return blinks == NAPS ? 0 : 1;
}
