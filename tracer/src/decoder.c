#include "decoder.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct dec_cache {
	csh cs;
	bool cs_opened;
	cs_insn *scratch;
	dec_insn **slots; /* open addressing on addr; NULL = empty */
	size_t cap, used;
	dec_insn **all;   /* every entry ever made, for freeing */
	size_t n_all, cap_all;
	uint32_t *next_id; /* shared by every cache of a session */
};

static size_t slot_of(const dec_cache *c, uint64_t addr)
{
	uint64_t h = addr * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 20) & (c->cap - 1);
}

dec_cache *dec_create(uint32_t *next_id)
{
	dec_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->next_id = next_id;
	return c;
}

/* Opens capstone and the table at the first decode: a process that is
 * never decoded (one that forks and execs at once) costs nothing. Returns
 * 0 or -ENOMEM. */
static int dec_ready(dec_cache *c)
{
	if (c->slots)
		return 0;
	if (!c->cs_opened) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &c->cs) != CS_ERR_OK)
			return -ENOMEM;
		c->cs_opened = true;
		cs_option(c->cs, CS_OPT_DETAIL, CS_OPT_ON);
	}
	if (!c->scratch)
		c->scratch = cs_malloc(c->cs);
	if (!c->scratch)
		return -ENOMEM;
	/* Small at first (a process that only passes the loader hook decodes
	 * two instructions); grow() doubles it as it fills. */
	c->slots = calloc((size_t)1 << 10, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	c->cap = (size_t)1 << 10;
	return 0;
}

void dec_destroy(dec_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_all; i++) {
		free((char *)c->all[i]->pub.mnemonic);
		free((char *)c->all[i]->pub.operands);
		free(c->all[i]);
	}
	free(c->all);
	free(c->slots);
	if (c->scratch)
		cs_free(c->scratch, 1);
	if (c->cs_opened)
		cs_close(&c->cs);
	free(c);
}

dec_insn *dec_lookup(dec_cache *c, uint64_t addr)
{
	if (!c->used)
		return NULL;
	for (size_t i = slot_of(c, addr);; i = (i + 1) & (c->cap - 1)) {
		dec_insn *e = c->slots[i];
		if (!e || e->pub.addr == addr)
			return e;
	}
}

static void insert_slot(dec_insn **slots, size_t cap, dec_insn *e, const dec_cache *c)
{
	size_t i = slot_of(c, e->pub.addr);
	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = e;
}

static int grow(dec_cache *c)
{
	size_t old_cap = c->cap;
	dec_insn **old = c->slots;
	dec_insn **slots = calloc(old_cap * 2, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	c->cap = old_cap * 2;
	c->slots = slots;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			insert_slot(c->slots, c->cap, old[i], c);
	free(old);
	return 0;
}

/* True for a string instruction (movs, stos, lods, scas, cmps, ins, outs)
 * carrying an F2/F3 prefix: one execution may take many iterations. */
static bool is_rep_string(const uint8_t *b, size_t n)
{
	bool rep = false;
	size_t i = 0;
	for (; i < n; i++) {
		uint8_t p = b[i];
		if (p == 0xF2 || p == 0xF3)
			rep = true;
		else if (p == 0x66 || p == 0x67 || p == 0x2E || p == 0x36 || p == 0x3E ||
			 p == 0x26 || p == 0x64 || p == 0x65 || p == 0xF0)
			continue;
		else
			break;
	}
	if (i < n && (b[i] & 0xF0) == 0x40) /* REX */
		i++;
	if (!rep || i >= n)
		return false;
	uint8_t op = b[i];
	return (op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF) ||
	       (op >= 0x6C && op <= 0x6F);
}

/* Length of a VEX- or EVEX-encoded instruction (AVX, AVX-512) that
 * capstone 4 cannot decode, or 0 if b is not one. None of them transfers
 * control, so knowing the length is enough to keep it inside a run. */
static size_t vex_length(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xF2 || b[i] == 0xF3 ||
			 b[i] == 0x2E || b[i] == 0x36 || b[i] == 0x3E || b[i] == 0x26 ||
			 b[i] == 0x64 || b[i] == 0x65))
		i++;
	if (i + 1 >= n)
		return 0;
	unsigned map;
	switch (b[i]) {
	case 0xC5:
		map = 1;
		i += 2;
		break;
	case 0xC4:
		map = b[i + 1] & 0x1F;
		i += 3;
		break;
	case 0x62:
		map = b[i + 1] & 0x07;
		i += 4;
		break;
	default:
		return 0;
	}
	if (i >= n || map == 0 || map == 4 || map > 6)
		return 0;
	uint8_t op = b[i++];
	if (map == 1 && op == 0x77) /* vzeroupper, vzeroall */
		return i;
	if (i >= n)
		return 0;
	uint8_t modrm = b[i++];
	unsigned mod = modrm >> 6, rm = modrm & 7;
	if (mod != 3 && rm == 4) {
		if (i >= n)
			return 0;
		uint8_t sib = b[i++];
		if (mod == 0 && (sib & 7) == 5)
			i += 4;
	}
	if (mod == 0 && rm == 5)
		i += 4;
	else if (mod == 1)
		i += 1;
	else if (mod == 2)
		i += 4;
	if (map == 3 || (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xC2 ||
				      (op >= 0xC4 && op <= 0xC6))))
		i += 1;
	return i <= n && i <= 15 ? i : 0;
}

static dec_flow classify(const cs_insn *in)
{
	switch (in->id) {
	case X86_INS_CALL:
		return DEC_FLOW_CALL;
	case X86_INS_RET:
		return DEC_FLOW_RET;
	case X86_INS_JMP:
		return DEC_FLOW_JMP;
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
	case X86_INS_JRCXZ: case X86_INS_JECXZ: case X86_INS_JCXZ:
		return DEC_FLOW_LOOP;
	case X86_INS_JAE: case X86_INS_JA: case X86_INS_JBE: case X86_INS_JB:
	case X86_INS_JE: case X86_INS_JGE: case X86_INS_JG: case X86_INS_JLE:
	case X86_INS_JL: case X86_INS_JNE: case X86_INS_JNO: case X86_INS_JNP:
	case X86_INS_JNS: case X86_INS_JO: case X86_INS_JP: case X86_INS_JS:
		return DEC_FLOW_JCC;
	case X86_INS_SYSCALL:
		return DEC_FLOW_SYSCALL;
	default:
		break;
	}
	const cs_detail *d = in->detail;
	for (int i = 0; d && i < d->groups_count; i++) {
		switch (d->groups[i]) {
		case X86_GRP_JUMP: case X86_GRP_CALL: case X86_GRP_RET:
		case X86_GRP_INT: case X86_GRP_IRET: case X86_GRP_PRIVILEGE:
			return DEC_FLOW_OTHER;
		default:
			break;
		}
	}
	switch (in->id) {
	case X86_INS_UD2: case X86_INS_UD0: case X86_INS_HLT: case X86_INS_SYSENTER:
	case X86_INS_INT3: case X86_INS_INT: case X86_INS_INTO: case X86_INS_INT1:
	case X86_INS_XBEGIN: case X86_INS_XABORT: case X86_INS_XEND:
		return DEC_FLOW_OTHER;
	default:
		return DEC_FLOW_NONE;
	}
}

/* Copies the operand of a call/jmp (and ret's imm16) for emulation. */
static void take_operand(dec_insn *e, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	if (e->flow == DEC_FLOW_RET) {
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
			e->ret_pop = (uint16_t)x->operands[0].imm;
		return;
	}
	if (x->op_count < 1)
		return;
	const cs_x86_op *op = &x->operands[0];
	switch (op->type) {
	case X86_OP_IMM:
		e->op_kind = DEC_OP_IMM;
		e->target = (uint64_t)op->imm;
		break;
	case X86_OP_REG:
		e->op_kind = DEC_OP_REG;
		e->reg = (uint16_t)op->reg;
		break;
	case X86_OP_MEM:
		e->op_kind = DEC_OP_MEM;
		e->seg = (uint16_t)op->mem.segment;
		e->base = (uint16_t)op->mem.base;
		e->index = (uint16_t)op->mem.index;
		e->scale = (int8_t)op->mem.scale;
		e->disp = op->mem.disp;
		e->rip_relative = op->mem.base == X86_REG_RIP;
		break;
	default:
		break;
	}
}

dec_insn *dec_decode(dec_cache *c, uint64_t addr, const uint8_t *code, size_t avail)
{
	if (dec_ready(c) < 0)
		return NULL;
	if ((c->used + 1) * 2 > c->cap && grow(c) < 0)
		return NULL;
	if (c->n_all == c->cap_all) {
		size_t cap = c->cap_all ? c->cap_all * 2 : 4096;
		dec_insn **all = realloc(c->all, cap * sizeof(*all));
		if (!all)
			return NULL;
		c->all = all;
		c->cap_all = cap;
	}
	dec_insn *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pub.id = ++*c->next_id;
	e->pub.addr = addr;
	size_t n = avail < 15 ? avail : 15;
	memcpy(e->pub.bytes, code, n);

	const uint8_t *p = code;
	size_t left = n;
	uint64_t a = addr;
	if (n && cs_disasm_iter(c->cs, &p, &left, &a, c->scratch)) {
		const cs_insn *in = c->scratch;
		e->pub.size = (uint8_t)in->size;
		e->pub.mnemonic = strdup(in->mnemonic);
		e->pub.operands = strdup(in->op_str);
		e->cs_id = (uint16_t)in->id;
		e->flow = classify(in);
		e->rep_string = is_rep_string(code, in->size);
		e->step_overrun = in->id == X86_INS_CPUID;
		if (e->flow == DEC_FLOW_CALL || e->flow == DEC_FLOW_JMP ||
		    e->flow == DEC_FLOW_JCC || e->flow == DEC_FLOW_LOOP ||
		    e->flow == DEC_FLOW_RET || in->id == X86_INS_PUSH)
			take_operand(e, in);
		if (!e->pub.mnemonic || !e->pub.operands) {
			free((char *)e->pub.mnemonic);
			free((char *)e->pub.operands);
			free(e);
			return NULL;
		}
	} else {
		size_t len = vex_length(code, n);
		e->pub.size = (uint8_t)len;
		e->flow = len ? DEC_FLOW_NONE : DEC_FLOW_UNKNOWN;
	}
	c->all[c->n_all++] = e;
	insert_slot(c->slots, c->cap, e, c);
	c->used++;
	return e;
}

void dec_set_size(dec_insn *insn, uint8_t size)
{
	insn->pub.size = size;
	insn->flow = DEC_FLOW_NONE;
}

void dec_invalidate(dec_cache *c, uint64_t lo, uint64_t hi)
{
	if (!c->used)
		return;
	dec_insn **old = c->slots;
	dec_insn **slots = calloc(c->cap, sizeof(*slots));
	if (!slots) { /* keep correctness: drop everything we cannot rehash */
		memset(c->slots, 0, c->cap * sizeof(*c->slots));
		c->used = 0;
		return;
	}
	c->slots = slots;
	c->used = 0;
	for (size_t i = 0; i < c->cap; i++) {
		dec_insn *e = old[i];
		if (e && !(e->pub.addr >= lo && e->pub.addr < hi)) {
			insert_slot(c->slots, c->cap, e, c);
			c->used++;
		}
	}
	free(old);
}

void dec_forget(dec_cache *c, uint64_t addr)
{
	if (!c->used)
		return;
	size_t i = slot_of(c, addr);
	while (c->slots[i] && c->slots[i]->pub.addr != addr)
		i = (i + 1) & (c->cap - 1);
	if (!c->slots[i])
		return;
	c->slots[i] = NULL;
	c->used--;
	/* Re-place the rest of the probe cluster so lookups still find it. */
	for (size_t j = (i + 1) & (c->cap - 1); c->slots[j]; j = (j + 1) & (c->cap - 1)) {
		dec_insn *e = c->slots[j];
		c->slots[j] = NULL;
		insert_slot(c->slots, c->cap, e, c);
	}
}
