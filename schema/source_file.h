/* source_file: reads a source file named by a trace's line information, for
 * run --embed-sources: bounded, regular files only, never blocking on a
 * FIFO or a device. */
#ifndef NOSCO_SOURCE_FILE_H
#define NOSCO_SOURCE_FILE_H

#include <stddef.h>

/* What became of a path; the names are the sources.status column's. */
typedef enum src_status {
	SRC_OK,          /* read: data, size, sha256 */
	SRC_RELATIVE,    /* a relative path (to a build directory DWARF knows, not us) */
	SRC_MISSING,     /* no such file */
	SRC_UNREADABLE,  /* open or read failed (permission, I/O...) */
	SRC_NOT_REGULAR, /* a directory, FIFO, device... */
	SRC_TOO_LARGE,   /* over the size limit */
} src_status;

typedef struct src_file {
	src_status status;
	char *data;         /* SRC_OK: the bytes (malloc'ed), else NULL */
	size_t size;        /* SRC_OK: bytes read; SRC_TOO_LARGE: the file's size */
	char sha256[65];    /* SRC_OK: hex digest of data */
	char error[128];    /* otherwise: why, in a few words */
} src_file;

/* The status's name in the sources table. */
const char *src_status_name(src_status s);

/* Reads path (at most max bytes) into *f. Never fails: the outcome is
 * f->status. Free f->data with free(). */
void src_read(const char *path, size_t max, src_file *f);

#endif
