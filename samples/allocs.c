/* allocs: a known set of heap blocks, for --trace-alloc.
 *
 * make_blocks() mallocs 10 blocks of 100..109 bytes; keep_zeroed() callocs
 * 7 x 8 = 56 bytes; grow() reallocs the 103-byte block to 5000 bytes;
 * aligned() gets 64 bytes aligned to 256 from aligned_alloc and 32 aligned
 * to 64 from posix_memalign and frees both; release() frees every block
 * but the 5000-byte one and the 107-byte one. So the blocks the sample
 * allocates and never frees are exactly: 107 bytes (malloc, make_blocks),
 * 56 bytes (calloc, keep_zeroed) and 5000 bytes (realloc, grow).
 * The allocator calls of these functions: 10 malloc, 1 calloc, 1 realloc,
 * 1 aligned_alloc, 1 posix_memalign, 8 + 2 free. No stdio: libc allocates
 * nothing of its own.
 * Syscalls on heap blocks (for `alloc ADDR`): getcwd into the 103-byte block
 * before grow() reallocs it; the final message is written from the 107-byte
 * block, which is never freed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_BLOCKS 10

static char *blocks[N_BLOCKS];

__attribute__((noinline)) static void make_blocks(void)
{
	for (int i = 0; i < N_BLOCKS; i++)
		blocks[i] = malloc(100 + i);
}

__attribute__((noinline)) static void *keep_zeroed(void)
{
	return calloc(7, 8);
}

__attribute__((noinline)) static void grow(void)
{
	if (!getcwd(blocks[3], 100 + 3))
		blocks[3][0] = 0; /* a cwd longer than the block: no matter */
	blocks[3] = realloc(blocks[3], 5000);
}

__attribute__((noinline)) static int aligned(void)
{
	void *a = aligned_alloc(256, 64);
	void *b = NULL;
	int r = posix_memalign(&b, 64, 32);
	int ok = a && r == 0 && b && ((unsigned long)a & 255) == 0 && ((unsigned long)b & 63) == 0;
	free(a);
	free(b);
	return ok;
}

__attribute__((noinline)) static void release(void)
{
	for (int i = 0; i < N_BLOCKS; i++)
		if (i != 3 && i != 7)
			free(blocks[i]);
}

int main(void)
{
	make_blocks();
	char *z = keep_zeroed();
	grow();
	int ok = aligned();
	release();
	ok = ok && z && blocks[3] && blocks[7];
	memcpy(blocks[7], ok ? "allocs ok\n" : "allocs FAILED\n", ok ? 10 : 14);
	if (write(1, blocks[7], ok ? 10 : 14) < 0)
		return 2;
	return ok ? 0 : 1;
}
