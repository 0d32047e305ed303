/* fib(n) by double recursion: fib(10) makes exactly 177 calls to fib
 * (calls(n) = 1 + calls(n-1) + calls(n-2), calls(0) = calls(1) = 1).
 * noinline/noipa and the empty asm keep every call a real call at -O2:
 * without them GCC turns one of the two recursive calls into a loop. */
#include "fib.h"

__attribute__((noinline, noipa)) int fib(int n)
{
	if (n < 2)
		return n;
	int a = fib(n - 1);
	int b = fib(n - 2);
	__asm__ volatile("" : "+r"(a), "+r"(b));
	return a + b;
}
