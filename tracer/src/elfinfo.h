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

#endif
