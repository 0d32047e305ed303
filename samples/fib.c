/* fib: main makes one call fib(10) (fib_impl.c, a separate file so it cannot
 * be inlined), which makes 177 calls to fib in all, 10 levels deep.
 * Exit status 0 if the result is 55. */
#include "fib.h"

int main(void)
{
	return fib(10) == 55 ? 0 : 1;
}
