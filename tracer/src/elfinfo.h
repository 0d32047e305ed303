/* elfinfo: the few facts the tracer needs from an ELF file (libelf). */
#ifndef NOSCO_ELFINFO_H
#define NOSCO_ELFINFO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct elf_desc {
	bool is_64;          /* ELFCLASS64 x86-64 */
	bool is_dyn;         /* ET_DYN (PIE or shared object) */
	uint64_t lo, hi;     /* unbiased [lowest PT_LOAD vaddr, end of highest) */
	uint64_t phdr_vaddr; /* unbiased address of the program headers */
	uint64_t entry;
	char interp[256];    /* PT_INTERP, or "" */
	char build_id[81];   /* hex, or "" */
} elf_desc;

/* Describes the ELF file open at fd. Returns 0, or -ENOEXEC when it is not
 * an ELF file, or another negative errno. */
int elf_describe_fd(int fd, elf_desc *d);
int elf_describe_path(const char *path, elf_desc *d);

/* Finds a symbol by name in .symtab or .dynsym of the file at path and
 * stores its unbiased value. Returns 0 or -ENOENT. */
int elf_find_symbol(const char *path, const char *name, uint64_t *value);

/* Calls fn for every defined function symbol (STT_FUNC, nonzero value) of
 * .symtab and .dynsym of the file at path, with its unbiased value; a
 * nonzero return from fn stops the walk. Returns 0, or a negative errno
 * when the file cannot be read. */
int elf_each_function(const char *path, int (*fn)(void *ctx, const char *name, uint64_t value),
		      void *ctx);

/* The facts above, kept per file for a session: a binary mapped by many
 * processes (a shell's children, a build's compilers) is read once. A file
 * is known by its identity (device, inode, size, modification time), so a
 * file rebuilt in place is read again. */
typedef struct elf_cache elf_cache;

elf_cache *elf_cache_create(void);
void elf_cache_destroy(elf_cache *c);

/* elf_describe_path, or what it said of the same file before. */
int elf_cache_describe(elf_cache *c, const char *path, elf_desc *d);

/* The unbiased addresses of the loader's _dl_debug_state and _r_debug in
 * the file at path (elf_find_symbol of each, remembered). Returns 0 or
 * -ENOENT. */
int elf_cache_loader_syms(elf_cache *c, const char *path, uint64_t *brk, uint64_t *r_debug);

#endif
