/*
 * asm_calls: a static program without libc that makes every kind of call
 * and return a tracer must recognize. Build: gcc -nostdlib -static -no-pie.
 *
 * _start makes 11 calls, each to a function that returns to _start, so all
 * 11 calls have depth 1 (the root call _start has depth 0) and end with
 * their ret. In call order:
 *
 *    #  call instruction            callee    callee returns with
 *    1  call rel32                  f_plain   ret
 *    2  call rel32                  f_repret  rep ret   (f3 c3)
 *    3  call rel32                  f_bndret  bnd ret   (f2 c3)
 *    4  call *%rax                  f_plain   ret       (indirect, register)
 *    5  notrack call *%rax          f_plain   ret       (3e ff d0)
 *    6  call *fptr(%rip)            f_plain   ret       (indirect, rip-relative memory)
 *    7  call *(%rbx)                f_plain   ret       (indirect, memory via register)
 *    8  bnd call rel32              f_plain   ret       (f2 e8)
 *    9  call rel32 (after push $0)  f_retimm  ret $8    (pops the pushed qword too)
 *   10  call rel32                  f_tail    jmp f_plain, whose ret ends f_tail
 *   11  call rel32                  f_tail2   jmp *%rax to f_plain, likewise
 *
 * So f_plain is the callee of 6 calls (1, 4-8), every other function of 1;
 * jumps are not calls (10 and 11 are tail calls: one call row each).
 * All calls but #9 enter with the same rsp (entry_sp); #9 enters 8 lower.
 * At the end _start checks that rsp is back where it started and exits
 * with status 0 (exit(1) if not: a tracer that emulates a return wrongly
 * changes the exit status).
 *
 * Executed instructions (the exit(1) path is not taken):
 *   _start: mov r12,rsp; call; call; call; lea rax; call; notrack call;
 *           call mem; lea rbx; call mem; bnd call; push; call; call; call;
 *           cmp; jne; xor edi; mov eax; syscall                   = 20
 *   calls 1,4,5,6,7,8 (f_plain): 2 each                           = 12
 *   f_repret 2, f_bndret 2, f_retimm 2                            =  6
 *   f_tail: jmp + nop + ret                                       =  3
 *   f_tail2: lea + jmp + nop + ret                                =  4
 *   total                                                         = 45
 * Per call (instructions recorded in the call itself): _start 20,
 * f_plain 2, f_repret 2, f_bndret 2, f_retimm 2, f_tail 3, f_tail2 4.
 */
	.text
	.globl	_start
	.type	_start, @function
_start:
	mov	%rsp, %r12
	call	f_plain
	call	f_repret
	call	f_bndret
	lea	f_plain(%rip), %rax
	call	*%rax
	notrack call *%rax
	call	*fptr(%rip)
	lea	fptr(%rip), %rbx
	call	*(%rbx)
	bnd call f_plain
	push	$0
	call	f_retimm
	call	f_tail
	call	f_tail2
	cmp	%rsp, %r12
	jne	1f
	xor	%edi, %edi
	mov	$60, %eax
	syscall
1:	mov	$1, %edi
	mov	$60, %eax
	syscall
	.size	_start, . - _start

	.type	f_plain, @function
f_plain:
	nop
	ret
	.size	f_plain, . - f_plain

	.type	f_repret, @function
f_repret:
	nop
	rep ret
	.size	f_repret, . - f_repret

	.type	f_bndret, @function
f_bndret:
	nop
	bnd ret
	.size	f_bndret, . - f_bndret

	.type	f_retimm, @function
f_retimm:
	nop
	ret	$8
	.size	f_retimm, . - f_retimm

	.type	f_tail, @function
f_tail:
	jmp	f_plain
	.size	f_tail, . - f_tail

	.type	f_tail2, @function
f_tail2:
	lea	f_plain(%rip), %rax
	jmp	*%rax
	.size	f_tail2, . - f_tail2

	.section .data.rel.ro, "aw"
	.p2align 3
fptr:	.quad	f_plain

	.section .note.GNU-stack, "", @progbits
