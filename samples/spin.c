#include "spin.h"

static volatile unsigned long counter;

void spin(void)
{
	counter++;
}
