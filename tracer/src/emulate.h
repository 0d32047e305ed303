/* emulate: computes what a control-transfer instruction does, from the
 * registers and memory of a stopped thread, without executing it. This is
 * how the block engine steps over the int3 at the end of a run. */
#ifndef NOSCO_EMULATE_H
#define NOSCO_EMULATE_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/user.h>

#include "decoder.h"

/* True for instructions emu_apply() can emulate. */
bool emu_can(const dec_insn *in);

/* Applies in (at regs->rip) to regs and, for a call, pushes the return
 * address into pid's stack. Returns 0, or a negative errno when an operand
 * cannot be read (the caller then lets the CPU execute it). */
int emu_apply(pid_t pid, const dec_insn *in, struct user_regs_struct *regs);

/* Emulates the few straight-line instructions that start functions
 * (endbr64, nop, push of a register, test/mov between registers, sub/cmp
 * of a register and an 8-bit immediate, cmp of a RIP-relative byte), so a
 * thread can get past an int3 on one without lifting it (which would let
 * other threads run past it) and without a single step.
 * Returns 0, or -EINVAL when in is not one of them (or -errno). */
int emu_simple(pid_t pid, const dec_insn *in, struct user_regs_struct *regs);

/* Reads capstone register reg from regs (64-bit value, zero-extended for
 * 32-bit registers). Returns false for registers it does not know. */
bool emu_reg(const struct user_regs_struct *regs, unsigned reg, uint64_t *out);

#endif
