/* session: starts the program, owns the only waitpid loop, keeps the
 * process and thread tables, and dispatches each stop: ptrace events
 * (clone, fork, exec) here, everything else to the engine. */
#define _GNU_SOURCE
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfinfo.h"
#include "loader.h"
#include "nosco/procfs.h"
#include "ptrace_io.h"
#include "recorder.h"
#include "allocs.h"
#include "scopes.h"
#include "syscalls.h"
#include "unwind.h"
#include "engine_common.h"

static volatile sig_atomic_t stop_requested;
static char abort_reason[256]; /* nt_request_abort()'s, until the loop takes it */

void nt_request_stop(void)
{
	stop_requested = 1;
}

void nt_request_abort(const char *why)
{
	snprintf(abort_reason, sizeof(abort_reason), "%s", why && *why ? why : "aborted");
}

void nt_options_init(nt_options *o)
{
	*o = (nt_options){ .engine = NT_ENGINE_BLOCK, .max_depth = UINT32_MAX, .pin_cpu = true,
			   .cpu = -1, .follow_forks = true };
}

void session_fail(session *s, const char *fmt, ...)
{
	if (s->error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

int thread_fetch_regs(thread *t)
{
	return pt_getregs(t->tid, &t->regs);
}

dec_insn *session_decode(process *p, uint64_t addr)
{
	dec_insn *insn = dec_lookup(p->dec, addr);
	if (insn && !insn->generated)
		return insn;
	uint8_t code[15];
	ssize_t n = bp_read_code(p->bps, addr, code, sizeof(code));
	if (n <= 0)
		return NULL;
	if (insn) {
		/* Generated code can be rewritten: reuse the decoding only while
		 * the bytes are the same. */
		if ((size_t)n >= insn->pub.size && insn->pub.size &&
		    !memcmp(code, insn->pub.bytes, insn->pub.size))
			return insn;
		dec_forget(p->dec, addr);
	}
	insn = dec_decode(p->dec, addr, code, (size_t)n);
	if (insn)
		insn->generated = !ldr_binary_id(p, addr);
	return insn;
}

/* ---- tables ---- */

static process *process_new(session *s, pid_t pid)
{
	process **procs = realloc(s->procs, (s->n_procs + 1) * sizeof(*procs));
	if (!procs)
		return NULL;
	s->procs = procs;
	process *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->id = s->n_procs + 1;
	p->pid = pid;
	p->bps = bp_create(pid);
	p->dec = dec_create(&s->next_insn_id);
	if (!p->bps || !p->dec) {
		bp_destroy(p->bps);
		dec_destroy(p->dec);
		free(p);
		return NULL;
	}
	s->procs[s->n_procs++] = p;
	return p;
}

static thread *thread_new(session *s, process *p, pid_t tid)
{
	if (s->n_threads == s->cap_threads) {
		uint32_t cap = s->cap_threads ? s->cap_threads * 2 : 16;
		thread **threads = realloc(s->threads, cap * sizeof(*threads));
		if (!threads)
			return NULL;
		s->threads = threads;
		s->cap_threads = cap;
	}
	thread *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->id = ++s->next_thread_id;
	t->tid = tid;
	t->proc = p;
	t->owner = p;
	s->threads[s->n_threads++] = t;
	p->threads_alive++;
	return t;
}

static thread *thread_find(session *s, pid_t tid)
{
	for (uint32_t i = s->n_threads; i-- > 0;)
		if (s->threads[i]->tid == tid && !s->threads[i]->exited)
			return s->threads[i];
	return NULL;
}

static uint32_t threads_alive(const session *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->n_threads; i++)
		n += !s->threads[i]->exited;
	return n;
}

static void free_tables(session *s)
{
	for (uint32_t i = 0; i < s->n_threads; i++) {
		sys_release(s->threads[i]);
		alloc_thread_release(s->threads[i]);
		free(s->threads[i]->saved_affinity);
		free(s->threads[i]->frames);
		free(s->threads[i]->run);
		free(s->threads[i]);
	}
	free(s->threads);
	for (uint32_t i = 0; i < s->n_procs; i++) {
		process *p = s->procs[i];
		if (s->engine->invalidate)
			s->engine->invalidate(p, 0, UINT64_MAX);
		scope_release(p);
		alloc_release(p);
		unwind_release(p);
		ldr_release(p);
		free(p->saved_affinity);
		bp_destroy(p->bps);
		dec_destroy(p->dec);
		free(p);
	}
	free(s->procs);
}

/* ---- thread life cycle ---- */

/* A thread starts (or restarts after an exec) at the current rip: with no
 * scope that is its root call; with scopes it runs untraced until it
 * enters one. */
static void start_root(session *s, thread *t)
{
	if (s->opts.n_scopes || s->opts.syscalls_only || s->opts.alloc_only || t->owner->silent)
		engine_settle(s, t);
	else
		rec_call(s, t, NT_CALL_ROOT, 0, t->regs.rip, 0, t->regs.rsp);
}

/* Announce a thread to the handler when it is created (at its creator's
 * clone event), so threads are numbered and announced in creation order
 * even when two new threads first stop in the other order. */
static void thread_announce(session *s, thread *t, thread *parent)
{
	if (s->h->thread_start && !t->owner->silent) {
		nt_thread nt = { .id = t->id, .process_id = t->owner->id, .tid = t->tid,
				 .parent_id = parent ? parent->id : 0,
				 .creating_call_id = t->creating_call_id };
		s->h->thread_start(s->h->ctx, &nt, s->seq);
	}
}

/* The first stop of a thread: its root call starts at the current rip. */
static void thread_begin_at(session *s, thread *t)
{
	t->started = true;
	start_root(s, t);
}

static int thread_begin(session *s, thread *t)
{
	int r = thread_fetch_regs(t);
	if (r < 0)
		return r;
	thread_begin_at(s, t);
	return 0;
}

static void thread_exit(session *s, thread *t, int status)
{
	nt_exit e = { .status = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		      .signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0 };
	sys_finish(s, t, false, 0, false);
	alloc_thread_end(s, t);
	rec_thread_end(s, t);
	t->exited = true;
	if (t->mode == TM_FREE && t->free_ret_addr && !t->proc->exited)
		bp_remove(t->proc->bps, t->free_ret_addr);
	process *p = t->owner;
	if (s->h->thread_exit && !p->silent)
		s->h->thread_exit(s->h->ctx, t->id, e, s->seq);
	p->threads_alive--;
	if (t->tid == p->pid) {
		p->exited = true;
		p->exit = e;
		if (s->h->process_exit && !p->silent)
			s->h->process_exit(s->h->ctx, p->id, e, s->seq);
	}
}

/* ---- the loop ---- */

/* Stops of new threads and fork children that arrived before the ptrace
 * event that announces them. */
struct early_stop {
	pid_t tid;
	int status;
};

struct loop {
	session *s;
	struct early_stop early[64];
	int n_early;
};

static bool take_early(struct loop *l, pid_t tid)
{
	for (int i = 0; i < l->n_early; i++)
		if (l->early[i].tid == tid) {
			l->early[i] = l->early[--l->n_early];
			return true;
		}
	return false;
}

enum { MAX_ARGV_BYTES = 1 << 20 }; /* of /proc/PID/cmdline read */

/* What /proc says pid runs: its executable (into exe) and its argv (a
 * NULL-terminated array in one allocation, or NULL). */
static char **proc_program(pid_t pid, char *exe, size_t exe_len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	ssize_t n = readlink(path, exe, exe_len - 1);
	exe[n > 0 ? n : 0] = 0;
	return nt_proc_nul_list(pid, "cmdline", MAX_ARGV_BYTES);
}

static void announce_process(session *s, process *p)
{
	if (!s->h->process_start || p->silent)
		return;
	char exe[PATH_MAX];
	char **argv = proc_program(p->pid, exe, sizeof(exe));
	static const char *const none[] = { "", NULL };
	nt_process np = { .id = p->id, .pid = p->pid, .parent_id = p->parent_id,
			  .executable = exe,
			  .argv = argv ? (const char *const *)argv : none };
	s->h->process_start(s->h->ctx, &np, s->seq);
	free(argv);
}

static int resume(session *s, thread *t)
{
	if (s->detaching) { /* stays stopped until every thread is: then let go */
		t->held = true;
		return 0;
	}
	int r = s->engine->resume(s, t);
	return r == -ESRCH ? 0 : r;
}

static int on_clone(struct loop *l, thread *t)
{
	session *s = l->s;
	unsigned long msg;
	if (pt_geteventmsg(t->tid, &msg) < 0)
		return resume(s, t);
	thread *child = thread_new(s, t->owner, (pid_t)msg);
	if (!child)
		return -ENOMEM;
	child->proc = t->proc;
	/* The creator's call that cloned, and its stack (t is stopped here; it
	 * will not be when the child first stops). */
	rec_settle(s, t);
	child->creating_call_id = rec_top(t) ? rec_top(t)->call.id : 0;
	if (t->mode == TM_TRACED)
		engine_backtrace(s, t);
	thread_announce(s, child, t);
	if (take_early(l, child->tid)) {
		int r = thread_begin(s, child);
		if (r == 0)
			r = resume(s, child);
		if (r < 0 && r != -ESRCH)
			return r;
	}
	return resume(s, t);
}

/* t forked (or vforked: the child shares its memory). The child is
 * stopped before it runs anything: wait for that first stop, then trace it
 * as a process of its own, or let it go. */
static int on_fork(struct loop *l, thread *t, bool shares_memory)
{
	session *s = l->s;
	unsigned long msg;
	if (pt_geteventmsg(t->tid, &msg) < 0)
		return resume(s, t);
	pid_t pid = (pid_t)msg;
	int status;
	if (!take_early(l, pid) &&
	    (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)))
		return resume(s, t); /* killed before its first stop */
	/* A fork child has a copy of our int3s (as they are now: t is stopped
	 * in the fork); a vfork child shares them with t. */
	if (!shares_memory)
		bp_scrub_copy(t->proc->bps, pid);
	if (!s->opts.follow_forks && !shares_memory) {
		pt_detach(pid, 0);
		return resume(s, t);
	}
	process *cp = process_new(s, pid);
	thread *ct = cp ? thread_new(s, cp, pid) : NULL;
	if (!ct)
		return -ENOMEM;
	cp->parent_id = t->owner->id;
	cp->silent = !s->opts.follow_forks;
	if (shares_memory)
		ct->proc = t->proc; /* until it execs */
	rec_settle(s, t);
	ct->creating_call_id = rec_top(t) ? rec_top(t)->call.id : 0;
	announce_process(s, cp);
	thread_announce(s, ct, t);
	int r = 0;
	if (!shares_memory)
		r = alloc_fork(t->proc, cp);
	if (r == 0 && !shares_memory)
		r = ldr_fork(s, ct);
	if (r == 0)
		r = thread_begin(s, ct);
	if (r == 0)
		r = resume(s, ct);
	if (r < 0 && r != -ESRCH)
		return r;
	return resume(s, t);
}

static int on_exec(struct loop *l, thread *t)
{
	session *s = l->s;
	process *p = t->owner;
	/* The syscall instruction that called execve ran to completion. */
	bool recorded = t->stepping && t->mode == TM_TRACED && !t->rep_continuing;
	if (recorded)
		rec_insn(s, t, t->stepping);
	sys_finish(s, t, true, 0, recorded); /* execve returns 0, in the new image */
	t->exec_step_trap = t->stepping && t->mode == TM_TRACED && !t->in_syscall;
	rec_thread_end(s, t);
	t->stepping = NULL;
	t->cur = NULL;
	t->mode = TM_TRACED;
	t->reinsert_bp = 0;
	t->at_bp = false;
	t->free_ret_addr = 0;
	if (t->proc != p) {
		/* A vfork child leaves its parent's memory for its own image. */
		t->proc = p;
		if (p->silent) { /* not followed: let it go, clean */
			t->exited = true;
			p->threads_alive--;
			p->exited = true;
			pt_detach(t->tid, 0);
			return 0;
		}
	} else {
		if (s->engine->invalidate)
			s->engine->invalidate(p, 0, UINT64_MAX);
		scope_release(p);
		alloc_release(p);
		unwind_release(p);
		bp_forget_all(p->bps);
		dec_destroy(p->dec);
		p->dec = dec_create(&s->next_insn_id);
		if (!p->dec)
			return -ENOMEM;
	}
	if (s->h->process_exec) {
		char exe[PATH_MAX];
		char **argv = proc_program(p->pid, exe, sizeof(exe));
		static const char *const none[] = { "", NULL };
		s->h->process_exec(s->h->ctx, p->id, t->id, exe,
				   argv ? (const char *const *)argv : none, s->seq);
		free(argv);
	}
	int r = ldr_exec(s, t);
	if (r < 0)
		return r;
	r = thread_fetch_regs(t);
	if (r < 0)
		return r;
	start_root(s, t);
	return resume(s, t);
}

/* The thread is about to exit. If it was executing a syscall (exit,
 * exit_group, or any syscall it was blocked in when another thread ended
 * the process), rip is past that instruction: it ran, so it is recorded. */
static int on_exit_event(session *s, thread *t)
{
	dec_insn *in = t->stepping;
	bool recorded = false;
	if (t->mode == TM_TRACED && in && in->flow == DEC_FLOW_SYSCALL &&
	    thread_fetch_regs(t) == 0 && t->regs.rip == in->pub.addr + in->pub.size) {
		rec_insn(s, t, in);
		t->stepping = NULL;
		recorded = true;
	}
	sys_finish(s, t, false, 0, recorded);
	return pt_cont(t->tid, 0);
}

/* A thread other than the leader exec'd: the kernel gave it the leader's
 * tid (the pid), and the old leader is gone (not the process). Returns the
 * thread that exec'd, now under its new tid. */
static thread *exec_from_other_thread(session *s, thread *leader, pid_t pid)
{
	unsigned long former;
	if (pt_geteventmsg(pid, &former) < 0 || (pid_t)former == pid)
		return leader;
	thread *t = thread_find(s, (pid_t)former);
	if (!t)
		return leader;
	if (leader) {
		sys_finish(s, leader, false, 0, false);
		alloc_thread_end(s, leader);
		rec_thread_end(s, leader);
		leader->exited = true;
		leader->owner->threads_alive--;
		if (s->h->thread_exit && !leader->owner->silent)
			s->h->thread_exit(s->h->ctx, leader->id, (nt_exit){ .status = -1 }, s->seq);
	}
	t->tid = pid;
	return t;
}

static int dispatch(struct loop *l, pid_t tid, int status)
{
	session *s = l->s;
	thread *t = thread_find(s, tid);
	if (WIFSTOPPED(status) && status >> 16 == PTRACE_EVENT_EXEC)
		t = exec_from_other_thread(s, t, tid);
	if (!t) {
		if (WIFSTOPPED(status) && l->n_early < (int)(sizeof(l->early) / sizeof(l->early[0])))
			l->early[l->n_early++] = (struct early_stop){ tid, status };
		return 0;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		thread_exit(s, t, status);
		return 0;
	}
	if (!WIFSTOPPED(status))
		return 0;
	s->stops++;
	bp_set_accessor(t->proc->bps, tid);
	if (t->reinsert_bp) {
		bp_rearm(t->proc->bps, t->reinsert_bp);
		t->reinsert_bp = 0;
	}
	int sig = WSTOPSIG(status);
	int event = status >> 16;
	if (event == PTRACE_EVENT_STOP) {
		/* Our PTRACE_INTERRUPT (detaching), or a group-stop of a seized
		 * thread: nothing ran. */
		if (s->detaching) {
			t->held = true;
			return 0;
		}
		if (!t->started)
			return 0; /* nt_attach() waits for these itself */
		int r = s->engine->stopped(s, t, sig, NULL);
		t->pending_signal = 0; /* a stop, not a signal to deliver */
		return r < 0 ? r : resume(s, t);
	}
	if (!t->started) {
		int r = thread_begin(s, t);
		return r < 0 && r != -ESRCH ? r : resume(s, t);
	}
	switch (event) {
	case PTRACE_EVENT_CLONE:
		return on_clone(l, t);
	case PTRACE_EVENT_FORK:
		return on_fork(l, t, false);
	case PTRACE_EVENT_VFORK:
		return on_fork(l, t, true);
	case PTRACE_EVENT_EXEC:
		return on_exec(l, t);
	case PTRACE_EVENT_EXIT:
		return on_exit_event(s, t);
	case 0:
		break;
	default: /* PTRACE_EVENT_VFORK_DONE and others: nothing to record */
		return resume(s, t);
	}
	/* Traps are the engines' own doing and common: they fetch siginfo only
	 * when they need it. Any other signal may be a group-stop (no siginfo),
	 * which is not a signal to deliver. */
	siginfo_t si;
	bool have_si = false;
	if (sig != SIGTRAP && sig != (SIGTRAP | 0x80)) {
		if (pt_getsiginfo(tid, &si) < 0)
			return resume(s, t);
		have_si = true;
	}
	int r = s->engine->stopped(s, t, sig, have_si ? &si : NULL);
	if (r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	return resume(s, t);
}

/* Attached: stop every thread (each is held at its next stop), so that
 * all can be let go at once, with no int3 of ours left in memory. */
static void start_detach(session *s)
{
	s->detaching = true;
	for (uint32_t i = 0; i < s->n_threads; i++) {
		thread *t = s->threads[i];
		if (!t->exited && !t->held)
			ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
	}
}

static bool all_held(const session *s)
{
	for (uint32_t i = 0; i < s->n_threads; i++)
		if (!s->threads[i]->exited && !s->threads[i]->held)
			return false;
	return true;
}

/* Whether a SIGTRAP waits in tid's own pending set: the trap of a step or
 * an int3 that happened as our PTRACE_INTERRUPT stopped it. */
static bool sigtrap_pending(pid_t tid)
{
	return nt_proc_status_mask(tid, "SigPnd") & (1ULL << (SIGTRAP - 1));
}

/* Every live thread is stopped: put the original bytes back under our
 * int3s, write back registers an engine changed (a rip moved back onto an
 * instruction that has not run), restore CPU affinity, and detach each
 * thread with the signal it was to receive. */
static void detach_all(session *s)
{
	/* A trap still pending would reach the program once we are gone (and
	 * kill it): let each such thread take it now, which stops it again at
	 * once, before any instruction, and process that stop as usual. */
	for (uint32_t i = 0; i < s->n_threads; i++) {
		thread *t = s->threads[i];
		int status;
		if (t->exited || !sigtrap_pending(t->tid) || engine_flush_regs(t) < 0 ||
		    pt_cont(t->tid, 0) < 0)
			continue;
		if (waitpid(t->tid, &status, __WALL) != t->tid || !WIFSTOPPED(status)) {
			thread_exit(s, t, status);
			continue;
		}
		s->engine->stopped(s, t, WSTOPSIG(status), NULL);
	}
	for (uint32_t i = 0; i < s->n_procs; i++) {
		process *p = s->procs[i];
		thread *any = NULL;
		for (uint32_t k = 0; k < s->n_threads && !any; k++)
			if (!s->threads[k]->exited && s->threads[k]->proc == p)
				any = s->threads[k];
		if (!any)
			continue;
		bp_set_accessor(p->bps, any->tid);
		bp_remove_all(p->bps);
	}
	for (uint32_t i = 0; i < s->n_threads; i++) {
		thread *t = s->threads[i];
		if (t->exited)
			continue;
		engine_flush_regs(t);
		sys_finish(s, t, false, 0, false);
		alloc_thread_end(s, t);
		rec_thread_detach(s, t);
		if (t->saved_affinity || t->owner->saved_affinity)
			sched_setaffinity(t->tid, sizeof(cpu_set_t),
					  t->saved_affinity ? t->saved_affinity
							    : t->owner->saved_affinity);
		pt_detach(t->tid, t->pending_signal);
		t->exited = true;
		t->owner->threads_alive--;
		if (s->h->thread_exit && !t->owner->silent) /* its last seq, no status */
			s->h->thread_exit(s->h->ctx, t->id, (nt_exit){ .status = -1 }, s->seq);
	}
}

static void kill_all(session *s)
{
	for (uint32_t i = 0; i < s->n_procs; i++)
		if (!s->procs[i]->exited)
			kill(s->procs[i]->pid, SIGKILL);
}

/* Serves stops until every traced thread is gone. */
static void run_loop(struct loop *l)
{
	session *s = l->s;
	bool killed = false;
	while (threads_alive(s)) {
		if (abort_reason[0]) {
			session_fail(s, "%s", abort_reason);
			abort_reason[0] = 0;
		}
		if (!killed && (stop_requested || s->error[0])) {
			if (s->attached)
				start_detach(s);
			else
				kill_all(s);
			killed = true;
		}
		if (s->detaching && all_held(s)) {
			detach_all(s);
			break;
		}
		int status;
		if (s->h->idle)
			s->h->idle(s->h->ctx);
		pid_t tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			session_fail(s, "waitpid: %s", strerror(errno));
			break;
		}
		int r = dispatch(l, tid, status);
		if (r < 0 && r != -ESRCH)
			session_fail(s, "tracing thread %d failed: %s", tid, strerror(-r));
	}
}

/* Pins the calling thread (and so the program it forks) to cpu, or to the
 * CPU it runs on when cpu is -1. */
static int pin_to_cpu(int cpu)
{
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		return -errno;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

/* The child of spawn(), sharing our memory until it execs: default
 * handlers for the signals we catch (a handler of ours must not run in it),
 * the caller's signal mask back, then PTRACE_TRACEME and exec. On failure,
 * the errno goes to *err. */
static _Noreturn void spawn_child(char *const argv[], const sigset_t *mask, volatile int *err)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction cur;
		if (sigaction(sig, NULL, &cur) == 0 && cur.sa_handler != SIG_DFL &&
		    cur.sa_handler != SIG_IGN)
			sigaction(sig, &dfl, NULL);
	}
	pthread_sigmask(SIG_SETMASK, mask, NULL);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
		execv(argv[0], argv);
	*err = errno;
	_exit(127);
}

/* Starts argv under PTRACE_TRACEME; returns the child's pid stopped at its
 * exec, or a negative errno from the child's execve. vfork: copying our
 * page tables for a child that execs at once costs more than the rest of
 * a short trace's start. */
static pid_t spawn(char *const argv[])
{
	volatile int child_err = 0;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* no handler runs in the child */
	pid_t pid = vfork();
	if (pid == 0)
		spawn_child(argv, &old, &child_err);
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return -e;
	if (child_err) {
		waitpid(pid, NULL, 0);
		return -child_err;
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -ECHILD;
	}
	return pid;
}

/* What nt_run() and nt_attach() share: the session before and after. */
static int session_open(session *s, const nt_options *opts, const nt_handler *handler,
			nt_result *result)
{
	memset(result, 0, sizeof(*result));
	*s = (session){ .opts = *opts, .h = handler, .cpu = -1 };
	s->engine = opts->engine == NT_ENGINE_BLOCK ? &engine_block : &engine_step;
	stop_requested = 0;
	abort_reason[0] = 0;
	s->scope_binary_seen = calloc(opts->n_scopes + 1, sizeof(bool));
	s->scope_found = calloc(opts->n_scopes + 1, sizeof(bool));
	s->elfs = elf_cache_create();
	if (!s->scope_binary_seen || !s->scope_found || !s->elfs || rec_init(s) < 0) {
		free(s->scope_binary_seen);
		free(s->scope_found);
		elf_cache_destroy(s->elfs);
		snprintf(result->error, sizeof(result->error), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void session_close(session *s, nt_result *result)
{
	result->exit = s->n_procs && s->procs[0]->exited ? s->procs[0]->exit
							 : (nt_exit){ .status = -1 };
	result->reason = s->error[0]	    ? NT_END_ERROR
			 : s->detaching	    ? NT_END_DETACHED
			 : stop_requested ? NT_END_INTERRUPTED
					  : NT_END_EXITED;
	snprintf(result->error, sizeof(result->error), "%s", s->error);
	result->instructions = s->seq;
	result->stops = s->stops;
	scope_report_unmatched(s, result->scope_error, sizeof(result->scope_error));
	free(s->scope_binary_seen);
	free(s->scope_found);
	free_tables(s);
	ldr_session_release(s);
	elf_cache_destroy(s->elfs);
	rec_fini(s);
}

int nt_run(char *const argv[], const nt_options *opts, const nt_handler *handler,
	   nt_result *result)
{
	session s;
	int r = session_open(&s, opts, handler, result);
	if (r < 0)
		return r;
	cpu_set_t saved;
	bool restore_affinity = false;
	if (opts->pin_cpu && sched_getaffinity(0, sizeof(saved), &saved) == 0)
		restore_affinity = pin_to_cpu(opts->cpu) == 0;

	pid_t pid = spawn(argv);
	if (pid < 0) {
		session_close(&s, result);
		snprintf(result->error, sizeof(result->error), "%s: %s", argv[0],
			 strerror((int)-pid));
		if (restore_affinity)
			sched_setaffinity(0, sizeof(saved), &saved);
		return (int)pid;
	}
	pt_setoptions(pid, PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
				   PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD |
				   PTRACE_O_EXITKILL);
	struct loop l = { .s = &s };
	process *p = process_new(&s, pid);
	thread *t = p ? thread_new(&s, p, pid) : NULL;
	if (!t) {
		session_fail(&s, "out of memory");
	} else {
		if (handler->process_start) {
			const char *const *av = (const char *const *)argv;
			nt_process np = { .id = p->id, .pid = pid, .executable = argv[0], .argv = av };
			handler->process_start(handler->ctx, &np, 0);
		}
		thread_announce(&s, t, NULL);
		if (ldr_exec(&s, t) == 0 && thread_begin(&s, t) == 0) {
			r = resume(&s, t);
			if (r < 0)
				session_fail(&s, "cannot resume %d: %s", pid, strerror(-r));
		}
	}
	run_loop(&l);
	session_close(&s, result);
	if (restore_affinity)
		sched_setaffinity(0, sizeof(saved), &saved);
	return 0;
}

/* A seized thread interrupted inside a syscall will restart it when it
 * resumes: the kernel moves rip back onto the syscall instruction then.
 * Do that now, so the engines see the syscall run. */
static void rewind_restart(thread *t)
{
	struct user_regs_struct *r = &t->regs;
	long ret = (long)r->rax;
	if ((long)r->orig_rax < 0 || (ret != -512 && ret != -513 && ret != -514 && ret != -516))
		return; /* ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK */
	r->rip -= 2;
	r->rax = ret == -516 ? 219 /* restart_syscall */ : r->orig_rax;
	r->orig_rax = (unsigned long long)-1; /* so the kernel does not rewind again */
	t->regs_dirty = true;
}

/* Seizes every thread of pid (until no new one appears) and waits for each
 * to stop. Returns 0 or a negative errno. */
static int seize_all(session *s, process *p)
{
	const long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
			  PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD;
	for (bool found = true; found;) {
		found = false;
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/task", p->pid);
		DIR *d = opendir(dir);
		if (!d)
			return -errno;
		struct dirent *e;
		while ((e = readdir(d))) {
			pid_t tid = (pid_t)atoi(e->d_name);
			if (tid <= 0 || thread_find(s, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, opts) < 0) {
				int err = errno;
				if (err == ESRCH && tid != p->pid)
					continue; /* exited meanwhile */
				closedir(d);
				return -err;
			}
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			thread *t = thread_new(s, p, tid);
			if (!t) {
				closedir(d);
				return -ENOMEM;
			}
			found = true;
		}
		closedir(d);
	}
	for (uint32_t i = 0; i < s->n_threads; i++) {
		int status;
		thread *t = s->threads[i];
		if (waitpid(t->tid, &status, __WALL) != t->tid || !WIFSTOPPED(status)) {
			t->exited = true; /* gone before its first stop */
			p->threads_alive--;
		}
	}
	return 0;
}

int nt_attach(pid_t pid, const nt_options *opts, const nt_handler *handler, nt_result *result)
{
	session s;
	int r = session_open(&s, opts, handler, result);
	if (r < 0)
		return r;
	s.attached = true;
	process *p = process_new(&s, pid);
	r = p ? seize_all(&s, p) : -ENOMEM;
	if (r < 0) {
		/* Let go of the threads already seized (none has run under us). */
		for (uint32_t i = 0; i < s.n_threads; i++)
			if (!s.threads[i]->exited)
				pt_detach(s.threads[i]->tid, 0);
		session_close(&s, result);
		snprintf(result->error, sizeof(result->error), "cannot trace process %d: %s", pid,
			 r == -EPERM ? "permission denied (already traced, or not ours to trace)"
				     : strerror(-r));
		return r;
	}
	/* Pin every thread to one CPU with the tracer, as nt_run() does, and
	 * remember their CPUs to give them back. */
	cpu_set_t saved_self;
	bool restore_self = opts->pin_cpu && sched_getaffinity(0, sizeof(saved_self), &saved_self) == 0 &&
			    pin_to_cpu(opts->cpu) == 0;
	if (restore_self) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		for (uint32_t i = 0; i < s.n_threads; i++) {
			thread *t = s.threads[i];
			cpu_set_t *old = malloc(sizeof(*old));
			if (old && sched_getaffinity(t->tid, sizeof(*old), old) == 0 &&
			    sched_setaffinity(t->tid, sizeof(one), &one) == 0) {
				t->saved_affinity = old;
				if (t->tid == pid && !p->saved_affinity) {
					p->saved_affinity = malloc(sizeof(*old));
					if (p->saved_affinity)
						memcpy(p->saved_affinity, old, sizeof(*old));
				}
			} else {
				free(old);
			}
		}
	}
	announce_process(&s, p);
	struct loop l = { .s = &s };
	thread *main = thread_find(&s, pid);
	for (uint32_t i = 0; i < s.n_threads; i++)
		if (!s.threads[i]->exited)
			thread_announce(&s, s.threads[i], NULL);
	bool ok = main && ldr_fork(&s, main) == 0;
	if (!ok)
		session_fail(&s, "cannot read the binaries of process %d", pid);
	for (uint32_t i = 0; i < s.n_threads; i++) {
		thread *t = s.threads[i];
		if (t->exited)
			continue;
		r = ok ? thread_fetch_regs(t) : -EIO;
		if (r == 0) {
			rewind_restart(t);
			thread_begin_at(&s, t);
			r = resume(&s, t);
		}
		if (r < 0) {
			t->held = true; /* stopped: let go with the others */
			if (r != -ESRCH && ok)
				session_fail(&s, "cannot trace thread %d: %s", t->tid, strerror(-r));
		}
	}
	run_loop(&l);
	session_close(&s, result);
	if (restore_self)
		sched_setaffinity(0, sizeof(saved_self), &saved_self);
	return 0;
}
