#define _GNU_SOURCE
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfinfo.h"
#include "nosco/procfs.h"
#include "ptrace_io.h"
#include "allocs.h"
#include "scopes.h"

/* The r_debug field the loader hook reads (x86-64 glibc ABI; the
 * link_map list itself is walked by nt_walk_link_map). */
enum { R_DEBUG_STATE = 24, RT_CONSISTENT = 0 };

uint32_t ldr_binary_id(const process *p, uint64_t addr)
{
	for (uint32_t i = 0; i < p->n_bins; i++) {
		const binary *b = &p->bins[i];
		if (b->live && addr >= b->lo && addr < b->hi)
			return b->id;
	}
	return 0;
}

void ldr_release(process *p)
{
	for (uint32_t i = 0; i < p->n_bins; i++) {
		free(p->bins[i].path);
		if (p->bins[i].image_fd >= 0)
			close(p->bins[i].image_fd);
	}
	free(p->bins);
	p->bins = NULL;
	p->n_bins = p->cap_bins = 0;
}

static void report_load(session *s, thread *t, binary *b, const char *build_id)
{
	if (!s->h->binary_load)
		return;
	nt_binary nb = {
		.id = b->id, .process_id = t->proc->id, .kind = b->kind, .path = b->path,
		.build_id = build_id && *build_id ? build_id : NULL, .base = b->base,
		.lo = b->lo, .hi = b->hi, .image_fd = b->image_fd, .load_thread_id = t->id,
	};
	s->h->binary_load(s->h->ctx, &nb, s->seq);
}

/* Adds a binary described by d (unbiased) at bias base and reports it. */
static int add_binary(session *s, thread *t, nt_binary_kind kind, const char *path,
		      uint64_t base, const elf_desc *d, int image_fd)
{
	process *p = t->proc;
	if (p->n_bins == p->cap_bins) {
		uint32_t cap = p->cap_bins ? p->cap_bins * 2 : 16;
		binary *bins = realloc(p->bins, cap * sizeof(*bins));
		if (!bins)
			return -ENOMEM;
		p->bins = bins;
		p->cap_bins = cap;
	}
	binary *b = &p->bins[p->n_bins];
	*b = (binary){ .id = ++s->next_binary_id, .kind = kind, .path = strdup(path),
		       .base = base, .lo = base + d->lo, .hi = base + d->hi,
		       .image_fd = image_fd, .live = true };
	if (!b->path)
		return -ENOMEM;
	p->n_bins++;
	p->bins_gen++;
	report_load(s, t, b, d->build_id);
	scope_binary_loaded(s, t, b);
	alloc_binary_loaded(s, t, b);
	return 0;
}

static void unload_binary(session *s, process *p, binary *b)
{
	b->live = false;
	p->bins_gen++;
	if (s->engine->invalidate)
		s->engine->invalidate(p, b->lo, b->hi);
	dec_invalidate(p->dec, b->lo, b->hi);
	bp_forget_range(p->bps, b->lo, b->hi);
	scope_forget_range(p, b->lo, b->hi);
	alloc_forget_range(p, b->lo, b->hi);
	if (s->h->binary_unload)
		s->h->binary_unload(s->h->ctx, b->id, s->seq);
}

static int read_auxv(pid_t pid, uint64_t *vals, size_t nvals)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unsigned char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	nt_parse_auxv(buf, (size_t)n, vals, nvals);
	return 0;
}

/* The last vdso image seen: the kernel maps the same one into every
 * process, so it is copied into a memfd and described once. */
struct ldr_vdso {
	void *image;
	uint64_t size;
	int fd;
	elf_desc d;
};

void ldr_session_release(session *s)
{
	if (!s->vdso)
		return;
	free(s->vdso->image);
	close(s->vdso->fd);
	free(s->vdso);
	s->vdso = NULL;
}

/* Reads the vdso's ELF image out of the tracee (*size bytes, malloc'd). */
static void *vdso_read(pid_t pid, uint64_t ehdr_addr, uint64_t *size_out)
{
	Elf64_Ehdr eh;
	if (pt_read_exact(pid, ehdr_addr, &eh, sizeof(eh)) < 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phnum > 64)
		return NULL;
	uint64_t size = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pt_read_exact(pid, ehdr_addr + eh.e_phoff + (uint64_t)i * sizeof(ph), &ph,
				  sizeof(ph)) < 0)
			return NULL;
		if (ph.p_offset + ph.p_filesz > size)
			size = ph.p_offset + ph.p_filesz;
	}
	if (size > (1 << 24))
		return NULL;
	void *buf = malloc(size);
	if (buf && pt_read_exact(pid, ehdr_addr, buf, size) < 0) {
		free(buf);
		buf = NULL;
	}
	*size_out = size;
	return buf;
}

/* An fd holding the vdso image of pid (the session's copy when it is the
 * same image) and its description, or -1. */
static int vdso_image(session *s, pid_t pid, uint64_t ehdr_addr, elf_desc *d)
{
	uint64_t size = 0;
	void *image = vdso_read(pid, ehdr_addr, &size);
	if (!image)
		return -1;
	struct ldr_vdso *v = s->vdso;
	if (v && v->size == size && !memcmp(v->image, image, size)) {
		free(image);
		*d = v->d;
		return fcntl(v->fd, F_DUPFD_CLOEXEC, 0);
	}
	int fd = memfd_create("nosco-vdso", MFD_CLOEXEC);
	if (fd >= 0 && (write(fd, image, size) != (ssize_t)size || elf_describe_fd(fd, d) < 0)) {
		close(fd);
		fd = -1;
	}
	struct ldr_vdso *nv = fd >= 0 ? malloc(sizeof(*nv)) : NULL;
	int copy = nv ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (copy < 0) {
		free(nv);
		free(image);
		return fd;
	}
	ldr_session_release(s);
	*nv = (struct ldr_vdso){ .image = image, .size = size, .fd = copy, .d = *d };
	s->vdso = nv;
	return fd;
}

int ldr_exec(session *s, thread *t)
{
	process *p = t->proc;
	for (uint32_t i = 0; i < p->n_bins; i++)
		if (p->bins[i].live)
			unload_binary(s, p, &p->bins[i]);
	p->r_debug = p->r_brk = 0;

	uint64_t aux[64] = { 0 };
	int r = read_auxv(p->pid, aux, 64);
	if (r < 0) {
		session_fail(s, "cannot read the auxiliary vector of %d: %s", p->pid, strerror(-r));
		return r;
	}
	char exe[PATH_MAX], link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", p->pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0) {
		session_fail(s, "cannot read %s: %s", link, strerror(errno));
		return -errno;
	}
	exe[n] = 0;
	elf_desc d;
	r = elf_cache_describe(s->elfs, link, &d);
	if (r < 0) {
		session_fail(s, "%s: cannot read its ELF headers", exe);
		return r;
	}
	r = add_binary(s, t, NT_BINARY_EXE, exe, aux[AT_PHDR] - d.phdr_vaddr, &d, -1);
	if (r < 0)
		return r;

	if (aux[AT_BASE] && d.interp[0]) {
		elf_desc di;
		char interp[PATH_MAX];
		/* The interpreter as this process sees it (it may be in a chroot). */
		snprintf(interp, sizeof(interp), "/proc/%d/root%s", p->pid, d.interp);
		if (elf_cache_describe(s->elfs, interp, &di) == 0) {
			add_binary(s, t, NT_BINARY_INTERP, d.interp, aux[AT_BASE], &di, -1);
			uint64_t brk_off, rdebug_off;
			if (elf_cache_loader_syms(s->elfs, interp, &brk_off, &rdebug_off) == 0) {
				p->r_brk = aux[AT_BASE] + brk_off;
				p->r_debug = aux[AT_BASE] + rdebug_off;
				r = bp_insert(p->bps, p->r_brk);
				if (r < 0) {
					session_fail(s, "cannot set the loader breakpoint: %s",
						     strerror(-r));
					return r;
				}
			}
		}
	}
	if (aux[AT_SYSINFO_EHDR]) {
		elf_desc dv;
		int fd = vdso_image(s, p->pid, aux[AT_SYSINFO_EHDR], &dv);
		if (fd >= 0)
			add_binary(s, t, NT_BINARY_VDSO, "[vdso]", aux[AT_SYSINFO_EHDR] - dv.lo, &dv,
				   fd);
	}
	return 0;
}

static void scan_link_map(session *s, thread *t, bool consistent);

int ldr_fork(session *s, thread *t)
{
	int r = ldr_exec(s, t);
	if (r == 0 && t->proc->r_debug)
		scan_link_map(s, t, true);
	return r;
}

static binary *find_live_by_base(process *p, uint64_t base, nt_binary_kind kind,
				 const char *path)
{
	for (uint32_t i = 0; i < p->n_bins; i++) {
		binary *b = &p->bins[i];
		if (!b->live || b->base != base)
			continue;
		if (b->kind != NT_BINARY_LIB || !strcmp(b->path, path))
			return b;
	}
	(void)kind;
	return NULL;
}

void ldr_on_brk(session *s, thread *t)
{
	process *p = t->proc;
	int32_t state;
	p->rescanned = false;
	if (!p->r_debug || pt_read_exact(p->pid, p->r_debug + R_DEBUG_STATE, &state, 4) < 0 ||
	    state != RT_CONSISTENT)
		return;
	scan_link_map(s, t, true);
}

void ldr_on_unknown_code(session *s, thread *t)
{
	process *p = t->proc;
	if (!p->r_debug || p->rescanned)
		return;
	p->rescanned = true;
	scan_link_map(s, t, false);
}

static ssize_t read_tracee(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pt_read(((process *)ctx)->pid, addr, buf, len);
}

struct lm_scan {
	session *s;
	thread *t;
	bool *seen;
};

/* One link_map entry: a binary already known, or a new one to report. */
static void lm_entry(void *ctx, uint64_t l_addr, const char *name)
{
	struct lm_scan *sc = ctx;
	process *p = sc->t->proc;
	binary *known = find_live_by_base(p, l_addr, NT_BINARY_LIB, name);
	if (!name[0] && !known) /* the main program: known since exec */
		return;
	if (known) {
		sc->seen[known - p->bins] = true;
		return;
	}
	char real[PATH_MAX + 32];
	snprintf(real, sizeof(real), "/proc/%d/root%s", p->pid, name);
	elf_desc d;
	if (name[0] != '/' || elf_cache_describe(sc->s->elfs, real, &d) < 0)
		return; /* e.g. linux-vdso.so.1 at an unexpected base */
	if (add_binary(sc->s, sc->t, NT_BINARY_LIB, name, l_addr, &d, -1) == 0)
		sc->seen[p->n_bins - 1] = true;
}

/* Walks the link_map list: reports objects not seen before, and, when
 * consistent is set, unloads the libraries no longer in it. */
static void scan_link_map(session *s, thread *t, bool consistent)
{
	process *p = t->proc;
	struct lm_scan sc = { s, t, calloc(p->n_bins + NT_LINK_MAP_MAX, sizeof(bool)) };
	if (!sc.seen)
		return;
	if (nt_walk_link_map(read_tracee, p, p->r_debug, lm_entry, &sc) < 0) {
		free(sc.seen);
		return;
	}
	for (uint32_t i = 0; consistent && i < p->n_bins; i++)
		if (p->bins[i].live && p->bins[i].kind == NT_BINARY_LIB && !sc.seen[i])
			unload_binary(s, p, &p->bins[i]);
	free(sc.seen);
}
