/* work_item: a small leaf function in its own file (never inlined). */
#include "work.h"

int work_item(int x)
{
	return x * 3 + 1;
}
