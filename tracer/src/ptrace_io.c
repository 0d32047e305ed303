#define _GNU_SOURCE
#include "ptrace_io.h"

#include "nosco/procfs.h"

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

static int ret_errno(long r)
{
	return r < 0 ? -errno : 0;
}

int pt_setoptions(pid_t tid, long options)
{
	return ret_errno(ptrace(PTRACE_SETOPTIONS, tid, 0, options));
}

int pt_getregs(pid_t tid, struct user_regs_struct *regs)
{
	return ret_errno(ptrace(PTRACE_GETREGS, tid, 0, regs));
}

int pt_setregs(pid_t tid, const struct user_regs_struct *regs)
{
	return ret_errno(ptrace(PTRACE_SETREGS, tid, 0, regs));
}

int pt_getsiginfo(pid_t tid, siginfo_t *si)
{
	return ret_errno(ptrace(PTRACE_GETSIGINFO, tid, 0, si));
}

int pt_geteventmsg(pid_t tid, unsigned long *msg)
{
	return ret_errno(ptrace(PTRACE_GETEVENTMSG, tid, 0, msg));
}

int pt_singlestep(pid_t tid, int sig)
{
	return ret_errno(ptrace(PTRACE_SINGLESTEP, tid, 0, (long)sig));
}

int pt_syscall(pid_t tid, int sig)
{
	return ret_errno(ptrace(PTRACE_SYSCALL, tid, 0, (long)sig));
}

int pt_cont(pid_t tid, int sig)
{
	return ret_errno(ptrace(PTRACE_CONT, tid, 0, (long)sig));
}

int pt_detach(pid_t tid, int sig)
{
	return ret_errno(ptrace(PTRACE_DETACH, tid, 0, (long)sig));
}

ssize_t pt_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n >= 0)
		return n;
	if (errno != EFAULT && errno != EPERM && errno != ENOSYS)
		return -errno;
	/* Not readable that way (e.g. an execute-only page): word by word. */
	size_t done = 0;
	while (done < len) {
		uint64_t word_addr = (addr + done) & ~7ULL;
		errno = 0;
		long word = ptrace(PTRACE_PEEKDATA, pid, word_addr, 0);
		if (errno)
			return done ? (ssize_t)done : -errno;
		size_t skip = (addr + done) - word_addr;
		size_t take = 8 - skip;
		if (take > len - done)
			take = len - done;
		memcpy((char *)buf + done, (char *)&word + skip, take);
		done += take;
	}
	return (ssize_t)done;
}

int pt_read_exact(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pt_read(pid, addr, buf, len);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EFAULT;
}

static ssize_t read_tracee(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pt_read((pid_t)(intptr_t)ctx, addr, buf, len);
}

int pt_read_string(pid_t pid, uint64_t addr, char *buf, size_t cap)
{
	return nt_read_string(read_tracee, (void *)(intptr_t)pid, addr, buf, cap);
}

int pt_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t word_addr = (addr + done) & ~7ULL;
		size_t skip = (addr + done) - word_addr;
		size_t take = 8 - skip;
		if (take > len - done)
			take = len - done;
		long word = 0;
		if (skip || take < 8) {
			errno = 0;
			word = ptrace(PTRACE_PEEKDATA, pid, word_addr, 0);
			if (errno)
				return -errno;
		}
		memcpy((char *)&word + skip, (const char *)buf + done, take);
		if (ptrace(PTRACE_POKEDATA, pid, word_addr, word) < 0)
			return -errno;
		done += take;
	}
	return 0;
}

int pt_write_data(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	return pt_write(pid, addr, buf, len);
}
