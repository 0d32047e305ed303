/* forever: loops until killed, calling spin() (its own file) again and
 * again. Prints "started" once on stdout first. Used to interrupt a trace. */
#include <stdio.h>

#include "spin.h"

int main(void)
{
	puts("started");
	fflush(stdout);
	for (;;)
		spin();
}
