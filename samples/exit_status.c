/* exit_status: exits with status 42 through exit(). */
#include <stdlib.h>

int main(void)
{
	exit(42);
}
