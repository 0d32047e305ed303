#define _GNU_SOURCE
#include "emulate.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ptrace_io.h"

enum { CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, OF = 1 << 11 };

bool emu_can(const dec_insn *in)
{
	switch (in->flow) {
	case DEC_FLOW_JCC:
	case DEC_FLOW_LOOP:
	case DEC_FLOW_RET:
		return true;
	case DEC_FLOW_JMP:
	case DEC_FLOW_CALL:
		return in->op_kind != DEC_OP_NONE;
	default:
		return false;
	}
}

#define R64(id, field) \
	case X86_REG_##id: *out = regs->field; return true
#define R32(id, field) \
	case X86_REG_##id: *out = regs->field & 0xffffffffULL; return true

bool emu_reg(const struct user_regs_struct *regs, unsigned reg, uint64_t *out)
{
	switch (reg) {
	R64(RAX, rax); R64(RBX, rbx); R64(RCX, rcx); R64(RDX, rdx);
	R64(RSI, rsi); R64(RDI, rdi); R64(RBP, rbp); R64(RSP, rsp);
	R64(R8, r8); R64(R9, r9); R64(R10, r10); R64(R11, r11);
	R64(R12, r12); R64(R13, r13); R64(R14, r14); R64(R15, r15);
	R32(EAX, rax); R32(EBX, rbx); R32(ECX, rcx); R32(EDX, rdx);
	R32(ESI, rsi); R32(EDI, rdi); R32(EBP, rbp); R32(ESP, rsp);
	R32(R8D, r8); R32(R9D, r9); R32(R10D, r10); R32(R11D, r11);
	R32(R12D, r12); R32(R13D, r13); R32(R14D, r14); R32(R15D, r15);
	case X86_REG_INVALID:
		*out = 0;
		return true;
	default:
		return false;
	}
}

static bool jcc_taken(unsigned id, uint64_t fl)
{
	bool cf = fl & CF, pf = fl & PF, zf = fl & ZF, sf = fl & SF, of = fl & OF;
	switch (id) {
	case X86_INS_JO: return of;
	case X86_INS_JNO: return !of;
	case X86_INS_JB: return cf;
	case X86_INS_JAE: return !cf;
	case X86_INS_JE: return zf;
	case X86_INS_JNE: return !zf;
	case X86_INS_JBE: return cf || zf;
	case X86_INS_JA: return !cf && !zf;
	case X86_INS_JS: return sf;
	case X86_INS_JNS: return !sf;
	case X86_INS_JP: return pf;
	case X86_INS_JNP: return !pf;
	case X86_INS_JL: return sf != of;
	case X86_INS_JGE: return sf == of;
	case X86_INS_JLE: return zf || sf != of;
	default: /* X86_INS_JG */ return !zf && sf == of;
	}
}

/* Whether the instruction uses a 32-bit address size (0x67 prefix). */
static bool addr32(const dec_insn *in)
{
	for (int i = 0; i < in->pub.size; i++) {
		uint8_t b = in->pub.bytes[i];
		if (b == 0x67)
			return true;
		if (!(b == 0x66 || b == 0xF2 || b == 0xF3 || b == 0x2E || b == 0x36 || b == 0x3E ||
		      b == 0x26 || b == 0x64 || b == 0x65 || b == 0xF0))
			break;
	}
	return false;
}

static bool loop_taken(const dec_insn *in, struct user_regs_struct *regs)
{
	bool a32 = addr32(in);
	uint64_t mask = a32 ? 0xffffffffULL : ~0ULL;
	bool zf = regs->eflags & ZF;
	switch (in->cs_id) {
	case X86_INS_JRCXZ:
		return regs->rcx == 0;
	case X86_INS_JECXZ:
		return (regs->rcx & 0xffffffffULL) == 0;
	case X86_INS_JCXZ:
		return (regs->rcx & 0xffffULL) == 0;
	default:
		break;
	}
	uint64_t count = ((regs->rcx & mask) - 1) & mask;
	regs->rcx = a32 ? (regs->rcx & ~0xffffffffULL) | count : count;
	if (in->cs_id == X86_INS_LOOPE)
		return count != 0 && zf;
	if (in->cs_id == X86_INS_LOOPNE)
		return count != 0 && !zf;
	return count != 0;
}

/* The target of an indirect jmp/call. */
static int operand_target(pid_t pid, const dec_insn *in, const struct user_regs_struct *regs,
			  uint64_t *target)
{
	uint64_t next = in->pub.addr + in->pub.size;
	switch (in->op_kind) {
	case DEC_OP_IMM:
		*target = in->target;
		return 0;
	case DEC_OP_REG:
		return emu_reg(regs, in->reg, target) ? 0 : -EINVAL;
	case DEC_OP_MEM: {
		uint64_t base = 0, index = 0;
		if (in->rip_relative)
			base = next;
		else if (!emu_reg(regs, in->base, &base))
			return -EINVAL;
		if (!emu_reg(regs, in->index, &index))
			return -EINVAL;
		uint64_t ea = base + index * (uint64_t)in->scale + (uint64_t)in->disp;
		if (addr32(in))
			ea &= 0xffffffffULL;
		if (in->seg == X86_REG_FS)
			ea += regs->fs_base;
		else if (in->seg == X86_REG_GS)
			ea += regs->gs_base;
		return pt_read_exact(pid, ea, target, sizeof(*target));
	}
	default:
		return -EINVAL;
	}
}

int emu_apply(pid_t pid, const dec_insn *in, struct user_regs_struct *regs)
{
	uint64_t next = in->pub.addr + in->pub.size;
	uint64_t target;
	int r;
	switch (in->flow) {
	case DEC_FLOW_JCC:
		regs->rip = jcc_taken(in->cs_id, regs->eflags) ? in->target : next;
		return 0;
	case DEC_FLOW_LOOP:
		regs->rip = loop_taken(in, regs) ? in->target : next;
		return 0;
	case DEC_FLOW_JMP:
		r = operand_target(pid, in, regs, &target);
		if (r == 0)
			regs->rip = target;
		return r;
	case DEC_FLOW_CALL:
		r = operand_target(pid, in, regs, &target);
		if (r < 0)
			return r;
		r = pt_write_data(pid, regs->rsp - 8, &next, sizeof(next));
		if (r < 0)
			return r;
		regs->rsp -= 8;
		regs->rip = target;
		return 0;
	case DEC_FLOW_RET:
		r = pt_read_exact(pid, regs->rsp, &target, sizeof(target));
		if (r < 0)
			return r;
		regs->rsp += 8 + in->ret_pop;
		regs->rip = target;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The general register numbered n (0 rax ... 15 r15) in instruction
 * encodings. */
static unsigned long long *gpr(struct user_regs_struct *regs, unsigned n)
{
	switch (n) {
	case 0: return &regs->rax;
	case 1: return &regs->rcx;
	case 2: return &regs->rdx;
	case 3: return &regs->rbx;
	case 4: return &regs->rsp;
	case 5: return &regs->rbp;
	case 6: return &regs->rsi;
	case 7: return &regs->rdi;
	case 8: return &regs->r8;
	case 9: return &regs->r9;
	case 10: return &regs->r10;
	case 11: return &regs->r11;
	case 12: return &regs->r12;
	case 13: return &regs->r13;
	case 14: return &regs->r14;
	default: return &regs->r15;
	}
}

/* Sets the status flags of a result res of `bits` bits: SF, ZF, PF from
 * it, CF/OF/AF as given (a logical operation clears them; AF is undefined
 * for those, and cleared as the CPUs we run on do). */
static void set_flags(struct user_regs_struct *regs, uint64_t res, unsigned bits, bool cf,
		      bool of, bool af)
{
	uint64_t fl = regs->eflags & ~(uint64_t)(CF | PF | AF | ZF | SF | OF);
	if (cf)
		fl |= CF;
	if (of)
		fl |= OF;
	if (af)
		fl |= AF;
	if (!res)
		fl |= ZF;
	if ((res >> (bits - 1)) & 1)
		fl |= SF;
	if (!(__builtin_popcount((unsigned)(res & 0xff)) & 1))
		fl |= PF;
	regs->eflags = fl;
}

/* a - b on `bits` bits: the flags of sub and cmp; returns the result. */
static uint64_t sub_flags(struct user_regs_struct *regs, uint64_t a, uint64_t b, unsigned bits)
{
	uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
	a &= mask;
	b &= mask;
	uint64_t res = (a - b) & mask;
	set_flags(regs, res, bits, a < b, (((a ^ b) & (a ^ res)) >> (bits - 1)) & 1,
		  (a ^ b ^ res) & 0x10);
	return res;
}

/* The register-only forms, and one memory form, of the instructions that
 * start allocators and other library functions, decoded from their bytes:
 *   [REX] 85 /r (mod 3)       test r32/r64, r32/r64
 *   REX.W 89 /r, 8b /r (mod 3) mov r64, r64
 *   REX.W 83 /5 /7 ib (mod 3)  sub, cmp r64, imm8
 *   80 3d disp32 ib            cmp byte [rip + disp32], imm8
 * Returns 0, or -EINVAL for anything else. */
static int emu_alu(pid_t pid, const dec_insn *in, struct user_regs_struct *regs)
{
	const uint8_t *b = in->pub.bytes;
	unsigned n = in->pub.size, rex = 0, i = 0;
	if (n && (b[0] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 2 > n)
		return -EINVAL;
	uint8_t op = b[i], modrm = b[i + 1];
	unsigned mod = modrm >> 6;
	unsigned reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	unsigned rm = (modrm & 7) | (rex & 1 ? 8 : 0);
	bool wide = rex & 8;
	uint64_t next = in->pub.addr + n;
	if (op == 0x85 && mod == 3 && i + 2 == n) {
		unsigned bits = wide ? 64 : 32;
		uint64_t res = *gpr(regs, reg) & *gpr(regs, rm);
		if (!wide)
			res &= 0xffffffffULL;
		set_flags(regs, res, bits, false, false, false);
	} else if ((op == 0x89 || op == 0x8b) && mod == 3 && wide && i + 2 == n) {
		if (op == 0x89)
			*gpr(regs, rm) = *gpr(regs, reg);
		else
			*gpr(regs, reg) = *gpr(regs, rm);
	} else if (op == 0x83 && mod == 3 && wide && i + 3 == n &&
		   ((modrm >> 3) & 7) == 5) {
		unsigned long long *dst = gpr(regs, rm);
		*dst = sub_flags(regs, *dst, (uint64_t)(int64_t)(int8_t)b[i + 2], 64);
	} else if (op == 0x83 && mod == 3 && wide && i + 3 == n &&
		   ((modrm >> 3) & 7) == 7) {
		sub_flags(regs, *gpr(regs, rm), (uint64_t)(int64_t)(int8_t)b[i + 2], 64);
	} else if (op == 0x80 && !rex && modrm == 0x3d && n == 7) {
		int32_t disp;
		memcpy(&disp, b + 2, sizeof(disp));
		uint8_t v;
		int r = pt_read_exact(pid, next + (uint64_t)(int64_t)disp, &v, 1);
		if (r < 0)
			return r;
		sub_flags(regs, v, b[6], 8);
	} else {
		return -EINVAL;
	}
	regs->rip = next;
	return 0;
}

int emu_simple(pid_t pid, const dec_insn *in, struct user_regs_struct *regs)
{
	uint64_t next = in->pub.addr + in->pub.size;
	switch (in->cs_id) {
	case X86_INS_ENDBR64:
	case X86_INS_NOP:
		regs->rip = next;
		return 0;
	case X86_INS_PUSH: {
		uint64_t v;
		/* Only 64-bit register pushes (no 0x66 prefix: size 1 or 2). */
		if (in->op_kind != DEC_OP_REG || in->pub.size > 2 || in->pub.bytes[0] == 0x66 ||
		    !emu_reg(regs, in->reg, &v))
			return -EINVAL;
		int r = pt_write_data(pid, regs->rsp - 8, &v, sizeof(v));
		if (r < 0)
			return r;
		regs->rsp -= 8;
		regs->rip = next;
		return 0;
	}
	case X86_INS_TEST:
	case X86_INS_MOV:
	case X86_INS_SUB:
	case X86_INS_CMP:
		return emu_alu(pid, in, regs);
	default:
		return -EINVAL;
	}
}
