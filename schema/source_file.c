/* Reading the source files a trace names (see source_file.h). */
#define _GNU_SOURCE
#include "source_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"

const char *src_status_name(src_status s)
{
	static const char *const names[] = { "ok", "relative", "missing", "unreadable",
					     "not_regular", "too_large" };
	return names[s];
}

static void src_fail(src_file *f, src_status s, const char *why)
{
	f->status = s;
	snprintf(f->error, sizeof(f->error), "%s", why);
}

void src_read(const char *path, size_t max, src_file *f)
{
	memset(f, 0, sizeof(*f));
	if (path[0] != '/') {
		src_fail(f, SRC_RELATIVE, "relative path");
		return;
	}
	/* stat first, so that a device is not even opened. */
	struct stat st;
	if (stat(path, &st) < 0) {
		src_fail(f, errno == ENOENT || errno == ENOTDIR ? SRC_MISSING : SRC_UNREADABLE,
			 strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		src_fail(f, SRC_NOT_REGULAR, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		src_fail(f, errno == ENOENT ? SRC_MISSING : SRC_UNREADABLE, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { /* replaced since the stat */
		src_fail(f, SRC_NOT_REGULAR, "not a regular file");
		close(fd);
		return;
	}
	if ((unsigned long long)st.st_size > max) {
		f->size = (size_t)st.st_size;
		snprintf(f->error, sizeof(f->error), "larger than %zu MiB", max >> 20);
		f->status = SRC_TOO_LARGE;
		close(fd);
		return;
	}
	/* Read to the end (one byte past max tells a file that grew). */
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len == cap) {
			if (len > max)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			src_fail(f, SRC_UNREADABLE, strerror(errno));
			free(buf);
			close(fd);
			return;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		src_fail(f, SRC_UNREADABLE, "out of memory");
		return;
	}
	if (len > max) {
		f->size = len;
		snprintf(f->error, sizeof(f->error), "larger than %zu MiB", max >> 20);
		f->status = SRC_TOO_LARGE;
		free(buf);
		return;
	}
	sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, buf, len);
	sha256_final_hex(&c, f->sha256);
	f->status = SRC_OK;
	f->data = buf;
	f->size = len;
}
