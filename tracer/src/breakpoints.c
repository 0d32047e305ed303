#include "breakpoints.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptrace_io.h"

struct bp_entry {
	uint64_t addr; /* 0 = empty slot */
	uint32_t refs;
	uint8_t orig;
	bool tomb;     /* deleted slot, keeps probe chains intact */
};

struct bp_table {
	pid_t pid; /* a stopped thread of the address space, for ptrace */
	struct bp_entry *slots;
	size_t cap, used; /* used counts live entries and tombstones */
	size_t live;
};

static size_t hash(uint64_t addr, size_t cap)
{
	return (size_t)((addr * 0x9E3779B97F4A7C15ULL) >> 24) & (cap - 1);
}

bp_table *bp_create(pid_t pid)
{
	bp_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pid = pid;
	t->cap = 1024;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void bp_destroy(bp_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

void bp_forget_all(bp_table *t)
{
	memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->used = t->live = 0;
}

static struct bp_entry *find(const bp_table *t, uint64_t addr)
{
	for (size_t i = hash(addr, t->cap);; i = (i + 1) & (t->cap - 1)) {
		struct bp_entry *e = &t->slots[i];
		if (e->addr == addr && !e->tomb)
			return e;
		if (!e->addr && !e->tomb)
			return NULL;
	}
}

static int rehash(bp_table *t, size_t cap)
{
	struct bp_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct bp_entry *e = &t->slots[i];
		if (!e->addr || e->tomb)
			continue;
		size_t j = hash(e->addr, cap);
		while (slots[j].addr)
			j = (j + 1) & (cap - 1);
		slots[j] = *e;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	t->used = t->live;
	return 0;
}

int bp_insert(bp_table *t, uint64_t addr)
{
	struct bp_entry *e = find(t, addr);
	if (e) {
		e->refs++;
		return 0;
	}
	if ((t->used + 1) * 2 > t->cap) {
		int r = rehash(t, t->live * 4 > t->cap ? t->cap * 2 : t->cap);
		if (r < 0)
			return r;
	}
	uint8_t orig;
	int r = pt_read_exact(t->pid, addr, &orig, 1);
	if (r < 0)
		return r;
	static const uint8_t int3 = 0xCC;
	r = pt_write(t->pid, addr, &int3, 1);
	if (r < 0)
		return r;
	size_t i = hash(addr, t->cap);
	while (t->slots[i].addr && !t->slots[i].tomb)
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i].tomb)
		t->used++;
	t->slots[i] = (struct bp_entry){ .addr = addr, .refs = 1, .orig = orig };
	t->live++;
	return 0;
}

int bp_remove(bp_table *t, uint64_t addr)
{
	struct bp_entry *e = find(t, addr);
	if (!e)
		return -ENOENT;
	if (--e->refs)
		return 0;
	int r = pt_write(t->pid, addr, &e->orig, 1);
	e->tomb = true;
	e->refs = 0;
	t->live--;
	return r;
}

void bp_remove_all(bp_table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct bp_entry *e = &t->slots[i];
		if (e->addr && !e->tomb)
			pt_write(t->pid, e->addr, &e->orig, 1);
	}
	bp_forget_all(t);
}

void bp_scrub_copy(const bp_table *t, pid_t other)
{
	for (size_t i = 0; i < t->cap; i++) {
		const struct bp_entry *e = &t->slots[i];
		if (e->addr && !e->tomb)
			pt_write(other, e->addr, &e->orig, 1);
	}
}

bool bp_is_set(const bp_table *t, uint64_t addr)
{
	return find(t, addr) != NULL;
}

ssize_t bp_read_code(const bp_table *t, uint64_t addr, uint8_t *buf, size_t len)
{
	ssize_t n = pt_read(t->pid, addr, buf, len);
	if (n <= 0)
		return n ? n : -EFAULT;
	if (!t->live)
		return n;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != 0xCC)
			continue;
		const struct bp_entry *e = find(t, addr + (uint64_t)i);
		if (e)
			buf[i] = e->orig;
	}
	return n;
}

int bp_lift(bp_table *t, uint64_t addr)
{
	const struct bp_entry *e = find(t, addr);
	return e ? pt_write(t->pid, addr, &e->orig, 1) : -ENOENT;
}

int bp_rearm(bp_table *t, uint64_t addr)
{
	static const uint8_t int3 = 0xCC;
	return find(t, addr) ? pt_write(t->pid, addr, &int3, 1) : -ENOENT;
}

void bp_forget_range(bp_table *t, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct bp_entry *e = &t->slots[i];
		if (e->addr && !e->tomb && e->addr >= lo && e->addr < hi) {
			e->tomb = true;
			t->live--;
		}
	}
}

void bp_set_accessor(bp_table *t, pid_t tid)
{
	t->pid = tid;
}
