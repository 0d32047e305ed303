/* procfs: parsers of /proc files and of the program's memory (see
 * nosco/procfs.h). Nothing here trusts its input: lengths are checked, and
 * every string it returns is terminated. */
#define _GNU_SOURCE
#include "nosco/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char **nt_split_nul_list(const char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == 0;
	if (len && buf[len - 1] != 0)
		n++; /* cut short: the last one has no NUL */
	if (n > (SIZE_MAX - len - 1) / sizeof(char *) - 1)
		return NULL;
	char **list = malloc((n + 1) * sizeof(char *) + len + 1);
	if (!list)
		return NULL;
	char *text = (char *)(list + n + 1);
	if (len)
		memcpy(text, buf, len);
	text[len] = 0;
	size_t k = 0;
	for (size_t i = 0; i < len && k < n; i += strlen(text + i) + 1)
		list[k++] = text + i;
	list[k] = NULL;
	return list;
}

/* Reads a whole (small, virtual) file: at most max bytes into a malloc'd
 * buffer with one spare byte. Returns the length, or -1. */
static ssize_t read_file(const char *path, size_t max, char **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (len == cap && cap < max) {
			cap = cap * 2 < max ? cap * 2 : max;
			char *b = realloc(buf, cap + 1);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
		}
		size_t want = (cap < max ? cap : max) - len;
		if (!want)
			break;
		ssize_t n = read(fd, buf + len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -1;
	*out = buf;
	return (ssize_t)len;
}

char **nt_proc_nul_list(pid_t pid, const char *name, size_t max)
{
	char path[64], *buf;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	ssize_t n = read_file(path, max, &buf);
	char **list = n > 0 ? nt_split_nul_list(buf, (size_t)n) : NULL;
	free(buf);
	return list;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nt_status_mask(const char *text, size_t len, const char *field, uint64_t *mask)
{
	size_t flen = strlen(field);
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *line = text + i;
		size_t llen = end - i;
		i = end + 1;
		if (llen <= flen || memcmp(line, field, flen) || line[flen] != ':')
			continue;
		size_t k = flen + 1;
		while (k < llen && (line[k] == ' ' || line[k] == '\t'))
			k++;
		uint64_t v = 0;
		int digits = 0;
		for (; k < llen && hex_digit(line[k]) >= 0; k++, digits++) {
			if (digits == 16)
				return -1; /* more than 64 bits */
			v = v << 4 | (uint64_t)hex_digit(line[k]);
		}
		while (k < llen && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (!digits || k != llen)
			return -1;
		*mask = v;
		return 0;
	}
	return -1;
}

uint64_t nt_proc_status_mask(pid_t tid, const char *field)
{
	char path[64], *buf;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	ssize_t n = read_file(path, 1 << 16, &buf);
	uint64_t mask = 0;
	if (n <= 0 || nt_status_mask(buf, (size_t)n, field, &mask) < 0)
		mask = 0;
	free(buf);
	return mask;
}

size_t nt_parse_auxv(const void *buf, size_t len, uint64_t *vals, size_t nvals)
{
	const unsigned char *p = buf;
	size_t pairs = 0;
	for (size_t off = 0; off + 16 <= len; off += 16) {
		uint64_t pair[2];
		memcpy(pair, p + off, sizeof(pair));
		if (pair[0] == 0) /* AT_NULL */
			break;
		if (pair[0] < nvals)
			vals[pair[0]] = pair[1];
		pairs++;
	}
	return pairs;
}

void nt_path_join(const char *dir, const char *rel, char *out, size_t len)
{
	if (!len)
		return;
	size_t dl = strlen(dir), rl = strlen(rel);
	char *tmp = malloc(dl + rl + 2);
	if (!tmp) {
		snprintf(out, len, "/");
		return;
	}
	memcpy(tmp, dir, dl);
	tmp[dl] = '/';
	memcpy(tmp + dl + 1, rel, rl + 1);
	size_t o = 0;
	for (const char *p = tmp; *p && o + 1 < len;) {
		if (*p != '/') {
			out[o++] = *p++;
			continue;
		}
		while (*p == '/')
			p++;
		if (p[0] == '.' && (p[1] == '/' || p[1] == 0)) {
			p++; /* a "." component */
			continue;
		}
		out[o++] = '/';
	}
	free(tmp);
	if (o > 1 && out[o - 1] == '/')
		o--;
	if (o == 0 && len > 1)
		out[o++] = '/';
	out[o] = 0;
}

int nt_read_string(nt_mem_reader read, void *ctx, uint64_t addr, char *buf, size_t cap)
{
	if (!cap)
		return -EFAULT;
	size_t done = 0;
	while (done + 1 < cap) {
		/* Up to the next page boundary at most. */
		size_t chunk = 4096 - ((addr + done) & 4095);
		if (chunk > cap - 1 - done)
			chunk = cap - 1 - done;
		ssize_t n = read(ctx, addr + done, buf + done, chunk);
		if (n <= 0)
			break;
		if ((size_t)n > chunk)
			n = (ssize_t)chunk;
		if (memchr(buf + done, 0, (size_t)n))
			return 0;
		done += (size_t)n;
	}
	buf[done] = 0;
	return done ? 0 : -EFAULT;
}

/* struct r_debug and struct link_map field offsets (x86-64 glibc ABI). */
enum { R_DEBUG_MAP = 8, LM_ADDR = 0, LM_NAME = 8, LM_NEXT = 24 };

static bool read_u64(nt_mem_reader read, void *ctx, uint64_t addr, uint64_t *v)
{
	return read(ctx, addr, v, sizeof(*v)) == (ssize_t)sizeof(*v);
}

int nt_walk_link_map(nt_mem_reader read, void *ctx, uint64_t r_debug,
		     void (*entry)(void *ctx, uint64_t l_addr, const char *name), void *entry_ctx)
{
	uint64_t lm = 0;
	if (!read_u64(read, ctx, r_debug + R_DEBUG_MAP, &lm))
		return -1;
	int count = 0;
	for (; lm && count < NT_LINK_MAP_MAX; count++) {
		uint64_t l_addr, l_name, l_next;
		if (!read_u64(read, ctx, lm + LM_ADDR, &l_addr) ||
		    !read_u64(read, ctx, lm + LM_NAME, &l_name) ||
		    !read_u64(read, ctx, lm + LM_NEXT, &l_next))
			break;
		char name[PATH_MAX] = "";
		if (l_name && nt_read_string(read, ctx, l_name, name, sizeof(name)) < 0)
			name[0] = 0;
		entry(entry_ctx, l_addr, name);
		lm = l_next;
	}
	return count;
}
