/* Table-driven tests of cli/config.c: KDL documents with the exact
 * configuration they give or the exact error they get (file, line, column,
 * node, message), the --trace and --depth flag parsers, and -c with files,
 * inline text, pipes, directories and missing paths. Exit 0 when every case
 * passes; each failure is printed with what was expected and what came. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* A string literal as text and length (it may hold NUL bytes). */
#define T(s) s, sizeof(s) - 1

typedef struct want_scope {
	const char *symbol, *binary;
	bool has_depth;
	uint32_t depth;
} want_scope;

typedef struct want {
	bool has_cd, has_bt;
	uint32_t cd, bt;
	size_t n;
	want_scope s[4];
} want;

#define CD(v) .has_cd = true, .cd = (v)
#define BT(v) .has_bt = true, .bt = (v)
#define SCOPES(...)                                                             \
	.n = sizeof((want_scope[]){ __VA_ARGS__ }) / sizeof(want_scope),        \
	.s = { __VA_ARGS__ }
#define S(sym) { sym, NULL, false, 0 }
#define SB(sym, bin) { sym, bin, false, 0 }
#define SD(sym, bin, d) { sym, bin, true, d }

static int failures, cases;

/* ---- comparing and printing configurations ---- */

static void print_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("(null)", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void print_config(FILE *f, const cfg_config *c)
{
	if (c->has_call_depth)
		fprintf(f, "    call-depth %u\n", c->call_depth);
	if (c->has_backtrace_depth)
		fprintf(f, "    backtrace-depth %u\n", c->backtrace_depth);
	for (size_t i = 0; i < c->n_scopes; i++) {
		fputs("    trace ", f);
		print_str(f, c->scopes[i].symbol);
		fputs(" binary=", f);
		print_str(f, c->scopes[i].binary);
		if (c->scopes[i].has_depth)
			fprintf(f, " call-depth=%u", c->scopes[i].depth);
		fputc('\n', f);
	}
	if (!c->has_call_depth && !c->has_backtrace_depth && !c->n_scopes)
		fputs("    (empty)\n", f);
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static bool matches(const cfg_config *c, const want *w)
{
	if (c->has_call_depth != w->has_cd || (w->has_cd && c->call_depth != w->cd))
		return false;
	if (c->has_backtrace_depth != w->has_bt || (w->has_bt && c->backtrace_depth != w->bt))
		return false;
	if (c->n_scopes != w->n)
		return false;
	for (size_t i = 0; i < w->n; i++) {
		const cfg_scope *s = &c->scopes[i];
		if (!str_eq(s->symbol, w->s[i].symbol) || !str_eq(s->binary, w->s[i].binary) ||
		    s->has_depth != w->s[i].has_depth || (s->has_depth && s->depth != w->s[i].depth))
			return false;
	}
	return true;
}

static void want_to_config(const want *w, cfg_config *c)
{
	*c = (cfg_config){ .has_call_depth = w->has_cd, .call_depth = w->cd,
			   .has_backtrace_depth = w->has_bt, .backtrace_depth = w->bt };
	c->scopes = calloc(w->n ? w->n : 1, sizeof(*c->scopes));
	c->n_scopes = w->n;
	for (size_t i = 0; i < w->n; i++)
		c->scopes[i] = (cfg_scope){ .symbol = (char *)w->s[i].symbol,
					    .binary = (char *)w->s[i].binary,
					    .has_depth = w->s[i].has_depth, .depth = w->s[i].depth };
}

static void fail_config(const char *what, const char *input, const cfg_config *got, const want *w,
			const char *err)
{
	cfg_config wc;
	failures++;
	fprintf(stderr, "FAIL %s ", what);
	print_str(stderr, input);
	fputs("\n  want:\n", stderr);
	want_to_config(w, &wc);
	print_config(stderr, &wc);
	free(wc.scopes);
	if (err) {
		fprintf(stderr, "  got the error: %s\n", err);
	} else {
		fputs("  got:\n", stderr);
		print_config(stderr, got);
	}
}

static void fail_error(const char *what, const char *input, const char *want_err, const char *err,
		       const cfg_config *got)
{
	failures++;
	fprintf(stderr, "FAIL %s ", what);
	print_str(stderr, input);
	fprintf(stderr, "\n  want the error: %s\n", want_err);
	if (err)
		fprintf(stderr, "  got the error:  %s\n", err);
	else {
		fputs("  got no error but:\n", stderr);
		print_config(stderr, got);
	}
}

/* A configuration that failed calls must leave as it was. */
static void prefill(cfg_config *c)
{
	char err[256];
	*c = (cfg_config){ 0 };
	if (cfg_add_trace_flag("pre@libpre.so:9", c, err, sizeof(err)) ||
	    cfg_set_depth_flag("--depth", "11", c, err, sizeof(err))) {
		fprintf(stderr, "prefill: %s\n", err);
		exit(1);
	}
}

static const want prefilled = { CD(11), SCOPES(SD("pre", "libpre.so", 9)) };

/* ---- KDL documents that parse ---- */

static const struct valid_case {
	const char *text;
	size_t len;
	want w;
} valid[] = {
	/* empty documents */
	{ T(""), { 0 } },
	{ T("\n\n  \n\t\n"), { 0 } },
	{ T("// only a comment"), { 0 } },
	{ T("/* a block */"), { 0 } },
	{ T("/* a /* nested */ block */\n"), { 0 } },
	{ T("\xef\xbb\xbf"), { 0 } },
	/* depths */
	{ T("call-depth 3"), { CD(3) } },
	{ T("call-depth 0\n"), { CD(0) } },
	{ T("call-depth 4294967295"), { CD(4294967295u) } },
	{ T("call-depth 4_294_967_295"), { CD(4294967295u) } },
	{ T("call-depth 1_000"), { CD(1000) } },
	{ T("call-depth 1__0_"), { CD(10) } },
	{ T("call-depth +7"), { CD(7) } },
	{ T("call-depth -0"), { CD(0) } },
	{ T("call-depth 007"), { CD(7) } },
	{ T("call-depth 00000000000000000000042"), { CD(42) } },
	{ T("backtrace-depth 16"), { BT(16) } },
	{ T("call-depth 3\nbacktrace-depth 4\n"), { CD(3), BT(4) } },
	{ T("call-depth 3; backtrace-depth 4;"), { CD(3), BT(4) } },
	{ T("call-depth 3;backtrace-depth 4"), { CD(3), BT(4) } },
	{ T("  \n\t call-depth 2   \n\n"), { CD(2) } },
	{ T("call-depth\t2"), { CD(2) } },
	{ T("call-depth\xc2\xa0" "2"), { CD(2) } },          /* no-break space */
	{ T("call-depth\xe3\x80\x80" "2"), { CD(2) } },      /* ideographic space */
	{ T("call-depth 2 // the default"), { CD(2) } },
	{ T("call-depth/* no space needed */2"), { CD(2) } },
	{ T("\xef\xbb\xbf" "call-depth 3"), { CD(3) } },
	/* line breaks: CRLF, CR, NEL, FF, LS, PS */
	{ T("call-depth 1\r\nbacktrace-depth 2\r\n"), { CD(1), BT(2) } },
	{ T("call-depth 1\rbacktrace-depth 2"), { CD(1), BT(2) } },
	{ T("call-depth 1\xc2\x85" "backtrace-depth 2"), { CD(1), BT(2) } },
	{ T("call-depth 1\fbacktrace-depth 2"), { CD(1), BT(2) } },
	{ T("call-depth 1\xe2\x80\xa8" "backtrace-depth 2"), { CD(1), BT(2) } },
	{ T("call-depth 1\xe2\x80\xa9" "backtrace-depth 2"), { CD(1), BT(2) } },
	/* trace */
	{ T("trace \"main\""), { SCOPES(S("main")) } },
	{ T("trace \"main\" binary=\"libfoo.so.1\""), { SCOPES(SB("main", "libfoo.so.1")) } },
	{ T("trace \"main\" call-depth=2"), { SCOPES(SD("main", NULL, 2)) } },
	{ T("trace \"main\" call-depth=0"), { SCOPES(SD("main", NULL, 0)) } },
	{ T("trace \"f\" call-depth=2 binary=\"libz.so.1\""), { SCOPES(SD("f", "libz.so.1", 2)) } },
	{ T("trace binary=\"libz.so.1\" \"inflate\""), { SCOPES(SB("inflate", "libz.so.1")) } },
	{ T("trace call-depth=4_294_967_295 \"f\""), { SCOPES(SD("f", NULL, 4294967295u)) } },
	{ T("trace \"operator new(unsigned long)\""), { SCOPES(S("operator new(unsigned long)")) } },
	{ T("trace \"puts@plt\""), { SCOPES(S("puts@plt")) } },
	{ T("trace \"f\"\ntrace \"f\" binary=\"a.so\"\ntrace \"f\" binary=\"b.so\" call-depth=1"),
	  { SCOPES(S("f"), SB("f", "a.so"), SD("f", "b.so", 1)) } },
	{ T("trace \"a\"; trace \"b\";trace \"c\""), { SCOPES(S("a"), S("b"), S("c")) } },
	{ T("call-depth 5\nbacktrace-depth 8\ntrace \"main\"\ntrace \"work\" binary=\"libw.so\" call-depth=1\n"),
	  { CD(5), BT(8), SCOPES(S("main"), SD("work", "libw.so", 1)) } },
	/* strings */
	{ T("trace r\"ns::f(char const*)\""), { SCOPES(S("ns::f(char const*)")) } },
	{ T("trace r\"a\\nb\""), { SCOPES(S("a\\nb")) } },
	{ T("trace r#\"say \"hi\"\"#"), { SCOPES(S("say \"hi\"")) } },
	{ T("trace r##\"a\"#b\"##"), { SCOPES(S("a\"#b")) } },
	{ T("trace \"a\\\"b\\\\c\\/d\""), { SCOPES(S("a\"b\\c/d")) } },
	{ T("trace \"\\u{41}\\u{e9}\\u{20AC}\\u{1F600}\\u{10FFFF}\""),
	  { SCOPES(S("A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf")) } },
	{ T("trace \"gr\xc3\xbc\xc3\x9f" "e\""), { SCOPES(S("gr\xc3\xbc\xc3\x9f" "e")) } },
	{ T("trace \"a b\" binary=r\"lib x.so\""), { SCOPES(SB("a b", "lib x.so")) } },
	/* line continuations */
	{ T("trace \"main\" \\\n  binary=\"libc.so.6\""), { SCOPES(SB("main", "libc.so.6")) } },
	{ T("trace \"main\" \\ // the library\n  binary=\"libc.so.6\" \\\r\n call-depth=3"),
	  { SCOPES(SD("main", "libc.so.6", 3)) } },
	{ T("trace \\\n\\\n\"main\""), { SCOPES(S("main")) } },
	{ T("call-depth 3 \\"), { CD(3) } },
	{ T("call-depth 3 \\ // and the end"), { CD(3) } },
	/* slashdash */
	{ T("/-call-depth 3\nbacktrace-depth 2"), { BT(2) } },
	{ T("/- call-depth 3"), { 0 } },
	{ T("/-trace \"a\"\n/-trace \"a\""), { 0 } },
	{ T("call-depth /-1 2"), { CD(2) } },
	{ T("call-depth /- \\\n 5 6"), { CD(6) } },
	{ T("call-depth 4 /-5"), { CD(4) } },
	{ T("trace \"m\" /-binary=\"x\""), { SCOPES(S("m")) } },
	{ T("trace \"m\" /-call-depth=\"not checked\" /-bogus=1"), { SCOPES(S("m")) } },
	{ T("/-trace \"m\" {\n  child 1\n  nested { deep \"x\"; deeper { } }\n}\ncall-depth 5"),
	  { CD(5) } },
	{ T("trace \"m\" /-{ a; b }"), { SCOPES(S("m")) } },
	{ T("call-depth 3 /-{\n}"), { CD(3) } },
	{ T("/-node-with.odd+chars?! 1 2.5 -3e4 0x1F 0o17 0b101 true false null \"s\" r#\"r\"#"), { 0 } },
	{ T("/-call-depth 3 \"a\nb\"\ncall-depth 1"), { CD(1) } },
	{ T("/-trace-depth 1"), { 0 } },
};

/* ---- KDL documents that do not parse, source "t.kdl" ---- */

#define X4(s) s s s s
#define X64(s) X4(X4(X4(s)))

static const struct invalid_case {
	const char *text;
	size_t len;
	const char *err;
} invalid[] = {
	/* nodes */
	{ T("trace-depth 3"),
	  "t.kdl:1:1: unknown node 'trace-depth' (expected call-depth, backtrace-depth or trace)" },
	{ T("call-depth 3\n\n  trace-depth 3"),
	  "t.kdl:3:3: unknown node 'trace-depth' (expected call-depth, backtrace-depth or trace)" },
	{ T("tr\xc3\xa9" "ce \"a\""),
	  "t.kdl:1:1: unknown node 'tr\xc3\xa9" "ce' (expected call-depth, backtrace-depth or trace)" },
	{ T("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1"),
	  "t.kdl:1:1: unknown node 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (expected call-depth, "
	  "backtrace-depth or trace)" },
	{ T("Call-Depth 3"),
	  "t.kdl:1:1: unknown node 'Call-Depth' (expected call-depth, backtrace-depth or trace)" },
	{ T("\"trace\" \"main\""), "t.kdl:1:1: node names must be bare words, not strings" },
	{ T("r\"trace\" \"main\""), "t.kdl:1:1: node names must be bare words, not strings" },
	{ T("(u8)call-depth 3"), "t.kdl:1:1: type annotations such as (u8) are not accepted" },
	{ T("5 3"), "t.kdl:1:1: 5 cannot be a node name" },
	{ T("-5"), "t.kdl:1:1: -5 cannot be a node name" },
	{ T("true"), "t.kdl:1:1: true cannot be a node name" },
	{ T("null 1"), "t.kdl:1:1: null cannot be a node name" },
	{ T("}"), "t.kdl:1:1: unexpected '}'" },
	{ T("{"), "t.kdl:1:1: unexpected '{'" },
	{ T("="), "t.kdl:1:1: unexpected '='" },
	{ T(";"), "t.kdl:1:1: unexpected ';' (there is no node before it)" },
	{ T("call-depth 3;;"), "t.kdl:1:14: unexpected ';' (there is no node before it)" },
	{ T("\\\ncall-depth 3"), "t.kdl:1:1: unexpected '\\' (there is no node before it to continue)" },
	{ T("call-depth 3\ncall-depth 4"), "t.kdl:2:1: duplicate call-depth node (first at 1:1)" },
	{ T("backtrace-depth 3; backtrace-depth 3"),
	  "t.kdl:1:20: duplicate backtrace-depth node (first at 1:1)" },
	/* call-depth / backtrace-depth */
	{ T("call-depth"), "t.kdl:1:1: call-depth: missing the depth (call-depth N)" },
	{ T("\tcall-depth // none"), "t.kdl:1:2: call-depth: missing the depth (call-depth N)" },
	{ T("call-depth;"), "t.kdl:1:1: call-depth: missing the depth (call-depth N)" },
	{ T("call-depth /-3"), "t.kdl:1:1: call-depth: missing the depth (call-depth N)" },
	{ T("backtrace-depth"), "t.kdl:1:1: backtrace-depth: missing the depth (backtrace-depth N)" },
	{ T("call-depth 1 2"),
	  "t.kdl:1:14: call-depth: unexpected second argument (call-depth takes one integer)" },
	{ T("call-depth \"3\""), "t.kdl:1:12: call-depth: the depth must be an integer, not a string" },
	{ T("call-depth r\"3\""), "t.kdl:1:12: call-depth: the depth must be an integer, not a string" },
	{ T("call-depth 2.5"), "t.kdl:1:12: call-depth: the depth must be an integer, not 2.5" },
	{ T("call-depth 1e3"), "t.kdl:1:12: call-depth: the depth must be an integer, not 1e3" },
	{ T("call-depth 1_0.0_1E-0_2"),
	  "t.kdl:1:12: call-depth: the depth must be an integer, not 1_0.0_1E-0_2" },
	{ T("call-depth true"), "t.kdl:1:12: call-depth: the depth must be an integer, not true" },
	{ T("call-depth null"), "t.kdl:1:12: call-depth: the depth must be an integer, not null" },
	{ T("call-depth three"), "t.kdl:1:12: call-depth: the depth must be an integer, not three" },
	{ T("call-depth -"), "t.kdl:1:12: call-depth: the depth must be an integer, not -" },
	{ T("call-depth #true"), "t.kdl:1:12: call-depth: the depth must be an integer, not #true" },
	{ T("call-depth 0x10"), "t.kdl:1:12: call-depth: the depth must be a decimal integer, not 0x10" },
	{ T("call-depth 0o17"), "t.kdl:1:12: call-depth: the depth must be a decimal integer, not 0o17" },
	{ T("call-depth -0b1"), "t.kdl:1:12: call-depth: the depth must be a decimal integer, not -0b1" },
	{ T("call-depth -1"), "t.kdl:1:12: call-depth: the depth must not be negative (-1)" },
	{ T("call-depth -99999999999"),
	  "t.kdl:1:12: call-depth: the depth must not be negative (-99999999999)" },
	{ T("call-depth 4294967296"),
	  "t.kdl:1:12: call-depth: the depth 4294967296 is too large (at most 4294967295)" },
	{ T("backtrace-depth 99999999999999999999999"),
	  "t.kdl:1:17: backtrace-depth: the depth 99999999999999999999999 is too large (at most "
	  "4294967295)" },
	{ T("call-depth 3 depth=4"),
	  "t.kdl:1:14: call-depth: unknown property 'depth' (call-depth takes none)" },
	{ T("call-depth 3 { }"),
	  "t.kdl:1:14: call-depth: children blocks { } are not accepted (call-depth has none)" },
	{ T("call-depth 3 }"), "t.kdl:1:14: call-depth: unexpected '}'" },
	{ T("call-depth (u8)3"),
	  "t.kdl:1:12: call-depth: type annotations such as (u8) are not accepted" },
	/* numbers that are not */
	{ T("call-depth 1."), "t.kdl:1:12: call-depth: invalid number 1." },
	{ T("call-depth 1.e5"), "t.kdl:1:12: call-depth: invalid number 1.e5" },
	{ T("call-depth 1e"), "t.kdl:1:12: call-depth: invalid number 1e" },
	{ T("call-depth 1abc"), "t.kdl:1:12: call-depth: invalid number 1abc" },
	{ T("call-depth 0xZZ"), "t.kdl:1:12: call-depth: invalid number 0xZZ" },
	{ T("call-depth 0x"), "t.kdl:1:12: call-depth: invalid number 0x" },
	{ T("call-depth 0b102"), "t.kdl:1:12: call-depth: invalid number 0b102" },
	{ T("call-depth 3.5.1"), "t.kdl:1:12: call-depth: invalid number 3.5.1" },
	/* trace */
	{ T("trace"),
	  "t.kdl:1:1: trace: missing the symbol (trace \"SYMBOL\" [binary=\"FILE\"] [call-depth=N])" },
	{ T("trace binary=\"libc.so.6\""),
	  "t.kdl:1:1: trace: missing the symbol (trace \"SYMBOL\" [binary=\"FILE\"] [call-depth=N])" },
	{ T("trace main"), "t.kdl:1:7: trace: the symbol must be a quoted string: write \"main\"" },
	{ T("trace 42"), "t.kdl:1:7: trace: the symbol must be a string, not an integer" },
	{ T("trace 4.2"), "t.kdl:1:7: trace: the symbol must be a string, not 4.2" },
	{ T("trace false"), "t.kdl:1:7: trace: the symbol must be a string, not false" },
	{ T("trace \"a\" \"b\""),
	  "t.kdl:1:11: trace: unexpected second argument (trace takes one symbol; write "
	  "binary=\"FILE\" and call-depth=N as properties)" },
	{ T("trace \"a\" \"libc.so.6\" 2"),
	  "t.kdl:1:11: trace: unexpected second argument (trace takes one symbol; write "
	  "binary=\"FILE\" and call-depth=N as properties)" },
	{ T("trace \"a\" binray=\"x\""),
	  "t.kdl:1:11: trace: unknown property 'binray' (expected binary or call-depth)" },
	{ T("trace \"a\" depth=1"),
	  "t.kdl:1:11: trace: unknown property 'depth' (expected binary or call-depth)" },
	{ T("trace \"a\" binary=\"x\" binary=\"y\""), "t.kdl:1:22: trace: duplicate property 'binary'" },
	{ T("trace \"a\" call-depth=1 call-depth=1"),
	  "t.kdl:1:24: trace: duplicate property 'call-depth'" },
	{ T("trace \"a\" binary=5"), "t.kdl:1:18: trace: binary must be a string, not an integer" },
	{ T("trace \"a\" binary=null"), "t.kdl:1:18: trace: binary must be a string, not null" },
	{ T("trace \"a\" binary=libc.so.6"),
	  "t.kdl:1:18: trace: binary must be a quoted string: write binary=\"libc.so.6\"" },
	{ T("trace \"a\" call-depth=\"2\""),
	  "t.kdl:1:22: trace: call-depth must be an integer, not a string" },
	{ T("trace \"a\" call-depth=1.0"), "t.kdl:1:22: trace: call-depth must be an integer, not 1.0" },
	{ T("trace \"a\" call-depth=0o7"),
	  "t.kdl:1:22: trace: call-depth must be a decimal integer, not 0o7" },
	{ T("trace \"a\" call-depth=-2"), "t.kdl:1:22: trace: call-depth must not be negative (-2)" },
	{ T("trace \"a\" call-depth=4294967296"),
	  "t.kdl:1:22: trace: call-depth 4294967296 is too large (at most 4294967295)" },
	{ T("trace \"\""), "t.kdl:1:7: trace: the symbol is empty" },
	{ T("trace r#\"\"#"), "t.kdl:1:7: trace: the symbol is empty" },
	{ T("trace \"a\" binary=\"\""), "t.kdl:1:18: trace: binary is empty" },
	{ T("trace \"a\" binary=\"/usr/lib/libz.so.1\""),
	  "t.kdl:1:18: trace: binary must be a file name such as libfoo.so.1, not a path" },
	{ T("trace \"a\\nb\""), "t.kdl:1:7: trace: the symbol holds a control character or a line break" },
	{ T("trace \"a\nb\""), "t.kdl:1:7: trace: the symbol holds a control character or a line break" },
	{ T("trace \"a\\tb\""), "t.kdl:1:7: trace: the symbol holds a control character or a line break" },
	{ T("trace \"a\" binary=\"lib\\u{85}.so\""),
	  "t.kdl:1:18: trace: binary holds a control character or a line break" },
	{ T("trace \"a\"\ntrace \"a\""),
	  "t.kdl:2:1: trace: \"a\" in the executable is traced twice (first at 1:1)" },
	{ T("trace \"f\" binary=\"x.so\"\n\n  trace call-depth=3 binary=\"x.so\" \"f\""),
	  "t.kdl:3:3: trace: \"f\" in x.so is traced twice (first at 1:1)" },
	{ T("trace \"a\" {\n}"),
	  "t.kdl:1:11: trace: children blocks { } are not accepted (trace has none)" },
	{ T("trace \"a\"{}"), "t.kdl:1:10: trace: children blocks { } are not accepted (trace has none)" },
	{ T("trace \"a\" \\\n  bogus=1"),
	  "t.kdl:2:3: trace: unknown property 'bogus' (expected binary or call-depth)" },
	{ T("trace \"\xc3\xa9\" x=1"), "t.kdl:1:11: trace: unknown property 'x' (expected binary or call-depth)" },
	{ T("trace \"a\" /-bogus"), "t.kdl:1:13: trace: bare word bogus is not a value: write \"bogus\"" },
	/* spacing and punctuation */
	{ T("trace\"main\""), "t.kdl:1:6: trace: missing space before '\"'" },
	{ T("trace \"main\"binary=\"x\""), "t.kdl:1:13: trace: missing space before 'b'" },
	{ T("call-depth 3/-4"), "t.kdl:1:13: call-depth: missing space before '/-'" },
	{ T("trace \"a\" binary = \"x\""),
	  "t.kdl:1:18: trace: no spaces are allowed around '=' (write binary=VALUE)" },
	{ T("trace \"a\" binary= \"x\""),
	  "t.kdl:1:11: trace: property binary has no value: write binary=VALUE, with no spaces" },
	{ T("trace \"a\" binary="),
	  "t.kdl:1:11: trace: property binary has no value: write binary=VALUE, with no spaces" },
	{ T("trace \"a\" binary=\"x\"=\"y\""), "t.kdl:1:21: trace: unexpected '='" },
	{ T("trace \"a\" =\"x\""), "t.kdl:1:11: trace: unexpected '='" },
	{ T("trace \"a\" \"binary\"=\"x\""),
	  "t.kdl:1:11: trace: property names must be bare words, not strings" },
	{ T("trace \"a\" 5=\"x\""), "t.kdl:1:11: trace: 5 cannot be a property name" },
	{ T("call-depth [3]"), "t.kdl:1:12: call-depth: unexpected '['" },
	{ T("call-depth 3,4"), "t.kdl:1:13: call-depth: unexpected ','" },
	{ T("call-depth 3 \\ 4\n"),
	  "t.kdl:1:14: call-depth: '\\' continues a node on the next line: only a comment may follow it" },
	{ T("/-"), "t.kdl:1:1: '/-' comments out nothing: put it before a node, an argument or a property" },
	{ T("/-\ncall-depth 3"),
	  "t.kdl:1:1: '/-' comments out nothing: put it before a node, an argument or a property" },
	{ T("call-depth 3 /-"),
	  "t.kdl:1:14: call-depth: '/-' comments out nothing: put it before a node, an argument or a "
	  "property" },
	{ T("call-depth 3 /-\n4"),
	  "t.kdl:1:14: call-depth: '/-' comments out nothing: put it before a node, an argument or a "
	  "property" },
	{ T("call-depth 3 /-{ } 4"), "t.kdl:1:20: call-depth: unexpected '4' after the children block" },
	{ T("trace #\"main\"#"), "t.kdl:1:7: trace: raw strings are written r#\"...\"# (KDL 1), not #\"...\"#" },
	/* strings */
	{ T("trace \"a"), "t.kdl:1:7: trace: unterminated string: '\"' without its closing '\"'" },
	{ T("trace \"a\\"), "t.kdl:1:7: trace: unterminated string: '\"' without its closing '\"'" },
	{ T("trace \"a\ncall-depth 3\n"),
	  "t.kdl:1:7: trace: unterminated string: '\"' without its closing '\"'" },
	{ T("trace r\"a"), "t.kdl:1:7: trace: unterminated raw string: no closing '\"'" },
	{ T("trace r#\"a\""), "t.kdl:1:7: trace: unterminated raw string: no closing '\"#'" },
	{ T("trace r##\"a\"#"), "t.kdl:1:7: trace: unterminated raw string: no closing '\"##'" },
	{ T("trace \"a\\qb\""),
	  "t.kdl:1:9: trace: invalid escape \\q in a string (valid: \\\" \\\\ \\/ \\n \\r \\t \\b \\f \\u{XXXX})" },
	{ T("trace \"\\s\""),
	  "t.kdl:1:8: trace: invalid escape \\s in a string (valid: \\\" \\\\ \\/ \\n \\r \\t \\b \\f \\u{XXXX})" },
	{ T("trace \"\\\xc3\xa9\""),
	  "t.kdl:1:8: trace: invalid escape \\\xc3\xa9 in a string (valid: \\\" \\\\ \\/ \\n \\r \\t \\b \\f \\u{XXXX})" },
	{ T("trace \"\\u{110000}\""), "t.kdl:1:8: trace: \\u{110000} is not a Unicode character" },
	{ T("trace \"\\u{D800}\""), "t.kdl:1:8: trace: \\u{D800} is not a Unicode character" },
	{ T("trace \"\\u{0}\""), "t.kdl:1:8: trace: \\u{0} (NUL) is not allowed in a string" },
	{ T("trace \"\\u{000000}\""), "t.kdl:1:8: trace: \\u{0} (NUL) is not allowed in a string" },
	{ T("trace \"\\u{}\""), "t.kdl:1:8: trace: invalid \\u escape: write \\u{XXXX} with 1 to 6 hex digits" },
	{ T("trace \"\\u{1234567}\""),
	  "t.kdl:1:8: trace: invalid \\u escape: write \\u{XXXX} with 1 to 6 hex digits" },
	{ T("trace \"\\u1234\""), "t.kdl:1:8: trace: invalid \\u escape: write \\u{XXXX} with 1 to 6 hex digits" },
	{ T("trace \"\\u{12g}\""), "t.kdl:1:8: trace: invalid \\u escape: write \\u{XXXX} with 1 to 6 hex digits" },
	{ T("trace \"\\u{41\""), "t.kdl:1:8: trace: invalid \\u escape: write \\u{XXXX} with 1 to 6 hex digits" },
	/* comments */
	{ T("/* open"), "t.kdl:1:1: unterminated comment: '/*' without its '*/'" },
	{ T("call-depth 3\n  /* a /* b */"), "t.kdl:2:3: unterminated comment: '/*' without its '*/'" },
	{ T("call-depth /* 3"), "t.kdl:1:12: call-depth: unterminated comment: '/*' without its '*/'" },
	{ T("call-depth 3 // fine\n}"), "t.kdl:2:1: unexpected '}'" },
	{ T("/ call-depth 3"), "t.kdl:1:1: unexpected '/'" },
	/* commented-out nodes are still KDL */
	{ T("/-trace main"), "t.kdl:1:9: bare word main is not a value: write \"main\"" },
	{ T("/-trace \"a\" (t)\"b\""), "t.kdl:1:13: type annotations such as (u8) are not accepted" },
	{ T("/-trace \"a\" k=v"), "t.kdl:1:15: bare word v is not a value: write \"v\"" },
	{ T("/-trace \"a\" {"), "t.kdl:1:13: unterminated children block: '{' without its '}'" },
	{ T("/-trace \"a\" { b\n  c \"d }"),
	  "t.kdl:2:5: unterminated string: '\"' without its closing '\"'" },
	{ T("/-a {" X64(" b {")), "t.kdl:1:261: children blocks nested more than 64 deep" },
	/* characters */
	{ T("call-depth \xff"), "t.kdl:1:12: invalid UTF-8 (byte 0xff)" },
	{ T("trace \"\xc0\xaf\""), "t.kdl:1:8: invalid UTF-8 (byte 0xc0)" },
	{ T("trace \"\xed\xa0\x80\""), "t.kdl:1:8: invalid UTF-8 (byte 0xed)" },
	{ T("trace \"\xf4\x90\x80\x80\""), "t.kdl:1:8: invalid UTF-8 (byte 0xf4)" },
	{ T("trace \"\xe2\x82\""), "t.kdl:1:8: invalid UTF-8 (byte 0xe2)" },
	{ T("call-depth 3\x01"),
	  "t.kdl:1:13: character U+0001 is not allowed (a control character or direction mark)" },
	{ T("call-depth 3\0"),
	  "t.kdl:1:13: character U+0000 is not allowed (a control character or direction mark)" },
	{ T("call-depth\v3"),
	  "t.kdl:1:11: character U+000B is not allowed (a control character or direction mark)" },
	{ T("// \x7f"), "t.kdl:1:4: character U+007F is not allowed (a control character or direction mark)" },
	{ T("trace \"a\xe2\x80\xae" "b\""),
	  "t.kdl:1:9: character U+202E is not allowed (a control character or direction mark)" },
	{ T("call-depth 3\xef\xbb\xbf"), "t.kdl:1:13: byte order mark U+FEFF in the middle of the text" },
	/* positions: CRLF is one line break, columns count characters */
	{ T("call-depth 1\r\n\r\nbogus"),
	  "t.kdl:3:1: unknown node 'bogus' (expected call-depth, backtrace-depth or trace)" },
	{ T("\xef\xbb\xbf" "bogus"), "t.kdl:1:1: unknown node 'bogus' (expected call-depth, backtrace-depth or trace)" },
	{ T("/* \xe2\x82\xac\xe2\x82\xac */ bogus"),
	  "t.kdl:1:10: unknown node 'bogus' (expected call-depth, backtrace-depth or trace)" },
	{ T("trace \"a\nb\" bogus=1"),
	  "t.kdl:1:7: trace: the symbol holds a control character or a line break" },
	{ T("/-trace \"a\nb\" \nbogus"),
	  "t.kdl:3:1: unknown node 'bogus' (expected call-depth, backtrace-depth or trace)" },
};

static void test_valid(void)
{
	char err[512];
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct valid_case *v = &valid[i];
		cfg_config c = { 0 };
		cases++;
		if (cfg_parse(v->text, v->len, "t.kdl", &c, err, sizeof(err)) < 0)
			fail_config("valid", v->text, NULL, &v->w, err);
		else if (!matches(&c, &v->w))
			fail_config("valid", v->text, &c, &v->w, NULL);
		cfg_free(&c);
		/* Merged into a filled configuration: appended, depths replaced. */
		prefill(&c);
		cases++;
		want m = prefilled;
		if (v->w.has_cd)
			m.cd = v->w.cd;
		m.has_bt = v->w.has_bt;
		m.bt = v->w.bt;
		for (size_t k = 0; k < v->w.n; k++)
			m.s[m.n++] = v->w.s[k];
		if (cfg_parse(v->text, v->len, "t.kdl", &c, err, sizeof(err)) < 0)
			fail_config("valid (merged)", v->text, NULL, &m, err);
		else if (!matches(&c, &m))
			fail_config("valid (merged)", v->text, &c, &m, NULL);
		cfg_free(&c);
	}
}

static void test_invalid(void)
{
	char err[512], small[12];
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct invalid_case *v = &invalid[i];
		cfg_config c;
		prefill(&c);
		cases++;
		err[0] = '\0';
		if (cfg_parse(v->text, v->len, "t.kdl", &c, err, sizeof(err)) == 0)
			fail_error("invalid", v->text, v->err, NULL, &c);
		else if (strcmp(err, v->err))
			fail_error("invalid", v->text, v->err, err, &c);
		else if (!matches(&c, &prefilled))
			fail_config("invalid (left unchanged)", v->text, &c, &prefilled, NULL);
		/* A short buffer gets the start of the same message. */
		if (cfg_parse(v->text, v->len, "t.kdl", &c, small, sizeof(small)) == 0 ||
		    strlen(small) != sizeof(small) - 1 || strncmp(small, v->err, sizeof(small) - 1)) {
			failures++;
			fprintf(stderr, "FAIL invalid (short buffer) '%s': got '%s'\n", v->err, small);
		}
		if (cfg_parse(v->text, v->len, "t.kdl", &c, NULL, 0) == 0) {
			failures++;
			fprintf(stderr, "FAIL invalid (no buffer) '%s'\n", v->err);
		}
		cfg_free(&c);
	}
}

/* Many scopes: the duplicate check holds past its first table sizes. */
static void test_many_scopes(void)
{
	enum { N = 1000 };
	char *text = malloc(N * 40 + 64), err[512], want_err[128];
	size_t len = 0;
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(text + len, "trace \"f%d\" binary=\"lib%d.so\"\n", i, i % 3);
	cfg_config c;
	prefill(&c);
	cases++;
	if (cfg_parse(text, len, "t.kdl", &c, err, sizeof(err)) || c.n_scopes != N + 1 ||
	    strcmp(c.scopes[N].symbol, "f999") || strcmp(c.scopes[N].binary, "lib0.so")) {
		failures++;
		fprintf(stderr, "FAIL %d scopes: %zu scopes, %s\n", N, c.n_scopes, err);
	}
	cfg_free(&c);
	/* The same with one more line that repeats scope 742. */
	len += (size_t)sprintf(text + len, "\n  trace \"f742\" binary=\"lib1.so\" call-depth=1\n");
	snprintf(want_err, sizeof(want_err),
		 "t.kdl:%d:3: trace: \"f742\" in lib1.so is traced twice (first at 743:1)", N + 2);
	prefill(&c);
	cases++;
	if (cfg_parse(text, len, "t.kdl", &c, err, sizeof(err)) == 0)
		fail_error("many scopes", "(1000 traces and a repeat)", want_err, NULL, &c);
	else if (strcmp(err, want_err))
		fail_error("many scopes", "(1000 traces and a repeat)", want_err, err, &c);
	else if (!matches(&c, &prefilled))
		fail_config("many scopes (left unchanged)", "(1000 traces)", &c, &prefilled, NULL);
	cfg_free(&c);
	free(text);
}

/* ---- --trace and --depth ---- */

static const struct trace_case {
	const char *arg;
	want_scope s; /* symbol NULL: an error */
	const char *err;
} traces[] = {
	{ "main", S("main"), NULL },
	{ "main:3", SD("main", NULL, 3), NULL },
	{ "main:0", SD("main", NULL, 0), NULL },
	{ "main:007", SD("main", NULL, 7), NULL },
	{ "main:4294967295", SD("main", NULL, 4294967295u), NULL },
	{ "main@libfoo.so.1", SB("main", "libfoo.so.1"), NULL },
	{ "main@libfoo.so.1:2", SD("main", "libfoo.so.1", 2), NULL },
	{ "ns::f", S("ns::f"), NULL },
	{ "ns::f:3", SD("ns::f", NULL, 3), NULL },
	{ "ns::f@libx.so:0", SD("ns::f", "libx.so", 0), NULL },
	{ "f::3", S("f::3"), NULL },
	{ "std::vector<int>::push_back(int const&)@libstdc++.so.6:1",
	  SD("std::vector<int>::push_back(int const&)", "libstdc++.so.6", 1), NULL },
	{ "operator<<(std::ostream&, int):2", SD("operator<<(std::ostream&, int)", NULL, 2), NULL },
	{ "f[abi:cxx11]", S("f[abi:cxx11]"), NULL },
	{ "f[abi:cxx11]:5", SD("f[abi:cxx11]", NULL, 5), NULL },
	{ "(anonymous namespace)::g@liba.so", SB("(anonymous namespace)::g", "liba.so"), NULL },
	{ "main:abc", S("main:abc"), NULL },
	{ "puts@plt@", S("puts@plt"), NULL },
	{ "memcpy@GLIBC_2.14@libc.so.6:2", SD("memcpy@GLIBC_2.14", "libc.so.6", 2), NULL },
	{ "main@", S("main"), NULL },
	{ "main@:4", SD("main", NULL, 4), NULL },
	{ "x:y@lib:z.so:1", SD("x:y", "lib:z.so", 1), NULL },
	{ "gr\xc3\xbc\xc3\x9f" "e", S("gr\xc3\xbc\xc3\x9f" "e"), NULL },
	{ "", { 0 }, "--trace '': the symbol is empty" },
	{ "@libz.so.1", { 0 }, "--trace '@libz.so.1': the symbol is empty" },
	{ ":3", { 0 }, "--trace ':3': the symbol is empty" },
	{ "@", { 0 }, "--trace '@': the symbol is empty" },
	{ "main:", { 0 }, "--trace 'main:': the depth after ':' must be decimal digits, not ''" },
	{ "main:-1", { 0 }, "--trace 'main:-1': the depth after ':' must be decimal digits, not '-1'" },
	{ "main:+1", { 0 }, "--trace 'main:+1': the depth after ':' must be decimal digits, not '+1'" },
	{ "main:1_0", { 0 }, "--trace 'main:1_0': the depth after ':' must be decimal digits, not '1_0'" },
	{ "main:4294967296", { 0 },
	  "--trace 'main:4294967296': the depth 4294967296 is too large (at most 4294967295)" },
	{ "f@libz.so.1:99999999999", { 0 },
	  "--trace 'f@libz.so.1:99999999999': the depth 99999999999 is too large (at most 4294967295)" },
	{ "main@/lib/libc.so.6", { 0 },
	  "--trace 'main@/lib/libc.so.6': binary must be a file name such as libfoo.so.1, not a path" },
	{ "ma\nin", { 0 }, "--trace 'ma\\x0ain': the symbol holds a control character or a line break" },
	{ "main@lib\tc.so", { 0 },
	  "--trace 'main@lib\\x09c.so': binary holds a control character or a line break" },
	{ "\xff" "main", { 0 }, "--trace '\\xffmain': the symbol is not UTF-8" },
};

static void test_trace_flag(void)
{
	char err[512];
	for (size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++) {
		const struct trace_case *t = &traces[i];
		cfg_config c;
		prefill(&c);
		cases++;
		err[0] = '\0';
		int r = cfg_add_trace_flag(t->arg, &c, err, sizeof(err));
		if (t->err) {
			if (r == 0)
				fail_error("--trace", t->arg, t->err, NULL, &c);
			else if (strcmp(err, t->err))
				fail_error("--trace", t->arg, t->err, err, &c);
			else if (!matches(&c, &prefilled))
				fail_config("--trace (left unchanged)", t->arg, &c, &prefilled, NULL);
		} else {
			want w = prefilled;
			w.s[w.n++] = t->s;
			if (r)
				fail_config("--trace", t->arg, NULL, &w, err);
			else if (!matches(&c, &w))
				fail_config("--trace", t->arg, &c, &w, NULL);
		}
		cfg_free(&c);
	}

	/* The same scope twice; the same symbol in another binary is another scope. */
	cfg_config c = { 0 };
	static const struct {
		const char *arg, *err;
	} seq[] = {
		{ "main", NULL },
		{ "main@libc.so.6", NULL },
		{ "main:3", "--trace 'main:3': main in the executable is already traced" },
		{ "main@libc.so.6:1", "--trace 'main@libc.so.6:1': main in libc.so.6 is already traced" },
		{ "main@:1", "--trace 'main@:1': main in the executable is already traced" },
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		cases++;
		err[0] = '\0';
		int r = cfg_add_trace_flag(seq[i].arg, &c, err, sizeof(err));
		if (seq[i].err ? r == 0 || strcmp(err, seq[i].err) : r != 0)
			fail_error("--trace (sequence)", seq[i].arg, seq[i].err ? seq[i].err : "(none)",
				   r ? err : NULL, &c);
	}
	cases++;
	if (c.n_scopes != 2)
		fail_error("--trace (sequence)", "count", "2 scopes", "another count", &c);
	cfg_free(&c);
}

static const struct depth_case {
	const char *flag, *arg;
	uint32_t v;
	const char *err;
} depths[] = {
	{ "--depth", "3", 3, NULL },
	{ "--depth", "0", 0, NULL },
	{ "--depth", "0007", 7, NULL },
	{ "--depth", "4294967295", 4294967295u, NULL },
	{ "--backtrace-depth", "16", 16, NULL },
	{ "--depth", "abc", 0, "--depth wants a non-negative integer, not 'abc'" },
	{ "--depth", "", 0, "--depth wants a non-negative integer, not ''" },
	{ "--depth", "-1", 0, "--depth wants a non-negative integer, not '-1'" },
	{ "--depth", "+1", 0, "--depth wants a non-negative integer, not '+1'" },
	{ "--depth", " 3", 0, "--depth wants a non-negative integer, not ' 3'" },
	{ "--depth", "3 ", 0, "--depth wants a non-negative integer, not '3 '" },
	{ "--depth", "1_000", 0, "--depth wants a non-negative integer, not '1_000'" },
	{ "--depth", "0x10", 0, "--depth wants a non-negative integer, not '0x10'" },
	{ "--depth", "4294967296", 0, "--depth 4294967296 is too large (at most 4294967295)" },
	{ "--backtrace-depth", "x", 0, "--backtrace-depth wants a non-negative integer, not 'x'" },
	{ "--backtrace-depth", "99999999999999999999", 0,
	  "--backtrace-depth 99999999999999999999 is too large (at most 4294967295)" },
	{ "--bogus", "3", 0, "--bogus is not a depth flag" },
};

static void test_depth_flag(void)
{
	char err[512];
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		const struct depth_case *d = &depths[i];
		bool bt = !strcmp(d->flag, "--backtrace-depth");
		cfg_config c;
		prefill(&c);
		cases++;
		err[0] = '\0';
		int r = cfg_set_depth_flag(d->flag, d->arg, &c, err, sizeof(err));
		if (d->err) {
			if (r == 0)
				fail_error(d->flag, d->arg, d->err, NULL, &c);
			else if (strcmp(err, d->err))
				fail_error(d->flag, d->arg, d->err, err, &c);
			else if (!matches(&c, &prefilled))
				fail_config("depth (left unchanged)", d->arg, &c, &prefilled, NULL);
		} else {
			want w = prefilled;
			if (bt) {
				w.has_bt = true;
				w.bt = d->v;
			} else {
				w.cd = d->v;
			}
			if (r)
				fail_config(d->flag, d->arg, NULL, &w, err);
			else if (!matches(&c, &w))
				fail_config(d->flag, d->arg, &c, &w, NULL);
		}
		cfg_free(&c);
	}
}

/* ---- -c: files, inline text, pipes ---- */

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* cfg_load(arg) into a prefilled configuration: expect w (merged into the
 * prefill) or the error err. */
static void check_load(const char *arg, const want *w, const char *err_want)
{
	char err[1024];
	cfg_config c;
	prefill(&c);
	cases++;
	err[0] = '\0';
	int r = cfg_load(arg, &c, err, sizeof(err));
	if (err_want) {
		if (r == 0)
			fail_error("-c", arg, err_want, NULL, &c);
		else if (strcmp(err, err_want))
			fail_error("-c", arg, err_want, err, &c);
		else if (!matches(&c, &prefilled))
			fail_config("-c (left unchanged)", arg, &c, &prefilled, NULL);
	} else {
		want m = prefilled;
		if (w->has_cd)
			m.cd = w->cd;
		m.has_bt = w->has_bt;
		m.bt = w->bt;
		for (size_t k = 0; k < w->n; k++)
			m.s[m.n++] = w->s[k];
		if (r)
			fail_config("-c", arg, NULL, &m, err);
		else if (!matches(&c, &m))
			fail_config("-c", arg, &c, &m, NULL);
	}
	cfg_free(&c);
}

static void test_load(void)
{
	char dir[] = "/tmp/nosco-config-test.XXXXXX", path[4096 + 64];
	if (!mkdtemp(dir) || chdir(dir)) {
		fprintf(stderr, "cannot make a temporary folder: %s\n", strerror(errno));
		exit(1);
	}
	static const char conf[] = "// scopes\ncall-depth 4\ntrace \"main\"\n"
				   "trace \"inflate\" binary=\"libz.so.1\" call-depth=2\n";
	static const want conf_want = { CD(4), SCOPES(S("main"), SD("inflate", "libz.so.1", 2)) };
	write_file("conf.kdl", T(conf));
	write_file("scopes.conf", T(conf));
	write_file("bad.kdl", T("call-depth 4\n  trace-depth 2\n"));
	write_file("empty.kdl", T(""));
	mkdir("d.kdl", 0700);

	/* Files, by absolute and relative path, with or without .kdl. */
	snprintf(path, sizeof(path), "%s/conf.kdl", dir);
	check_load(path, &conf_want, NULL);
	check_load("conf.kdl", &conf_want, NULL);
	check_load("./scopes.conf", &conf_want, NULL);
	check_load("empty.kdl", &(want){ 0 }, NULL);
	check_load("bad.kdl", NULL,
		   "bad.kdl:2:3: unknown node 'trace-depth' (expected call-depth, backtrace-depth or trace)");
	/* Paths that do not lead to a readable file. */
	check_load("missing.kdl", NULL, "missing.kdl: cannot open: No such file or directory");
	check_load("/nonexistent/dir/x.kdl", NULL,
		   "/nonexistent/dir/x.kdl: cannot open: No such file or directory");
	check_load("conf.kdl/x.kdl", NULL, "conf.kdl/x.kdl: cannot open: Not a directory");
	check_load("d.kdl", NULL, "d.kdl: is a directory, not a configuration file");
	snprintf(path, sizeof(path), "%s: is a directory, not a configuration file", dir);
	check_load(dir, NULL, path);
	/* Inline text. */
	check_load("call-depth 3; trace \"main\" binary=\"libc.so.6\"",
		   &(want){ CD(3), SCOPES(SB("main", "libc.so.6")) }, NULL);
	check_load("", &(want){ 0 }, NULL);
	check_load("backtrace-depth 2\n/-trace \"x\"", &(want){ BT(2) }, NULL);
	check_load("trace-depth 3", NULL,
		   "-c:1:1: unknown node 'trace-depth' (expected call-depth, backtrace-depth or trace)");
	check_load("conf/scopes", NULL,
		   "-c:1:1: unknown node 'conf' (expected call-depth, backtrace-depth or trace) (no file "
		   "is named 'conf/scopes', so -c read it as KDL text)");
	check_load("trace \"pre\" binary=\"libpre.so\"", NULL,
		   "-c:1:1: trace: \"pre\" in libpre.so is traced twice (already given by an earlier -c "
		   "or --trace)");

	/* Exactly 1 MiB is read; one byte more is refused. */
	size_t mib = 1024 * 1024;
	char *big = malloc(mib + 1);
	memset(big, ' ', mib + 1);
	memcpy(big, "call-depth 9\n//", 15);
	write_file("mib.kdl", big, mib);
	check_load("mib.kdl", &(want){ CD(9) }, NULL);
	write_file("big.kdl", big, mib + 1);
	check_load("big.kdl", NULL, "big.kdl: larger than 1 MiB, too large for a configuration");
	free(big);

	/* A pipe (what -c <(...) gives), small and too large. */
	int fds[2];
	if (pipe(fds) == 0) {
		static const char piped[] = "backtrace-depth 5\ntrace \"p\"\n";
		if (write(fds[1], piped, sizeof(piped) - 1) != (ssize_t)sizeof(piped) - 1)
			exit(1);
		close(fds[1]);
		snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
		check_load(path, &(want){ BT(5), SCOPES(S("p")) }, NULL);
		close(fds[0]);
	}
	if (pipe(fds) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			char block[4096];
			memset(block, '\n', sizeof(block));
			for (size_t sent = 0; sent <= mib; sent += sizeof(block))
				if (write(fds[1], block, sizeof(block)) < 0)
					_exit(0);
			_exit(0);
		}
		close(fds[1]);
		snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
		char want_err[sizeof(path) + 64];
		snprintf(want_err, sizeof(want_err), "%s: larger than 1 MiB, too large for a configuration",
			 path);
		check_load(path, NULL, want_err);
		close(fds[0]);
	}

	/* Later sources add scopes and replace depths. */
	char err[512];
	cfg_config c = { 0 };
	int r = cfg_load("conf.kdl", &c, err, sizeof(err));
	r |= cfg_load("call-depth 7; backtrace-depth 1; trace \"other\"", &c, err, sizeof(err));
	r |= cfg_set_depth_flag("--depth", "8", &c, err, sizeof(err));
	r |= cfg_add_trace_flag("last@liblast.so", &c, err, sizeof(err));
	cases++;
	want all = { CD(8), BT(1), SCOPES(S("main"), SD("inflate", "libz.so.1", 2), S("other"),
					  SB("last", "liblast.so")) };
	if (r)
		fail_config("merge", "conf.kdl, -c, --depth, --trace", NULL, &all, err);
	else if (!matches(&c, &all))
		fail_config("merge", "conf.kdl, -c, --depth, --trace", &c, &all, NULL);
	cfg_free(&c);
	cases++;
	if (c.scopes || c.n_scopes || c.has_call_depth || c.has_backtrace_depth) {
		failures++;
		fputs("FAIL cfg_free leaves a non-empty configuration\n", stderr);
	}

	unlink("conf.kdl");
	unlink("scopes.conf");
	unlink("bad.kdl");
	unlink("empty.kdl");
	unlink("mib.kdl");
	unlink("big.kdl");
	rmdir("d.kdl");
	if (chdir("/") == 0)
		rmdir(dir);
}

int main(void)
{
	test_valid();
	test_invalid();
	test_many_scopes();
	test_trace_flag();
	test_depth_flag();
	test_load();
	printf("config: %d cases (%zu valid documents, %zu invalid, %zu --trace, %zu depth flags, "
	       "-c), %d failed\n", cases, sizeof(valid) / sizeof(valid[0]),
	       sizeof(invalid) / sizeof(invalid[0]), sizeof(traces) / sizeof(traces[0]),
	       sizeof(depths) / sizeof(depths[0]), failures);
	return failures ? 1 : 0;
}
