/* procfs: parsers of what the tracer reads from outside itself: /proc files
 * of the traced program and strings and lists in its memory. The program
 * controls all of it, so each parser is a pure function of its input
 * bytes, checked by a libFuzzer target (tests/fuzz). */
#ifndef NOSCO_PROCFS_H
#define NOSCO_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Splits a NUL-separated list (/proc/PID/cmdline, /proc/PID/environ) of
 * len bytes into a NULL-terminated array of strings, in one allocation
 * (free the array). Empty strings are kept; a last string without its NUL
 * (cut short) is kept too. Returns NULL when out of memory. */
char **nt_split_nul_list(const char *buf, size_t len);

/* Reads /proc/PID/NAME (cmdline or environ), at most max bytes, and splits
 * it as above. Returns NULL when it cannot be read or is empty. */
char **nt_proc_nul_list(pid_t pid, const char *name, size_t max);

/* In the text of a /proc/PID/status file, the hexadecimal mask of the line
 * "FIELD:\t0000000000000002" (SigPnd, SigBlk, SigCgt...). Returns 0, or -1
 * when the line is missing or malformed. */
int nt_status_mask(const char *text, size_t len, const char *field, uint64_t *mask);

/* Reads /proc/TID/status and returns the mask of FIELD (0 when unknown). */
uint64_t nt_proc_status_mask(pid_t tid, const char *field);

/* The entries of an auxiliary vector (/proc/PID/auxv: pairs of 64-bit type
 * and value, up to AT_NULL) of len bytes: vals[type] = value for each type
 * below nvals. Returns the number of pairs read. */
size_t nt_parse_auxv(const void *buf, size_t len, uint64_t *vals, size_t nvals);

/* dir + "/" + rel into out (len bytes, always terminated), without "."
 * components, doubled or trailing slashes (".." is kept: removing it
 * lexically would be wrong through a symlink). An empty result is "/" (or "" when len < 2). */
void nt_path_join(const char *dir, const char *rel, char *out, size_t len);

/* Reads the memory of the traced program: up to len bytes at addr into
 * buf. Returns the number of bytes read (short at an unmapped boundary) or
 * a negative errno. */
typedef ssize_t (*nt_mem_reader)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Reads a NUL-terminated string at addr, at most cap - 1 bytes (a longer
 * one is cut), a page at a time so that a string ending just before an
 * unmapped page is read. buf is always terminated. Returns 0, or -EFAULT
 * when nothing could be read. */
int nt_read_string(nt_mem_reader read, void *ctx, uint64_t addr, char *buf, size_t cap);

enum { NT_LINK_MAP_MAX = 4096 }; /* entries walked at most (a cycle ends) */

/* Walks the dynamic loader's link_map list from the r_debug structure at
 * r_debug (x86-64 glibc layout), calling entry(ctx, l_addr, name) for each
 * object: name is its l_name (empty when NULL or unreadable), at most
 * PATH_MAX - 1 bytes. Stops at the end of the list, at an unreadable entry
 * or after NT_LINK_MAP_MAX entries. Returns the number of entries, or -1
 * when r_debug itself cannot be read. */
int nt_walk_link_map(nt_mem_reader read, void *ctx, uint64_t r_debug,
		     void (*entry)(void *ctx, uint64_t l_addr, const char *name), void *entry_ctx);

#endif
