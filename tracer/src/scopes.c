#define _GNU_SOURCE
#include "scopes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfinfo.h"
#include "nosco/symbols.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Whether the loaded binary b is the one scope sc names: its file name as
 * the loader gives it, or the name of the file it resolves to through
 * symlinks (libstdc++.so.6 -> libstdc++.so.6.0.30). */
static bool binary_matches(const process *p, const binary *b, const nt_scope *sc)
{
	if (!sc->binary)
		return b->kind == NT_BINARY_EXE;
	if (b->kind == NT_BINARY_VDSO)
		return !strcmp(sc->binary, "[vdso]");
	if (!strcmp(base_name(b->path), sc->binary))
		return true;
	char link[PATH_MAX + 32], real[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/root%s", p->pid, b->path);
	return realpath(link, real) && !strcmp(base_name(real), sc->binary);
}

/* Whether a symbol called raw is what the user named: the raw name, its
 * demangled name, or the demangled name without its argument list. */
static bool name_matches(const char *raw, const char *wanted)
{
	if (!strcmp(raw, wanted))
		return true;
	char *d = nt_demangle(raw);
	if (!d)
		return false;
	bool ok = !strcmp(d, wanted);
	char *paren = strchr(d, '(');
	if (!ok && paren) {
		*paren = 0;
		ok = !strcmp(d, wanted);
	}
	free(d);
	return ok;
}

static int add_entry(process *p, uint64_t addr, uint32_t scope)
{
	for (uint32_t i = 0; i < p->n_scope_entries; i++)
		if (p->scope_entries[i].addr == addr)
			return 0;
	struct scope_entry *e = realloc(p->scope_entries,
					(p->n_scope_entries + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	p->scope_entries = e;
	int r = bp_insert(p->bps, addr);
	if (r < 0)
		return r;
	e[p->n_scope_entries++] = (struct scope_entry){ addr, scope };
	return 0;
}

struct resolve_ctx {
	session *s;
	process *p;
	const binary *b;
	uint32_t k;
	int found;
};

static int resolve_one(void *arg, const char *name, uint64_t value)
{
	struct resolve_ctx *c = arg;
	const char *wanted = c->s->opts.scopes[c->k].symbol;
	if (!name_matches(name, wanted))
		return 0;
	int r = add_entry(c->p, c->b->base + value, c->k);
	if (r < 0)
		session_fail(c->s, "cannot set the entry breakpoint of scope '%s': %s", wanted,
			     strerror(-r));
	else
		c->found++;
	return 0;
}

/* Arms every function of binary b (at bias b->base, file at path) that
 * scope number k names. Returns how many were found. */
static int resolve(session *s, process *p, const binary *b, const char *path, uint32_t k)
{
	struct resolve_ctx c = { s, p, b, k, 0 };
	elf_each_function(path, resolve_one, &c);
	return c.found;
}

void scope_binary_loaded(session *s, thread *t, const binary *b)
{
	process *p = t->proc;
	for (uint32_t k = 0; k < s->opts.n_scopes; k++) {
		const nt_scope *sc = &s->opts.scopes[k];
		if (!binary_matches(p, b, sc))
			continue;
		s->scope_binary_seen[k] = true;
		char path[PATH_MAX + 32];
		if (b->image_fd >= 0)
			snprintf(path, sizeof(path), "/proc/self/fd/%d", b->image_fd);
		else
			snprintf(path, sizeof(path), "/proc/%d/root%s", p->pid, b->path);
		if (resolve(s, p, b, path, k))
			s->scope_found[k] = true;
	}
}

int scope_at(const process *p, uint64_t addr)
{
	for (uint32_t i = 0; i < p->n_scope_entries; i++)
		if (p->scope_entries[i].addr == addr)
			return (int)p->scope_entries[i].scope;
	return -1;
}

void scope_forget_range(process *p, uint64_t lo, uint64_t hi)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < p->n_scope_entries; i++)
		if (p->scope_entries[i].addr < lo || p->scope_entries[i].addr >= hi)
			p->scope_entries[kept++] = p->scope_entries[i];
	p->n_scope_entries = kept;
}

void scope_report_unmatched(const session *s, char *msg, size_t len)
{
	msg[0] = 0;
	for (uint32_t k = 0; k < s->opts.n_scopes; k++) {
		const nt_scope *sc = &s->opts.scopes[k];
		const char *bin = sc->binary ? sc->binary : "the executable";
		if (!s->scope_binary_seen[k]) {
			snprintf(msg, len, "scope '%s': %s was never loaded", sc->symbol, bin);
			return;
		}
		if (!s->scope_found[k]) {
			snprintf(msg, len, "scope '%s': no function of that name in %s", sc->symbol, bin);
			return;
		}
	}
}

void scope_release(process *p)
{
	free(p->scope_entries);
	p->scope_entries = NULL;
	p->n_scope_entries = 0;
}
