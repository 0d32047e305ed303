/* qexport_folded: folded stacks (see nosco/qexport.h).
 *
 * Calls come in entry order; each is added to a calling-context tree: one
 * node per distinct stack of function names (root;...;callee), found from
 * its parent's node and its name. Each thread keeps the nodes of its open
 * calls by depth, so a call's parent node is the one at depth - 1. Memory
 * grows with the number of distinct stacks and names, not with calls. The
 * tree is written at the end, depth first, one line per stack with a
 * non-zero weight. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nosco/qexport.h"
#include "qexport_calls.h"

typedef struct fnode {
	uint32_t parent, first_child, last_child, next_sibling;
	uint32_t name;   /* index in names */
	uint64_t weight;
} fnode;

typedef struct fthread {
	long long id;
	uint32_t *stack; /* node of the open call at each depth */
	size_t len, cap;
} fthread;

typedef struct folded {
	fnode *nodes; /* nodes[0] is the root, above every thread's first call */
	size_t nnodes, cap_nodes;
	uint32_t *node_index; /* open addressing on (parent, name): node or 0 */
	size_t index_cap;

	char *text; /* the names, NUL-terminated, one after the other */
	size_t text_len, text_cap;
	size_t *names; /* offset of each name in text */
	size_t nnames, cap_names;
	uint32_t *name_index; /* open addressing on the text: name + 1, or 0 */
	size_t name_index_cap;

	fthread *threads;
	size_t nthreads, cap_threads;
	uint32_t *thread_index; /* open addressing on thread id: thread + 1, or 0 */
	size_t thread_index_cap;
} folded;

/* Grows the array whose pointer is at pp (*cap elements of sz bytes) to
 * hold at least n. The pointer is copied in and out with memcpy, so any
 * array type works without breaking aliasing rules. */
static int grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	if (n <= *cap)
		return 0;
	size_t c = *cap ? *cap : 16;
	while (c < n)
		c *= 2;
	void *p;
	memcpy(&p, pp, sizeof(p));
	void *q = realloc(p, c * sz);
	if (!q)
		return -1;
	memcpy(pp, &q, sizeof(q));
	*cap = c;
	return 0;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* A name as folded lines can hold it: ';' separates frames and a line
 * break ends the line, so those and other control characters become '_';
 * bytes that are not UTF-8 become U+FFFD (viewers read UTF-8). dst has
 * room for 3 * strlen(src) + 1 bytes. Returns the length written. */
static size_t fold_clean(char *dst, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = 0;
	while (*s) {
		unsigned char b = *s;
		size_t k = b >= 0x80 ? qx_utf8_len(s) : 1;
		if (b < 0x80) {
			dst[n++] = b == ';' || b < 0x20 || b == 0x7f ? '_' : (char)b;
		} else if (k) {
			memcpy(dst + n, s, k);
			n += k;
			s += k - 1;
		} else {
			memcpy(dst + n, "\xef\xbf\xbd", 3);
			n += 3;
		}
		s++;
	}
	dst[n] = 0;
	return n;
}

/* Rebuilds an open-addressing table of cap slots from scratch. key(i) gives
 * the hash of entry i (0-based); slots hold i + 1. */
static int rehash(uint32_t **index, size_t *cap, size_t n, uint64_t (*key)(folded *, size_t),
		  folded *f)
{
	size_t c = *cap ? *cap * 2 : 1024;
	uint32_t *t = calloc(c, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t s = key(f, i) & (c - 1);
		while (t[s])
			s = (s + 1) & (c - 1);
		t[s] = (uint32_t)(i + 1);
	}
	free(*index);
	*index = t;
	*cap = c;
	return 0;
}

static uint64_t name_key(folded *f, size_t i)
{
	return hash_text(f->text + f->names[i]);
}

static uint64_t node_hash(uint32_t parent, uint32_t name)
{
	return hash64((uint64_t)parent << 32 | name);
}

static uint64_t node_key(folded *f, size_t i)
{
	/* Node i + 1: the root is never in the index. */
	return node_hash(f->nodes[i + 1].parent, f->nodes[i + 1].name);
}

static uint64_t thread_key(folded *f, size_t i)
{
	return hash64((uint64_t)f->threads[i].id);
}

/* The index of name (interned). Returns 0 or -1 when out of memory. */
static int intern(folded *f, const char *raw, uint32_t *out)
{
	size_t raw_len = strlen(raw);
	if (grow(&f->text, &f->text_cap, f->text_len + 3 * raw_len + 1, 1) < 0)
		return -1;
	char *s = f->text + f->text_len; /* cleaned here, kept if new */
	size_t len = fold_clean(s, raw);
	uint64_t h = hash_text(s);
	if (f->name_index_cap) {
		for (size_t i = h & (f->name_index_cap - 1); f->name_index[i];
		     i = (i + 1) & (f->name_index_cap - 1)) {
			uint32_t n = f->name_index[i] - 1;
			if (!strcmp(f->text + f->names[n], s)) {
				*out = n;
				return 0;
			}
		}
	}
	if (f->nnames >= UINT32_MAX - 1 || grow(&f->names, &f->cap_names, f->nnames + 1,
						  sizeof(*f->names)) < 0)
		return -1;
	f->names[f->nnames] = f->text_len;
	f->text_len += len + 1;
	*out = (uint32_t)f->nnames++;
	if (2 * f->nnames > f->name_index_cap)
		return rehash(&f->name_index, &f->name_index_cap, f->nnames, name_key, f);
	size_t i = h & (f->name_index_cap - 1);
	while (f->name_index[i])
		i = (i + 1) & (f->name_index_cap - 1);
	f->name_index[i] = *out + 1;
	return 0;
}

/* The child of parent called name, made if new. Returns the node or 0 when
 * out of memory. */
static uint32_t child(folded *f, uint32_t parent, uint32_t name)
{
	uint64_t h = node_hash(parent, name);
	if (f->index_cap) {
		for (size_t i = h & (f->index_cap - 1); f->node_index[i];
		     i = (i + 1) & (f->index_cap - 1)) {
			uint32_t n = f->node_index[i];
			if (f->nodes[n].parent == parent && f->nodes[n].name == name)
				return n;
		}
	}
	if (f->nnodes >= UINT32_MAX - 1 ||
	    grow(&f->nodes, &f->cap_nodes, f->nnodes + 1, sizeof(*f->nodes)) < 0)
		return 0;
	uint32_t n = (uint32_t)f->nnodes++;
	f->nodes[n] = (fnode){ .parent = parent, .name = name };
	if (f->nodes[parent].last_child)
		f->nodes[f->nodes[parent].last_child].next_sibling = n;
	else
		f->nodes[parent].first_child = n;
	f->nodes[parent].last_child = n;
	/* The index holds node numbers (>= 1) directly. */
	if (2 * f->nnodes > f->index_cap) {
		if (rehash(&f->node_index, &f->index_cap, f->nnodes - 1, node_key, f) < 0)
			return 0;
		return n;
	}
	size_t i = h & (f->index_cap - 1);
	while (f->node_index[i])
		i = (i + 1) & (f->index_cap - 1);
	f->node_index[i] = n;
	return n;
}

/* The thread of id, made if new; NULL when out of memory. */
static fthread *thread_of(folded *f, long long id)
{
	uint64_t h = hash64((uint64_t)id);
	if (f->thread_index_cap) {
		for (size_t i = h & (f->thread_index_cap - 1); f->thread_index[i];
		     i = (i + 1) & (f->thread_index_cap - 1))
			if (f->threads[f->thread_index[i] - 1].id == id)
				return &f->threads[f->thread_index[i] - 1];
	}
	if (grow(&f->threads, &f->cap_threads, f->nthreads + 1, sizeof(*f->threads)) < 0)
		return NULL;
	size_t t = f->nthreads++;
	f->threads[t] = (fthread){ .id = id };
	if (2 * f->nthreads > f->thread_index_cap) {
		if (rehash(&f->thread_index, &f->thread_index_cap, f->nthreads, thread_key, f) < 0)
			return NULL;
	} else {
		size_t i = h & (f->thread_index_cap - 1);
		while (f->thread_index[i])
			i = (i + 1) & (f->thread_index_cap - 1);
		f->thread_index[i] = (uint32_t)(t + 1);
	}
	return &f->threads[t];
}

/* Adds one call at depth (relative to the export's first depth). */
static int add_call(folded *f, const qx_call *c, long long depth, uint64_t weight)
{
	fthread *t = thread_of(f, c->thread_id);
	uint32_t name;
	if (!t || intern(f, c->name, &name) < 0)
		return -1;
	/* A depth past the open calls (never in a trace nosco-sql wrote) is
	 * taken as one level under the innermost. */
	size_t d = depth < 0 ? 0 : (size_t)depth > t->len ? t->len : (size_t)depth;
	uint32_t n = child(f, d ? t->stack[d - 1] : 0, name);
	if (!n || grow(&t->stack, &t->cap, d + 1, sizeof(*t->stack)) < 0)
		return -1;
	t->stack[d] = n;
	t->len = d + 1;
	f->nodes[n].weight += weight;
	return 0;
}

/* Writes the tree depth first: each node with a weight as "path weight". */
static int write_tree(folded *f, FILE *out)
{
	char *path = NULL;
	size_t plen = 0, pcap = 0;
	size_t *lens = NULL, lcap = 0; /* path length before the node at each depth */
	size_t depth = 0;
	uint32_t n = f->nodes[0].first_child;
	int rc = 0;
	while (n) {
		const char *name = f->text + f->names[f->nodes[n].name];
		size_t len = strlen(name);
		if (grow(&lens, &lcap, depth + 1, sizeof(*lens)) < 0 ||
		    grow(&path, &pcap, plen + len + 2, 1) < 0) {
			rc = -1;
			break;
		}
		lens[depth] = plen;
		if (depth)
			path[plen++] = ';';
		memcpy(path + plen, name, len);
		plen += len;
		if (f->nodes[n].weight) {
			fwrite(path, 1, plen, out);
			fprintf(out, " %llu\n", (unsigned long long)f->nodes[n].weight);
		}
		if (f->nodes[n].first_child) {
			n = f->nodes[n].first_child;
			depth++;
			continue;
		}
		/* Leave n; climb until a node has a next sibling. */
		for (;;) {
			plen = lens[depth];
			if (f->nodes[n].next_sibling) {
				n = f->nodes[n].next_sibling;
				break;
			}
			n = f->nodes[n].parent;
			if (!n)
				break;
			depth--;
		}
	}
	free(path);
	free(lens);
	return rc;
}

static void folded_free(folded *f)
{
	for (size_t i = 0; i < f->nthreads; i++)
		free(f->threads[i].stack);
	free(f->threads);
	free(f->thread_index);
	free(f->nodes);
	free(f->node_index);
	free(f->text);
	free(f->names);
	free(f->name_index);
}

int qexport_folded(sqlite3 *db, FILE *out, const qexport_opts *o, char *err, size_t errlen)
{
	folded f = { 0 };
	if (grow(&f.nodes, &f.cap_nodes, 1, sizeof(*f.nodes)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f.nodes[0] = (fnode){ 0 };
	f.nnodes = 1;
	qx_cursor c;
	if (qx_open(&c, db, o, err, errlen) < 0) {
		folded_free(&f);
		return -1;
	}
	qx_call call;
	int rc;
	long long base = 0; /* with --call, that call's depth is the top */
	bool first = true;
	while ((rc = qx_next(&c, &call, err, errlen)) == 1) {
		if (first && o->call_id > 0)
			base = call.depth;
		first = false;
		uint64_t w = o->weight == QEXPORT_CALLS ? 1
			     : call.instructions > 0 ? (uint64_t)call.instructions : 0;
		if (add_call(&f, &call, call.depth - base, w) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	qx_close(&c);
	if (rc == 0 && write_tree(&f, out) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	folded_free(&f);
	return rc;
}
