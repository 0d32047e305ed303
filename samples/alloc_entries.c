/*
 * alloc_entries: allocator symbols whose first instruction is one the
 * tracer emulates to get past its int3 there without a single step
 * (tracer/src/emulate.c, emu_simple), checked against the CPU.
 *
 * Each "allocator" below (malloc, calloc, ... operator delete[]) is defined
 * twice: under the allocator's name, where --trace-alloc and --alloc-only
 * put an int3, and as a twin (name_twin) that nothing traps, with the same
 * code. Both return the status flags (CF PF AF ZF SF OF) and the register
 * their first instruction wrote. main calls each allocator and its twin
 * with the same arguments and incoming flags (invoke() sets them) and
 * counts the calls whose results differ: a nonzero count under the tracer
 * is an emulation that does not do what the CPU does. (AF is undefined
 * after test, so test's entries do not return it.)
 *
 * The entries (first instruction, then what they return besides flags):
 *   malloc          test %rdi,%rdi          rdi
 *   calloc          test %esi,%edi          rdi
 *   realloc         cmp $-3,%rsi            rsi
 *   reallocarray    sub $0x7f,%rdi          rdi
 *   free            test %r9,%rdi (r9 = b)  rdi
 *   aligned_alloc   cmpb $0x80,cell(%rip)   rdi   (cell = low byte of b)
 *   posix_memalign  mov %rsi,%rdx (89 /r)   rdx
 *   memalign        mov %rsi,%r10 (8b /r)   r10
 *   _Znwm (new)     sub $8,%rsp             0
 *   _ZdlPv (delete) jmp free                (free's)
 *   _ZdaPv (delete[]) jmp _ZdlPv            (free's)
 * So each allocator is called N_VALUES^2 * 2 times (every pair of values,
 * two incoming flag sets): 288 calls each, 3168 in all; the delete calls
 * reach free's code by jumps, which are part of those calls (free itself
 * is called 288 times).
 *
 * No libc (its malloc would be the one traced): -nostdlib -static.
 * Prints "agree 3168" and exits 0, or "differ K" and exits 1.
 */

#define STATUS_FLAGS "0x8d5" /* CF PF AF ZF SF OF */
#define STATUS_NO_AF "0x8c5" /* test: AF undefined */

/* NAME and NAME_twin: FIRST; then flags (masked by MASK) in rax and the
 * register REG in rdx. */
#define ENTRY(name, first, mask, reg)                                          \
	".globl " #name "\n.type " #name ",@function\n" #name ":\n" first "\n" \
	"pushfq\npop %rax\nand $" mask ",%rax\nmov " reg ",%rdx\nret\n"        \
	".size " #name ",.-" #name "\n"                                        \
	".globl " #name "_twin\n" #name "_twin:\n" first "\n"                  \
	"pushfq\npop %rax\nand $" mask ",%rax\nmov " reg ",%rdx\nret\n"

__asm__(".text\n"
	ENTRY(malloc, "test %rdi,%rdi", STATUS_NO_AF, "%rdi")
	ENTRY(calloc, "test %esi,%edi", STATUS_NO_AF, "%rdi")
	ENTRY(realloc, "cmp $-3,%rsi", STATUS_FLAGS, "%rsi")
	ENTRY(reallocarray, "sub $0x7f,%rdi", STATUS_FLAGS, "%rdi")
	ENTRY(free, "test %r9,%rdi", STATUS_NO_AF, "%rdi")
	ENTRY(aligned_alloc, "cmpb $0x80,cell(%rip)", STATUS_FLAGS, "%rdi")
	ENTRY(posix_memalign, ".byte 0x48,0x89,0xf2 /* mov %rsi,%rdx */", STATUS_FLAGS, "%rdx")
	ENTRY(memalign, ".byte 0x4c,0x8b,0xd6 /* mov %rsi,%r10 */", STATUS_FLAGS, "%r10")
	/* new: sub from rsp, flags taken, rsp put back (add after pushf) */
	".globl _Znwm\n.type _Znwm,@function\n_Znwm:\nsub $8,%rsp\n"
	"pushfq\npop %rax\nand $" STATUS_FLAGS ",%rax\nadd $8,%rsp\nxor %edx,%edx\nret\n"
	".size _Znwm,.-_Znwm\n"
	"_Znwm_twin:\nsub $8,%rsp\n"
	"pushfq\npop %rax\nand $" STATUS_FLAGS ",%rax\nadd $8,%rsp\nxor %edx,%edx\nret\n"
	/* delete and delete[]: tail jumps, as in libstdc++ */
	".globl _ZdlPv\n.type _ZdlPv,@function\n_ZdlPv:\njmp free\n.size _ZdlPv,.-_ZdlPv\n"
	"_ZdlPv_twin:\njmp free_twin\n"
	".globl _ZdaPv\n.type _ZdaPv,@function\n_ZdaPv:\njmp _ZdlPv\n.size _ZdaPv,.-_ZdaPv\n"
	"_ZdaPv_twin:\njmp _ZdlPv_twin\n"
	/* invoke(fn, a, b, flags): fn(a, b) entered with the status flags
	 * `flags`, r9 = b and cell = low byte of b; tail-jumps, so fn returns
	 * to invoke's caller. */
	".globl invoke\ninvoke:\n"
	"mov %rdi,%rax\nmov %rsi,%rdi\nmov %rdx,%rsi\nmov %rdx,%r9\n"
	"mov %dl,cell(%rip)\n"
	"and $" STATUS_FLAGS ",%rcx\nor $0x202,%rcx\npush %rcx\npopfq\n"
	"jmp *%rax\n"
	".data\ncell: .byte 0\n.text\n");

struct result {
	unsigned long flags, reg;
};
typedef struct result (*entry_fn)(unsigned long, unsigned long);
struct result invoke(entry_fn fn, unsigned long a, unsigned long b, unsigned long flags);

#define DECLARE(name) struct result name(unsigned long, unsigned long), name##_twin(unsigned long, unsigned long);
DECLARE(malloc) DECLARE(calloc) DECLARE(realloc) DECLARE(reallocarray) DECLARE(free)
DECLARE(aligned_alloc) DECLARE(posix_memalign) DECLARE(memalign) DECLARE(_Znwm)
DECLARE(_ZdlPv) DECLARE(_ZdaPv)

static const struct {
	entry_fn traced, twin;
} entries[] = {
	{ malloc, malloc_twin }, { calloc, calloc_twin }, { realloc, realloc_twin },
	{ reallocarray, reallocarray_twin }, { free, free_twin },
	{ aligned_alloc, aligned_alloc_twin }, { posix_memalign, posix_memalign_twin },
	{ memalign, memalign_twin }, { _Znwm, _Znwm_twin }, { _ZdlPv, _ZdlPv_twin },
	{ _ZdaPv, _ZdaPv_twin },
};

/* Values around every flag's edges: zero, signs, carries, 32-bit halves. */
static const unsigned long values[] = {
	0, 1, 3, 0x7f, 0x80, 0xfd, 0x7fffffff, 0x80000000, 0xffffffff,
	0x8000000000000000, 0x7fffffffffffffff, 0xfffffffffffffffd,
};
enum { N_VALUES = sizeof(values) / sizeof(values[0]) };
enum { N_ENTRIES = sizeof(entries) / sizeof(entries[0]) };

static long sys3(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static int put_line(const char *word, unsigned long n)
{
	char buf[48];
	int len = 0;
	while (*word)
		buf[len++] = *word++;
	buf[len++] = ' ';
	char digits[24];
	int k = 0;
	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10));
	while (k)
		buf[len++] = digits[--k];
	buf[len++] = '\n';
	return sys3(1 /* write */, 1, (long)buf, len) == len ? 0 : 1;
}

void _start(void)
{
	unsigned long calls = 0, differ = 0;
	for (int e = 0; e < N_ENTRIES; e++)
		for (int i = 0; i < N_VALUES; i++)
			for (int j = 0; j < N_VALUES; j++)
				for (int f = 0; f < 2; f++) {
					unsigned long in = f ? 0x8d5 : 0;
					struct result got = invoke(entries[e].traced, values[i], values[j], in);
					struct result want = invoke(entries[e].twin, values[i], values[j], in);
					calls++;
					if (got.flags != want.flags || got.reg != want.reg)
						differ++;
				}
	int bad = differ ? put_line("differ", differ) | 1 : put_line("agree", calls);
	sys3(231 /* exit_group */, bad, 0, 0);
	for (;;)
		;
}
