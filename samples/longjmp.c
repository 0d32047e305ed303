/* longjmp: 3 times, main does setjmp and calls deep(3), which recurses
 * deep(2), deep(1), deep(0); deep(0) longjmps back to main. So deep is
 * called 12 times and none of its calls returns (all left by longjmp:
 * unwound). After each landing main calls on_landed() (3 calls, children of
 * main), then after_all() once. Exit status 0 if main landed 3 times. */
#include <setjmp.h>

static jmp_buf env;
static volatile int sink;

__attribute__((noinline)) static void deep(int n)
{
	if (n == 0)
		longjmp(env, 1);
	deep(n - 1);
	sink = n; /* never reached */
}

__attribute__((noinline)) static void on_landed(void)
{
	sink++;
}

__attribute__((noinline)) static void after_all(void)
{
	sink = 0;
}

int main(void)
{
	volatile int landed = 0;
	for (volatile int i = 0; i < 3; i++) {
		if (setjmp(env) == 0) {
			deep(3);
		} else {
			landed++;
			on_landed();
		}
	}
	after_all();
	return landed == 3 ? 0 : 1;
}
