/* libFuzzer target for what the tracer reads from a traced program's
 * memory (tracer/src/procfs.c): the input is a memory image at address
 * BASE, holding the dynamic loader's r_debug (at BASE) and link_map list,
 * which the program could have written anything into. The reader is like
 * process_vm_readv: short reads at the end of the image, a hole of
 * unreadable pages chosen by the input. Checks: the walk ends, each name is
 * a terminated string that was in the image, and reading strings never
 * goes outside the buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nosco/procfs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

enum { BASE = 0x10000 };

struct image {
	const unsigned char *data;
	size_t size;
	uint64_t hole_lo, hole_hi; /* unreadable [lo, hi) */
	size_t reads;
};

static ssize_t read_image(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct image *im = ctx;
	im->reads++;
	if (addr < BASE || addr - BASE >= im->size || (addr >= im->hole_lo && addr < im->hole_hi))
		return -EFAULT;
	size_t off = (size_t)(addr - BASE), n = im->size - off;
	if (n > len)
		n = len;
	/* Short before the hole, as at an unmapped page. */
	if (addr < im->hole_lo && addr + n > im->hole_lo)
		n = (size_t)(im->hole_lo - addr);
	memcpy(buf, im->data + off, n);
	return (ssize_t)n;
}

struct seen {
	struct image *im;
	int entries;
};

static void on_entry(void *ctx, uint64_t l_addr, const char *name)
{
	struct seen *s = ctx;
	s->entries++;
	size_t n = strlen(name);
	if (n >= PATH_MAX)
		abort();
	/* A non-empty name is bytes of the image. */
	if (n && !memmem(s->im->data, s->im->size, name, n))
		abort();
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "/proc/%d/root%s", 1, name);
	char joined[PATH_MAX];
	nt_path_join("/", path, joined, sizeof(joined));
	(void)l_addr;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 2)
		return 0;
	/* The first two bytes place a hole of unreadable pages. */
	struct image im = { data + 2, size - 2, 0, 0, 0 };
	if (data[0]) {
		im.hole_lo = BASE + (uint64_t)data[0] * 64;
		im.hole_hi = im.hole_lo + (uint64_t)(data[1] + 1) * 64;
	}
	struct seen s = { &im, 0 };
	int n = nt_walk_link_map(read_image, &im, BASE, on_entry, &s);
	if (n < -1 || n > NT_LINK_MAP_MAX || (n >= 0 && n != s.entries))
		abort();

	/* Strings at every offset of a short image, into small buffers. */
	for (size_t off = 0; off < im.size && off < 64; off++) {
		char small[7];
		int r = nt_read_string(read_image, &im, BASE + off, small, sizeof(small));
		if ((r != 0 && r != -EFAULT) || strnlen(small, sizeof(small)) == sizeof(small))
			abort();
	}
	return 0;
}
