/*
 * asm_exact: a static program without libc whose executed instructions are
 * known exactly from this source. Build: gcc -nostdlib -static -no-pie.
 *
 * Executed, in order (offset from _start, bytes, mnemonic, function):
 *
 *   seq  off  bytes           instruction             function
 *    0   0x00 b9 03 00 00 00  mov ecx, 3              _start
 *    1   0x05 ff c9           dec ecx                 _start   loop, 1st
 *    2   0x07 75 fc           jne 0x05  (taken)       _start
 *    3   0x05 ff c9           dec ecx                 _start   loop, 2nd
 *    4   0x07 75 fc           jne 0x05  (taken)       _start
 *    5   0x05 ff c9           dec ecx                 _start   loop, 3rd
 *    6   0x07 75 fc           jne 0x05  (not taken)   _start
 *    7   0x09 e8 21 00 00 00  call func               _start
 *    8   0x2f 90              nop                     func
 *    9   0x30 c3              ret                     func
 *   10   0x0e 48 8d 35 ..     lea rsi, [rip + src]    _start
 *   11   0x15 48 8d 3d ..     lea rdi, [rip + dst]    _start
 *   12   0x1c b9 04 00 00 00  mov ecx, 4              _start
 *   13   0x21 f3 a4           rep movsb               _start   4 iterations, ONE instruction
 *   14   0x23 bf 07 00 00 00  mov edi, 7              _start
 *   15   0x28 b8 3c 00 00 00  mov eax, 60             _start
 *   16   0x2d 0f 05           syscall                 _start   exit(7)
 *
 * 17 executed instructions, 13 distinct ones; 2 calls: the root call
 * (_start, depth 0, 15 instructions, ended by the exit) and func (depth 1,
 * 2 instructions, returned by its ret). Exit status 7.
 * func directly follows _start (no alignment padding), at offset 0x2f.
 */
	.text
	.globl	_start
	.type	_start, @function
_start:
	mov	$3, %ecx
1:	dec	%ecx
	jnz	1b
	call	func
	lea	src(%rip), %rsi
	lea	dst(%rip), %rdi
	mov	$4, %ecx
	rep movsb
	mov	$7, %edi
	mov	$60, %eax
	syscall
	.size	_start, . - _start

	.type	func, @function
func:
	nop
	ret
	.size	func, . - func

	.data
src:	.ascii	"abcd"
dst:	.zero	4

	.section .note.GNU-stack, "", @progbits
