#define _GNU_SOURCE
#include "nosco/symbols.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* From libstdc++ (the C++ ABI); declared here to keep this file C. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* A PLT entry, named like objdump and gdb do: "puts@plt". */
struct plt_entry {
	uint64_t addr;
	char *name;
};

struct module {
	uint32_t binary_id;
	char *path;
	int image_fd;
	uint64_t base;
	bool live;
	bool reported; /* in dwfl, its PLT read */
	struct plt_entry *plt;
	size_t n_plt;
	uint64_t plt_lo, plt_hi; /* the PLT section holding them */
};

/* Binaries are only noted when added: reading them (libdwfl, the PLT)
 * waits for the first lookup, which a trace without instructions, calls or
 * stacks (--syscalls-only) never makes. */
struct nt_symbolizer {
	Dwfl *dwfl;    /* NULL until the first lookup, and after a removal */
	size_t n_unreported; /* live modules added since dwfl was last synced */
	/* The last symbol found: instructions are looked up mostly in address
	 * order, and libdwfl searches a symbol table linearly. */
	Dwfl_Module *last_mod;
	const char *last_name;
	uint64_t last_lo, last_hi;
	struct module *mods;
	size_t n_mods, cap_mods;
};

static Dwfl *new_dwfl(nt_symbolizer *sym)
{
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	(void)sym;
	return dwfl_begin(&callbacks);
}

nt_symbolizer *nt_sym_create(void)
{
	nt_symbolizer *sym = calloc(1, sizeof(*sym));
	if (!sym)
		return NULL;
	elf_version(EV_CURRENT);
	return sym;
}

void nt_sym_destroy(nt_symbolizer *sym)
{
	if (!sym)
		return;
	if (sym->dwfl)
		dwfl_end(sym->dwfl);
	for (size_t i = 0; i < sym->n_mods; i++) {
		for (size_t k = 0; k < sym->mods[i].n_plt; k++)
			free(sym->mods[i].plt[k].name);
		free(sym->mods[i].plt);
		free(sym->mods[i].path);
		if (sym->mods[i].image_fd >= 0)
			close(sym->mods[i].image_fd);
	}
	free(sym->mods);
	free(sym);
}

static Elf_Scn *section_named(Elf *elf, size_t shstrndx, const char *name, GElf_Shdr *sh)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		const char *n = gelf_getshdr(scn, sh) ? elf_strptr(elf, shstrndx, sh->sh_name) : NULL;
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* Names the PLT entries of m from its .rela.plt: entry i of .plt.sec (or
 * entry i + 1 of .plt, whose entry 0 is the resolver stub) jumps through
 * the GOT slot of relocation i. Symbol tables have no names for them, and
 * every call into a shared library goes through one. */
static void load_plt(struct module *m)
{
	int fd = m->image_fd >= 0 ? dup(m->image_fd) : open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx;
	GElf_Shdr rela_sh, plt_sh, dynsym_sh;
	Elf_Scn *rela, *plt, *dynsym;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) < 0 ||
	    !(rela = section_named(elf, shstrndx, ".rela.plt", &rela_sh)))
		goto out;
	size_t first = 0;
	plt = section_named(elf, shstrndx, ".plt.sec", &plt_sh);
	if (!plt) {
		plt = section_named(elf, shstrndx, ".plt", &plt_sh);
		first = 1;
	}
	dynsym = elf_getscn(elf, rela_sh.sh_link);
	if (!plt || !dynsym || !gelf_getshdr(dynsym, &dynsym_sh) || !rela_sh.sh_entsize)
		goto out;
	Elf_Data *rd = elf_getdata(rela, NULL), *sd = elf_getdata(dynsym, NULL);
	size_t n = rela_sh.sh_size / rela_sh.sh_entsize;
	uint64_t entsize = 16;
	if (!rd || !sd || (first + n) * entsize > plt_sh.sh_size)
		goto out;
	m->plt = calloc(n, sizeof(*m->plt));
	for (size_t i = 0; m->plt && i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		if (!gelf_getrela(rd, (int)i, &r) ||
		    !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym))
			continue;
		const char *name = elf_strptr(elf, dynsym_sh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		size_t len = strlen(name) + 5;
		char *full = malloc(len);
		if (!full)
			continue;
		snprintf(full, len, "%s@plt", name);
		m->plt[m->n_plt++] = (struct plt_entry){
			m->base + plt_sh.sh_addr + (first + i) * entsize, full };
	}
	m->plt_lo = m->base + plt_sh.sh_addr;
	m->plt_hi = m->plt_lo + plt_sh.sh_size;
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

/* The PLT entry of a live module that contains addr, or NULL. */
static const struct plt_entry *plt_lookup(const nt_symbolizer *sym, uint64_t addr)
{
	for (size_t i = 0; i < sym->n_mods; i++) {
		const struct module *m = &sym->mods[i];
		if (!m->live || addr < m->plt_lo || addr >= m->plt_hi)
			continue;
		for (size_t k = 0; k < m->n_plt; k++)
			if (addr >= m->plt[k].addr && addr < m->plt[k].addr + 16)
				return &m->plt[k];
	}
	return NULL;
}

static void report(Dwfl *dwfl, const struct module *m)
{
	int fd = m->image_fd >= 0 ? dup(m->image_fd) : -1;
	/* The module name carries the binary id, so lookups can return it. */
	char name[32];
	snprintf(name, sizeof(name), "%u", m->binary_id);
	if (!dwfl_report_elf(dwfl, name, m->path, fd, m->base, false) && fd >= 0)
		close(fd);
}

int nt_sym_add(nt_symbolizer *sym, uint32_t binary_id, const char *path, int image_fd,
	       uint64_t base)
{
	if (sym->n_mods == sym->cap_mods) {
		size_t cap = sym->cap_mods ? sym->cap_mods * 2 : 16;
		struct module *mods = realloc(sym->mods, cap * sizeof(*mods));
		if (!mods)
			return -ENOMEM;
		sym->mods = mods;
		sym->cap_mods = cap;
	}
	struct module *m = &sym->mods[sym->n_mods];
	*m = (struct module){ .binary_id = binary_id, .path = strdup(path),
			      .image_fd = image_fd >= 0 ? dup(image_fd) : -1, .base = base,
			      .live = true };
	if (!m->path)
		return -ENOMEM;
	sym->n_mods++;
	sym->n_unreported++;
	return 0;
}

void nt_sym_remove(nt_symbolizer *sym, uint32_t binary_id)
{
	for (size_t i = 0; i < sym->n_mods; i++)
		if (sym->mods[i].binary_id == binary_id && sym->mods[i].live) {
			sym->mods[i].live = false;
			if (!sym->mods[i].reported)
				sym->n_unreported--;
		}
	/* Rare (dlclose): the next lookup rebuilds dwfl from the live ones. */
	if (sym->dwfl) {
		dwfl_end(sym->dwfl);
		sym->dwfl = NULL;
		sym->last_mod = NULL;
	}
}

/* Brings dwfl up to date with the live modules: made anew (with every
 * live module) when there is none, else the new ones added. */
static bool sync_dwfl(nt_symbolizer *sym)
{
	bool fresh = !sym->dwfl;
	if (!fresh && !sym->n_unreported)
		return true;
	if (fresh && !(sym->dwfl = new_dwfl(sym)))
		return false;
	sym->last_mod = NULL;
	if (fresh)
		dwfl_report_begin(sym->dwfl);
	else
		dwfl_report_begin_add(sym->dwfl);
	for (size_t i = 0; i < sym->n_mods; i++) {
		struct module *m = &sym->mods[i];
		if (!m->live || (m->reported && !fresh))
			continue;
		if (!m->reported)
			load_plt(m);
		m->reported = true;
		report(sym->dwfl, m);
	}
	dwfl_report_end(sym->dwfl, NULL, NULL);
	sym->n_unreported = 0;
	return true;
}

bool nt_sym_lookup(nt_symbolizer *sym, uint64_t addr, nt_symbol *out)
{
	memset(out, 0, sizeof(*out));
	if (!sync_dwfl(sym))
		return false;
	const struct plt_entry *plt = NULL;
	Dwfl_Module *mod = dwfl_addrmodule(sym->dwfl, addr);
	if (!mod)
		return false;
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	out->binary_id = modname ? (uint32_t)strtoul(modname, NULL, 10) : 0;
	if (mod == sym->last_mod && addr >= sym->last_lo && addr < sym->last_hi) {
		out->raw_name = sym->last_name;
		out->addr = sym->last_lo;
		out->size = sym->last_hi - sym->last_lo;
	} else if (!(plt = plt_lookup(sym, addr))) {
		GElf_Off off;
		GElf_Sym s;
		const char *name = dwfl_module_addrinfo(mod, addr, &off, &s, NULL, NULL, NULL);
		if (name && GELF_ST_TYPE(s.st_info) != STT_SECTION) {
			out->raw_name = name;
			out->addr = addr - off;
			out->size = s.st_size;
			if (s.st_size) {
				sym->last_mod = mod;
				sym->last_name = name;
				sym->last_lo = out->addr;
				sym->last_hi = out->addr + s.st_size;
			}
		}
	}
	if (plt) {
		out->raw_name = plt->name;
		out->addr = plt->addr;
		out->size = 16;
	}
	Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
	if (line) {
		int lineno = 0;
		const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file && lineno > 0) {
			out->file = file;
			out->line = lineno;
		}
	}
	return true;
}

char *nt_demangle(const char *raw)
{
	if (!raw || raw[0] != '_' || raw[1] != 'Z')
		return NULL;
	int status = 0;
	char *d = __cxa_demangle(raw, NULL, NULL, &status);
	return status == 0 ? d : NULL;
}
