/* decoder: decodes x86-64 instructions with capstone, once per distinct
 * address, and classifies them by how they transfer control. */
#ifndef NOSCO_DECODER_H
#define NOSCO_DECODER_H

#include <stdbool.h>
#include <stdint.h>

#include "nosco/tracer.h"

typedef enum dec_flow {
	DEC_FLOW_NONE,    /* falls through to the next instruction */
	DEC_FLOW_CALL,    /* near call (direct or indirect) */
	DEC_FLOW_RET,     /* near ret, ret imm16 */
	DEC_FLOW_JMP,     /* near jmp (direct or indirect) */
	DEC_FLOW_JCC,     /* conditional jump on flags */
	DEC_FLOW_LOOP,    /* loop/loope/loopne/jrcxz/jecxz on rcx */
	DEC_FLOW_SYSCALL, /* syscall */
	DEC_FLOW_OTHER,   /* int, far transfers, iret, ud2, hlt...: step it */
	DEC_FLOW_UNKNOWN, /* capstone cannot decode it: size unknown */
} dec_flow;

typedef enum dec_operand_kind {
	DEC_OP_NONE,
	DEC_OP_IMM, /* direct target in `target` */
	DEC_OP_REG, /* capstone register id in `reg` */
	DEC_OP_MEM, /* [segment: base + index * scale + disp] */
} dec_operand_kind;

typedef struct dec_insn {
	nt_insn pub;        /* id, addr, size, bytes, mnemonic, operands */
	dec_flow flow;
	bool rep_string;    /* rep/repne-prefixed string instruction */
	bool step_overrun;  /* cpuid: a hypervisor that emulates it may drop
			     * its single-step trap, so the step also runs
			     * the next instruction (seen on AMD EPYC VMs) */
	bool announced;     /* reported to the handler already */
	bool armed;         /* block engine holds an int3 here */
	bool generated;     /* outside every loaded binary: JIT or data */
	uint16_t cs_id;     /* capstone instruction id (which jcc, ...) */
	dec_operand_kind op_kind;
	uint64_t target;
	uint16_t reg, seg, base, index;
	int8_t scale;
	int64_t disp;
	uint16_t ret_pop;   /* imm16 of `ret imm16` */
	bool rip_relative;  /* memory operand relative to the next instruction */
} dec_insn;

typedef struct dec_cache dec_cache;

/* Returns a new, empty cache, or NULL (errno set). Instruction ids come
 * from *next_id, shared by all the caches of a session (one per address
 * space, and a new one after each exec), so they never repeat. */
dec_cache *dec_create(uint32_t *next_id);
void dec_destroy(dec_cache *c);

/* The cached instruction at addr, or NULL. */
dec_insn *dec_lookup(dec_cache *c, uint64_t addr);

/* Decodes the instruction at addr from code (avail bytes, with no
 * breakpoint bytes of ours in it) and caches it. Never fails for lack of
 * decodability: an undecodable instruction is cached with DEC_FLOW_UNKNOWN
 * and size 0 until dec_set_size() learns it. Returns NULL only when out of
 * memory. */
dec_insn *dec_decode(dec_cache *c, uint64_t addr, const uint8_t *code, size_t avail);

/* Records the size of an undecodable instruction, learned by stepping it:
 * from then on it is an ordinary straight-line instruction. */
void dec_set_size(dec_insn *insn, uint8_t size);

/* Forgets the cached instruction at addr (its bytes changed). */
void dec_forget(dec_cache *c, uint64_t addr);

/* Forgets cached instructions in [lo, hi) (code unmapped or rewritten).
 * Forgotten entries stay allocated until dec_destroy. */
void dec_invalidate(dec_cache *c, uint64_t lo, uint64_t hi);

#endif
