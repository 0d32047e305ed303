/* libFuzzer target for cli/config.c: any bytes as a KDL document, and (NUL
 * cut) as the argument of --trace and --depth. Besides what the sanitizers
 * catch, it checks the contracts: an error is one non-empty line that names
 * the source, a failed call leaves the configuration as it was, and what a
 * successful parse gives is well formed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_error(int r, const char *err, const char *prefix)
{
	if (r != -1 || !err[0] || strchr(err, '\n') || strncmp(err, prefix, strlen(prefix))) {
		fprintf(stderr, "bad error (r=%d): '%s'\n", r, err);
		abort();
	}
}

static void check_config(const cfg_config *c, size_t n_before)
{
	if (c->n_scopes < n_before || (c->n_scopes && !c->scopes))
		abort();
	for (size_t i = 0; i < c->n_scopes; i++) {
		const cfg_scope *s = &c->scopes[i];
		if (!s->symbol || !s->symbol[0] || (s->binary && (!s->binary[0] || strchr(s->binary, '/'))))
			abort();
		if (!s->has_depth && s->depth)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[256];
	cfg_config c = { 0 };
	const char *text = (const char *)data;

	/* Start from a configuration that already holds a scope and depths. */
	if (cfg_add_trace_flag("seed@libseed.so:1", &c, err, sizeof(err)) ||
	    cfg_set_depth_flag("--depth", "7", &c, err, sizeof(err)))
		abort();
	if (cfg_parse(text, size, "fuzz.kdl", &c, err, sizeof(err)) == 0) {
		check_config(&c, 1);
	} else {
		check_error(-1, err, "fuzz.kdl");
		if (c.n_scopes != 1 || !c.has_call_depth || c.call_depth != 7 || c.has_backtrace_depth)
			abort();
	}
	/* A tiny buffer: truncated, still terminated. */
	char small[5];
	if (cfg_parse(text, size, "f", &c, small, sizeof(small)) != 0 && strlen(small) >= sizeof(small))
		abort();
	cfg_free(&c);

	/* The same bytes as a command-line argument. */
	char *arg = malloc(size + 1);
	if (!arg)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	size_t before = c.n_scopes;
	int r = cfg_add_trace_flag(arg, &c, err, sizeof(err));
	if (r)
		check_error(r, err, "--trace '");
	else if (c.n_scopes != before + 1)
		abort();
	check_config(&c, before);
	r = cfg_set_depth_flag("--backtrace-depth", arg, &c, err, sizeof(err));
	if (r)
		check_error(r, err, "--backtrace-depth ");
	cfg_free(&c);
	free(arg);
	return 0;
}
