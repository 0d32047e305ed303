/* syscalls: one nt_syscall per system call of a traced thread, with its
 * path and fd arguments decoded at entry (like strace -y), so that a query
 * can say which files a command read, wrote, created or deleted. */
#define _GNU_SOURCE
#include "syscalls.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nosco/procfs.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "syscall_names.h"

/* How a syscall's arguments name files. */
enum arg_kind {
	K_NONE,
	K_PATH, /* args[i] is a path, relative to the cwd */
	K_AT,   /* args[i] is a dirfd, args[i + 1] a path relative to it */
	K_FD,   /* args[i] is an fd */
	K_MMAP, /* mmap: args[4] is an fd unless args[3] has MAP_ANONYMOUS */
};

/* What a syscall creates when it succeeds. */
enum creates {
	C_NONE,
	C_OPEN,   /* path, if args[flags] has O_CREAT and it did not exist */
	C_OPEN2,  /* openat2: the same, flags in the struct open_how at args[2] */
	C_CREAT,  /* creat: O_CREAT implied */
	C_PATH,   /* path (mkdir, mknod, symlink) */
	C_PATH2,  /* path2 (link, rename) */
};

struct spec {
	uint8_t kind1, arg1, kind2, arg2, creates, flags_arg;
};

#define SPEC(nr, k1, a1, k2, a2, c, f) [nr] = { k1, a1, k2, a2, c, f }
static const struct spec specs[] = {
	SPEC(0, K_FD, 0, K_NONE, 0, C_NONE, 0),      /* read */
	SPEC(1, K_FD, 0, K_NONE, 0, C_NONE, 0),      /* write */
	SPEC(2, K_PATH, 0, K_NONE, 0, C_OPEN, 1),    /* open */
	SPEC(3, K_FD, 0, K_NONE, 0, C_NONE, 0),      /* close */
	SPEC(4, K_PATH, 0, K_NONE, 0, C_NONE, 0),    /* stat */
	SPEC(5, K_FD, 0, K_NONE, 0, C_NONE, 0),      /* fstat */
	SPEC(6, K_PATH, 0, K_NONE, 0, C_NONE, 0),    /* lstat */
	SPEC(8, K_FD, 0, K_NONE, 0, C_NONE, 0),      /* lseek */
	SPEC(9, K_MMAP, 4, K_NONE, 0, C_NONE, 0),    /* mmap */
	SPEC(16, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* ioctl */
	SPEC(17, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* pread64 */
	SPEC(18, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* pwrite64 */
	SPEC(19, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* readv */
	SPEC(20, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* writev */
	SPEC(21, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* access */
	SPEC(32, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* dup */
	SPEC(33, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* dup2 */
	SPEC(40, K_FD, 0, K_FD, 1, C_NONE, 0),       /* sendfile */
	SPEC(59, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* execve */
	SPEC(72, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* fcntl */
	SPEC(73, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* flock */
	SPEC(74, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* fsync */
	SPEC(75, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* fdatasync */
	SPEC(76, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* truncate */
	SPEC(77, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* ftruncate */
	SPEC(78, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* getdents */
	SPEC(80, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* chdir */
	SPEC(81, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* fchdir */
	SPEC(82, K_PATH, 0, K_PATH, 1, C_PATH2, 0),  /* rename */
	SPEC(83, K_PATH, 0, K_NONE, 0, C_PATH, 0),   /* mkdir */
	SPEC(84, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* rmdir */
	SPEC(85, K_PATH, 0, K_NONE, 0, C_CREAT, 0),  /* creat */
	SPEC(86, K_PATH, 0, K_PATH, 1, C_PATH2, 0),  /* link */
	SPEC(87, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* unlink */
	SPEC(88, K_PATH, 1, K_NONE, 0, C_PATH, 0),   /* symlink: the link */
	SPEC(89, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* readlink */
	SPEC(90, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* chmod */
	SPEC(91, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* fchmod */
	SPEC(92, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* chown */
	SPEC(93, K_FD, 0, K_NONE, 0, C_NONE, 0),     /* fchown */
	SPEC(94, K_PATH, 0, K_NONE, 0, C_NONE, 0),   /* lchown */
	SPEC(133, K_PATH, 0, K_NONE, 0, C_PATH, 0),  /* mknod */
	SPEC(137, K_PATH, 0, K_NONE, 0, C_NONE, 0),  /* statfs */
	SPEC(138, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* fstatfs */
	SPEC(161, K_PATH, 0, K_NONE, 0, C_NONE, 0),  /* chroot */
	SPEC(217, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* getdents64 */
	SPEC(221, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* fadvise64 */
	SPEC(257, K_AT, 0, K_NONE, 0, C_OPEN, 2),    /* openat */
	SPEC(258, K_AT, 0, K_NONE, 0, C_PATH, 0),    /* mkdirat */
	SPEC(259, K_AT, 0, K_NONE, 0, C_PATH, 0),    /* mknodat */
	SPEC(260, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* fchownat */
	SPEC(262, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* newfstatat */
	SPEC(263, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* unlinkat */
	SPEC(264, K_AT, 0, K_AT, 2, C_PATH2, 0),     /* renameat */
	SPEC(265, K_AT, 0, K_AT, 2, C_PATH2, 0),     /* linkat */
	SPEC(266, K_AT, 1, K_NONE, 0, C_PATH, 0),    /* symlinkat: the link */
	SPEC(267, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* readlinkat */
	SPEC(268, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* fchmodat */
	SPEC(269, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* faccessat */
	SPEC(280, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* utimensat */
	SPEC(285, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* fallocate */
	SPEC(292, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* dup3 */
	SPEC(295, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* preadv */
	SPEC(296, K_FD, 0, K_NONE, 0, C_NONE, 0),    /* pwritev */
	SPEC(316, K_AT, 0, K_AT, 2, C_PATH2, 0),     /* renameat2 */
	SPEC(322, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* execveat */
	SPEC(326, K_FD, 0, K_FD, 2, C_NONE, 0),      /* copy_file_range */
	SPEC(332, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* statx */
	SPEC(437, K_AT, 0, K_NONE, 0, C_OPEN2, 0),   /* openat2 */
	SPEC(439, K_AT, 0, K_NONE, 0, C_NONE, 0),    /* faccessat2 */
};

struct sys_pending {
	bool active;
	nt_syscall sc;
	int existed; /* C_OPEN*: whether path existed at entry; -1 unknown */
	char path[PATH_MAX], path2[PATH_MAX];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What fd of thread tid refers to ("/etc/passwd", "pipe:[123]"). */
static bool fd_target(pid_t tid, int64_t fd, char *out, size_t len)
{
	char link[64];
	if (fd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", tid);
	else if (fd >= 0 && fd <= INT32_MAX)
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", tid, (int)fd);
	else
		return false;
	ssize_t n = readlink(link, out, len - 1);
	if (n <= 0)
		return false;
	out[n] = 0;
	return true;
}

/* The path args[i] (K_PATH) or args[i + 1] relative to dirfd args[i]
 * (K_AT), absolute; false when unreadable. */
static bool decode_path(pid_t tid, const uint64_t *args, uint8_t kind, uint8_t i, char *out,
			size_t len)
{
	char rel[PATH_MAX];
	uint64_t addr = kind == K_AT ? args[i + 1] : args[i];
	if (!addr || pt_read_string(tid, addr, rel, sizeof(rel)) < 0)
		return false;
	if (rel[0] == '/') {
		nt_path_join("", rel + 1, out, len);
		return true;
	}
	int64_t dirfd = kind == K_AT ? (int32_t)args[i] : AT_FDCWD;
	char dir[PATH_MAX];
	if (!fd_target(tid, dirfd, dir, sizeof(dir)))
		return false;
	if (!rel[0]) { /* AT_EMPTY_PATH: dirfd itself */
		snprintf(out, len, "%s", dir);
		return true;
	}
	nt_path_join(dir, rel, out, len);
	return true;
}

static bool decode_arg(pid_t tid, const uint64_t *args, uint8_t kind, uint8_t i, char *out,
		       size_t len)
{
	switch (kind) {
	case K_PATH:
	case K_AT:
		return decode_path(tid, args, kind, i, out, len);
	case K_FD:
		return fd_target(tid, (int32_t)args[i], out, len);
	case K_MMAP:
		return !(args[3] & MAP_ANONYMOUS) && fd_target(tid, (int32_t)args[i], out, len);
	default:
		return false;
	}
}

bool sys_pending(const thread *t)
{
	return t->sys && t->sys->active;
}

void sys_enter(session *s, thread *t, uint64_t nr)
{
	if (t->owner->silent)
		return;
	if (!t->sys) {
		t->sys = malloc(sizeof(*t->sys));
		if (!t->sys)
			return;
	}
	struct sys_pending *p = t->sys;
	const struct user_regs_struct *r = &t->regs;
	p->active = true;
	p->sc = (nt_syscall){
		.id = ++s->next_syscall_id,
		.thread_id = t->id,
		.nr = (uint32_t)nr,
		.args = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 },
		.created = -1,
	};
	p->sc.name = nr < sizeof(syscall_names) / sizeof(syscall_names[0]) ? syscall_names[nr]
									    : NULL;
	p->existed = -1;
	p->sc.duration_ns = now_ns();
	if (nr >= sizeof(specs) / sizeof(specs[0]) || specs[nr].kind1 == K_NONE)
		return;
	const struct spec *sp = &specs[nr];
	const uint64_t *a = p->sc.args;
	if (decode_arg(t->tid, a, sp->kind1, sp->arg1, p->path, sizeof(p->path)))
		p->sc.path = p->path;
	if (sp->kind2 != K_NONE &&
	    decode_arg(t->tid, a, sp->kind2, sp->arg2, p->path2, sizeof(p->path2)))
		p->sc.path2 = p->path2;
	uint64_t flags = 0;
	if (sp->creates == C_OPEN)
		flags = a[sp->flags_arg];
	else if (sp->creates == C_OPEN2)
		pt_read_exact(t->tid, a[2], &flags, sizeof(flags)); /* open_how.flags */
	else if (sp->creates == C_CREAT)
		flags = O_CREAT;
	if ((flags & O_CREAT) && p->sc.path) {
		/* Whether this open creates the file: did it exist before? */
		p->existed = faccessat(AT_FDCWD, p->path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	}
}

void sys_finish(session *s, thread *t, bool returned, int64_t ret, bool insn_recorded)
{
	if (!sys_pending(t))
		return;
	struct sys_pending *p = t->sys;
	p->active = false;
	nt_syscall *sc = &p->sc;
	sc->returned = returned;
	sc->ret = returned ? ret : 0;
	sc->duration_ns = now_ns() - sc->duration_ns;
	sc->seq = NT_NO_SEQ;
	if (insn_recorded) {
		rec_flush(s, t); /* the syscall instruction ends the run */
		sc->seq = s->seq - 1;
	}
	frame *f = rec_top(t);
	sc->call_id = f ? f->call.id : 0;
	bool ok = returned && ret >= 0;
	const struct spec *sp = sc->nr < sizeof(specs) / sizeof(specs[0]) ? &specs[sc->nr] : NULL;
	if (sp && (sp->creates == C_OPEN || sp->creates == C_OPEN2 || sp->creates == C_CREAT))
		sc->created = p->existed < 0 ? -1 : ok && !p->existed;
	else if (sp && (sp->creates == C_PATH || sp->creates == C_PATH2))
		sc->created = ok;
	if (s->h->syscall)
		s->h->syscall(s->h->ctx, sc);
}

void sys_release(thread *t)
{
	free(t->sys);
	t->sys = NULL;
}
