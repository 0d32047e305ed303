/* Symbolization for trace consumers: function names, sizes and source
 * lines of addresses in the binaries a traced process loaded (libdwfl,
 * reading the files offline, so it never touches the tracee). */
#ifndef NOSCO_SYMBOLS_H
#define NOSCO_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct nt_symbolizer nt_symbolizer;

typedef struct nt_symbol {
	uint32_t binary_id;
	const char *raw_name; /* owned by the symbolizer; NULL if none */
	uint64_t addr;        /* the symbol's start address */
	uint64_t size;
	const char *file;     /* source file of the address, or NULL */
	int line;             /* 0 if unknown */
} nt_symbol;

/* Returns a new symbolizer or NULL (errno set). */
nt_symbolizer *nt_sym_create(void);
void nt_sym_destroy(nt_symbolizer *sym);

/* Adds a binary loaded at bias base. image_fd, if not -1, holds the file's
 * image (e.g. the vdso) and is not consumed. Returns 0 or a negative errno. */
int nt_sym_add(nt_symbolizer *sym, uint32_t binary_id, const char *path, int image_fd,
	       uint64_t base);
void nt_sym_remove(nt_symbolizer *sym, uint32_t binary_id);

/* Looks addr up. Returns false when no binary maps it; otherwise fills out
 * (raw_name NULL when no symbol covers it). Results are valid until the
 * next call. */
bool nt_sym_lookup(nt_symbolizer *sym, uint64_t addr, nt_symbol *out);

/* Returns a malloc'd demangled C++ name, or NULL if raw is not mangled. */
char *nt_demangle(const char *raw);

#endif
