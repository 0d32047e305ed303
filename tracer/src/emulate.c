#define _GNU_SOURCE
#include "emulate.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stddef.h>

#include "ptrace_io.h"

enum { CF = 1 << 0, PF = 1 << 2, ZF = 1 << 6, SF = 1 << 7, OF = 1 << 11 };

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
	default:
		return -EINVAL;
	}
}
