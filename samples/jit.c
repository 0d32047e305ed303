/* jit: generates code at run time, runs it, rewrites it and runs it again.
 * The first version is `mov eax, 7; ret`, the second `mov eax, 9; ret`;
 * each runs RUNS times. Exit status 0 if the results are right.
 * The trace must hold both versions: 2 instructions each, RUNS executions
 * each, at the same address. */
#include <string.h>
#include <sys/mman.h>

#define RUNS 3

typedef int (*fn)(void);

int main(void)
{
	static const unsigned char v1[] = { 0xb8, 7, 0, 0, 0, 0xc3 };
	static const unsigned char v2[] = { 0xb8, 9, 0, 0, 0, 0xc3 };
	unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		return 2;
	int sum = 0;
	memcpy(code, v1, sizeof(v1));
	for (int i = 0; i < RUNS; i++)
		sum += ((fn)code)();
	memcpy(code, v2, sizeof(v2));
	for (int i = 0; i < RUNS; i++)
		sum += ((fn)code)();
	return sum == RUNS * 7 + RUNS * 9 ? 0 : 1;
}
