/* libFuzzer target for what the tracer reads from the binaries a program
 * loads (any file the program chooses to map): the input is an ELF file,
 * described by tracer/src/elfinfo.c (headers, interpreter, build id,
 * symbol lookups) and symbolized by tracer/src/symbols.c (libdwfl symbol
 * tables and DWARF lines, our PLT naming from .rela.plt), and the names
 * found are demangled. An input starting with "_Z" is a symbol name to
 * demangle instead. Checks: no crash, strings terminated, a found symbol
 * inside the module. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfinfo.h"
#include "nosco/symbols.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void demangle(const char *name)
{
	char *d = nt_demangle(name);
	if (d && !d[0])
		abort();
	free(d);
}

static int each(void *ctx, const char *name, uint64_t value)
{
	int *n = ctx;
	demangle(name);
	(void)value;
	return ++*n >= 256; /* enough of them */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size >= 2 && data[0] == '_' && data[1] == 'Z') {
		char *name = strndup((const char *)data, size);
		if (name)
			demangle(name);
		free(name);
		return 0;
	}
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	elf_desc d;
	int r = elf_describe_fd(fd, &d);
	if (r == 0 && (strnlen(d.interp, sizeof(d.interp)) == sizeof(d.interp) ||
		       strnlen(d.build_id, sizeof(d.build_id)) == sizeof(d.build_id)))
		abort();
	uint64_t value;
	elf_find_symbol(path, "_dl_debug_state", &value);
	int n = 0;
	elf_each_function(path, each, &n);

	/* Symbolize addresses across the module, as the writer does. */
	const uint64_t base = 0x400000;
	nt_symbolizer *sym = nt_sym_create();
	if (sym && nt_sym_add(sym, 1, "/nonexistent/fuzz.elf", fd, base) == 0) {
		uint64_t lo = r == 0 ? d.lo : 0, hi = r == 0 ? d.hi : size;
		if (hi <= lo || hi - lo > (1u << 24))
			hi = lo + 4096;
		for (int k = 0; k < 64; k++) {
			uint64_t addr = base + lo + (hi - lo) * (uint64_t)k / 64;
			nt_symbol s;
			if (!nt_sym_lookup(sym, addr, &s))
				continue;
			if (s.binary_id != 1)
				abort();
			if (s.raw_name) {
				(void)strlen(s.raw_name);
				demangle(s.raw_name);
			}
			if (s.file)
				(void)strlen(s.file);
		}
		nt_sym_remove(sym, 1);
	}
	nt_sym_destroy(sym);
	close(fd);
	return 0;
}
