/* libFuzzer target for the /proc parsers of tracer/src/procfs.c: any bytes
 * as /proc/PID/cmdline or environ, as a status file, as an auxiliary
 * vector, and (cut at a NUL) as the two halves of a path join. Besides what
 * the sanitizers catch, it checks their contracts: a split list joins back
 * to its input, a mask comes only from a well-formed line, a joined path is
 * absolute, normalized and fits its buffer. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nosco/procfs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_list(const char *buf, size_t len)
{
	char **list = nt_split_nul_list(buf, len);
	if (!list)
		abort();
	/* The strings, each with its NUL, are the input (plus a NUL when the
	 * last one was cut short). */
	size_t off = 0;
	for (size_t i = 0; list[i]; i++) {
		size_t n = strlen(list[i]);
		if (off + n > len || memcmp(list[i], buf + off, n))
			abort();
		off += n + 1;
	}
	if (off != len && off != len + 1)
		abort();
	if (len == 0 && list[0])
		abort();
	free(list);
}

static void check_mask(const char *buf, size_t len, const char *field)
{
	uint64_t mask = 0x5a5a;
	int r = nt_status_mask(buf, len, field, &mask);
	if (r != 0 && r != -1)
		abort();
	if (r == -1 && mask != 0x5a5a)
		abort(); /* untouched on failure */
	if (r == 0) {
		/* The field's line is in the input. */
		char key[16];
		snprintf(key, sizeof(key), "%s:", field);
		if (!memmem(buf, len, key, strlen(key)))
			abort();
	}
}

static void check_join(const char *dir, const char *rel, size_t cap)
{
	char out[64];
	memset(out, 'X', sizeof(out));
	nt_path_join(dir, rel, out, cap);
	size_t n = strnlen(out, cap);
	if (n >= cap || (n > 1 && out[n - 1] == '/'))
		abort();
	/* The tracer joins onto absolute directories (or ""): the result is
	 * absolute, and normalized unless it was cut to fit. */
	if ((dir[0] == '/' || !dir[0]) && cap > 1 && out[0] != '/')
		abort();
	if ((dir[0] == '/' || !dir[0]) && n + 1 < cap &&
	    (strstr(out, "//") || strstr(out, "/./") || (n >= 2 && !strcmp(out + n - 2, "/."))))
		abort();
	if (cap < sizeof(out) && out[cap] != 'X')
		abort(); /* wrote past its buffer */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *buf = (const char *)data;
	check_list(buf, size);
	check_mask(buf, size, "SigPnd");
	check_mask(buf, size, "SigCgt");

	uint64_t vals[64];
	memset(vals, 0, sizeof(vals));
	size_t pairs = nt_parse_auxv(data, size, vals, 64);
	if (pairs > size / 16)
		abort();

	/* Two NUL-terminated halves: up to the first NUL, then the rest. */
	char *copy = malloc(size + 2);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = copy[size + 1] = 0;
	const char *dir = copy, *rel = copy + strlen(copy) + 1;
	if (rel > copy + size)
		rel = copy + size;
	check_join(dir, rel, 64);
	check_join(dir, rel, 8);
	check_join("", rel, 2);
	check_join(rel, "", 1 + (size & 15));
	free(copy);
	return 0;
}
