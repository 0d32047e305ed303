#define _GNU_SOURCE
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <stdlib.h>

struct frames {
	uint64_t *pcs;
	size_t n, max;
};

static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct frames *f = arg;
	Dwarf_Addr pc;
	if (!dwfl_frame_pc(frame, &pc, NULL))
		return DWARF_CB_ABORT;
	f->pcs[f->n++] = pc;
	return f->n < f->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* The process's Dwfl, made (or made again after a load or unload) from its
 * current mappings and attached to its already ptrace-stopped threads. */
static Dwfl *dwfl_of(process *p)
{
	if (p->unwind_dwfl && p->unwind_gen == p->bins_gen)
		return p->unwind_dwfl;
	unwind_release(p);
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	Dwfl *dwfl = dwfl_begin(&callbacks);
	if (!dwfl)
		return NULL;
	dwfl_report_begin(dwfl);
	if (dwfl_linux_proc_report(dwfl, p->pid) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0 ||
	    dwfl_linux_proc_attach(dwfl, p->pid, true) != 0) {
		dwfl_end(dwfl);
		return NULL;
	}
	p->unwind_dwfl = dwfl;
	p->unwind_gen = p->bins_gen;
	return dwfl;
}

size_t unwind_thread(thread *t, uint64_t *pcs, size_t max)
{
	if (!max)
		return 0;
	Dwfl *dwfl = dwfl_of(t->proc);
	if (!dwfl)
		return 0;
	struct frames f = { pcs, 0, max };
	/* A partial stack (the unwinder gave up at some frame) still counts. */
	dwfl_getthread_frames(dwfl, t->tid, on_frame, &f);
	return f.n;
}

void unwind_release(process *p)
{
	if (p->unwind_dwfl)
		dwfl_end(p->unwind_dwfl);
	p->unwind_dwfl = NULL;
}
