/* ptrace_io: the only module that calls ptrace(2) (except the initial
 * PTRACE_TRACEME in the child), plus tracee memory access. Functions return
 * 0 or a negative errno; -ESRCH means the thread vanished (its exit arrives
 * through waitpid). */
#ifndef NOSCO_PTRACE_IO_H
#define NOSCO_PTRACE_IO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

int pt_setoptions(pid_t tid, long options);
int pt_getregs(pid_t tid, struct user_regs_struct *regs);
int pt_setregs(pid_t tid, const struct user_regs_struct *regs);
int pt_getsiginfo(pid_t tid, siginfo_t *si);
int pt_geteventmsg(pid_t tid, unsigned long *msg);
int pt_singlestep(pid_t tid, int sig);
int pt_syscall(pid_t tid, int sig);
int pt_cont(pid_t tid, int sig);
int pt_detach(pid_t tid, int sig);

/* Reads len bytes at addr of pid's memory into buf; returns the number of
 * bytes read (may be short at an unmapped boundary) or a negative errno. */
ssize_t pt_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Reads exactly len bytes, or returns -EFAULT. */
int pt_read_exact(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Reads a NUL-terminated string of at most cap-1 bytes. */
int pt_read_string(pid_t pid, uint64_t addr, char *buf, size_t cap);
/* Writes len bytes into writable memory (the stack): fast path. */
int pt_write_data(pid_t pid, uint64_t addr, const void *buf, size_t len);
/* Writes len bytes, also into read-only (text) mappings. */
int pt_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

#endif
