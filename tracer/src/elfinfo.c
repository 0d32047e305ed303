#include "elfinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ensure_libelf(void)
{
	static bool done;
	if (!done) {
		elf_version(EV_CURRENT);
		done = true;
	}
}

static void read_build_id(Elf *elf, elf_desc *d)
{
	size_t nph;
	if (elf_getphdrnum(elf, &nph) < 0)
		return;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		Elf_Data *data = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
						      ELF_T_NHDR);
		if (!data)
			continue;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4))
				continue;
			const unsigned char *id = (unsigned char *)data->d_buf + desc_off;
			size_t n = nh.n_descsz < 40 ? nh.n_descsz : 40;
			for (size_t k = 0; k < n; k++)
				snprintf(d->build_id + 2 * k, 3, "%02x", id[k]);
			return;
		}
	}
}

int elf_describe_fd(int fd, elf_desc *d)
{
	ensure_libelf();
	memset(d, 0, sizeof(*d));
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	int ret = -ENOEXEC;
	GElf_Ehdr eh;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		goto out;
	d->is_64 = eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_machine == EM_X86_64;
	d->is_dyn = eh.e_type == ET_DYN;
	d->entry = eh.e_entry;
	size_t nph;
	if (elf_getphdrnum(elf, &nph) < 0)
		goto out;
	bool any = false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD) {
			uint64_t lo = ph.p_vaddr & ~(uint64_t)4095;
			uint64_t hi = ph.p_vaddr + ph.p_memsz;
			if (!any || lo < d->lo)
				d->lo = lo;
			if (!any || hi > d->hi)
				d->hi = hi;
			any = true;
		} else if (ph.p_type == PT_PHDR) {
			d->phdr_vaddr = ph.p_vaddr;
		} else if (ph.p_type == PT_INTERP) {
			size_t n = ph.p_filesz < sizeof(d->interp) ? ph.p_filesz : sizeof(d->interp) - 1;
			if (pread(fd, d->interp, n, (off_t)ph.p_offset) != (ssize_t)n)
				d->interp[0] = 0;
			d->interp[n] = 0;
		}
	}
	/* Without PT_PHDR, the headers sit at e_phoff inside the first segment. */
	if (!d->phdr_vaddr)
		d->phdr_vaddr = d->lo + eh.e_phoff;
	read_build_id(elf, d);
	ret = any ? 0 : -ENOEXEC;
out:
	elf_end(elf);
	return ret;
}

int elf_describe_path(const char *path, elf_desc *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = elf_describe_fd(fd, d);
	close(fd);
	return r;
}

int elf_find_symbol(const char *path, const char *name, uint64_t *value)
{
	ensure_libelf();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int ret = -ENOENT;
	Elf_Scn *scn = NULL;
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; data && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || !sym.st_value)
				continue;
			const char *s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name)) {
				*value = sym.st_value;
				ret = 0;
				goto out;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

int elf_each_function(const char *path, int (*fn)(void *ctx, const char *name, uint64_t value),
		      void *ctx)
{
	ensure_libelf();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int stop = 0;
	for (Elf_Scn *scn = NULL; elf && !stop && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; data && !stop && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value || sym.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name)
				stop = fn(ctx, name, sym.st_value);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return 0;
}

struct elf_fact {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int describe_r; /* elf_describe_path's result */
	elf_desc d;
	int syms_r;     /* elf_cache_loader_syms's, or 1 while unknown */
	uint64_t brk, r_debug;
};

struct elf_cache {
	struct elf_fact *facts;
	size_t n, cap;
};

elf_cache *elf_cache_create(void)
{
	return calloc(1, sizeof(elf_cache));
}

void elf_cache_destroy(elf_cache *c)
{
	if (c)
		free(c->facts);
	free(c);
}

/* The entry of the file at path, made (and described) if new; NULL when
 * the file cannot be stat'ed or memory is short (*err says why). */
static struct elf_fact *fact_of(elf_cache *c, const char *path, int *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*err = -errno;
		return NULL;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct elf_fact *f = &c->facts[i];
		if (f->ino == st.st_ino && f->dev == st.st_dev && f->size == st.st_size &&
		    f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec)
			return f;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct elf_fact *facts = realloc(c->facts, cap * sizeof(*facts));
		if (!facts) {
			*err = -ENOMEM;
			return NULL;
		}
		c->facts = facts;
		c->cap = cap;
	}
	struct elf_fact *f = &c->facts[c->n];
	*f = (struct elf_fact){ .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
				.mtime = st.st_mtim, .syms_r = 1 };
	f->describe_r = elf_describe_path(path, &f->d);
	if (f->describe_r == -ENOENT || f->describe_r == -ENOMEM || f->describe_r == -EMFILE) {
		*err = f->describe_r; /* gone or out of resources: not a fact of the file */
		return NULL;
	}
	c->n++;
	return f;
}

int elf_cache_describe(elf_cache *c, const char *path, elf_desc *d)
{
	int err = 0;
	struct elf_fact *f = fact_of(c, path, &err);
	if (!f)
		return err;
	*d = f->d;
	return f->describe_r;
}

int elf_cache_loader_syms(elf_cache *c, const char *path, uint64_t *brk, uint64_t *r_debug)
{
	int err = 0;
	struct elf_fact *f = fact_of(c, path, &err);
	if (!f)
		return err;
	if (f->syms_r > 0)
		f->syms_r = elf_find_symbol(path, "_dl_debug_state", &f->brk) == 0 &&
				    elf_find_symbol(path, "_r_debug", &f->r_debug) == 0
			    ? 0
			    : -ENOENT;
	*brk = f->brk;
	*r_debug = f->r_debug;
	return f->syms_r;
}
