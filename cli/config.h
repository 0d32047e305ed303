// nosco-sql's configuration: nosco's KDL files (-c) and the equivalent
// command-line flags (--depth, --backtrace-depth, --trace). The section of
// the README that describes them, kept here with the code:
//
// ### Configuration: `-c`, `--trace`, `--depth`, `--backtrace-depth`
// ```
// nosco-sql run [-c CONFIG]... [--trace SYMBOL[@BINARY][:DEPTH]]... [--depth N]
//               [--backtrace-depth N] [--] PROG [ARGS...]
// ```
// `-c CONFIG` (`--config`) takes a configuration in nosco's KDL format:
// inline text, or a file, read as a file when one of that name exists or
// the name ends in `.kdl` (at most 1 MiB; `-c <(...)` works). `-c` and the
// flags can be repeated and mixed; they apply in command-line order: a
// later depth replaces an earlier one, scopes add up.
// ```
// // scopes.kdl                     the same as flags:
// call-depth 4                      // --depth 4
// backtrace-depth 16                // --backtrace-depth 16
// trace "main"                      // --trace main
// trace "inflate" binary="libz.so.1" call-depth=2   // --trace inflate@libz.so.1:2
// trace r"ns::Parser<char>::parse(std::string const&)" binary="libfoo.so"
// ```
// - `call-depth N` (`--depth N`): instructions are recorded in calls at
//   depth <= N. `backtrace-depth N` (`--backtrace-depth N`): frames of the
//   call stack recorded at scope entries and thread creations (default 16;
//   0: none). One integer each, at most once per file.
// - `trace "SYMBOL"`: a scope, a function by its raw or demangled name.
//   `binary="FILE"`: the file name of the loaded image it is in
//   (`libfoo.so.1`, not a path); without it, the executable.
//   `call-depth=N`: the depth recorded under this scope; without it, the
//   run's. A symbol cannot be traced twice in the same binary.
//
// The format is the part of [KDL 1.0](https://kdl.dev) these nodes need,
// strictly; anything else is an error, never ignored:
// - One node per line, or nodes separated by `;`; `\` at the end of a line
//   continues the node. Node and property names are bare words.
// - Strings: `"..."` with the escapes `\" \\ \/ \n \r \t \b \f \u{1F600}`, and
//   raw strings `r"..."`, `r#"..."#` (no escapes). A symbol or file name is
//   not empty and holds no control character or line break.
// - Integers: decimal, optional sign, `_` separators (`1_000`), 0 to
//   4294967295. Fractions, exponents, `0x`/`0o`/`0b` numbers, `true`,
//   `false`, `null`, bare words as values and type annotations `(u8)` are
//   errors.
// - Comments: `// to the end of the line`, `/* block */` (they nest), and
//   `/-` before a node, an argument or a property comments it out.
// - Children blocks `{ ... }` are errors (these nodes have none), except in a
//   node commented out with `/-`.
//
// `--trace SYMBOL[@BINARY][:DEPTH]` is `trace "SYMBOL" binary="BINARY"
// call-depth=DEPTH`. DEPTH is what follows the last `:` if that is only
// digits and the `:` is not half of a `::`: `ns::f:3` is `ns::f` at depth 3,
// `ns::f` has none. BINARY is what follows the last `@` before that, and an
// empty BINARY means the executable, so a symbol that contains `@` is
// written with one more `@` after it: `--trace puts@plt@`, `--trace
// 'memcpy@GLIBC_2.14@libc.so.6:2'`. `--depth` and `--backtrace-depth` take
// plain decimal digits.
//
// Errors are one line that names the file (`-c` for inline text), the line
// and column (columns count characters), and the node:
// ```
// scopes.kdl:3:1: unknown node 'trace-depth' (expected call-depth, backtrace-depth or trace)
// scopes.kdl:3:17: trace: unknown property 'binray' (expected binary or call-depth)
// scopes.kdl:2:12: call-depth: the depth must be an integer, not 2.5
// -c:1:7: trace: the symbol must be a quoted string: write "main"
// --trace 'f@libz.so.1:99999999999': the depth 99999999999 is too large (at most 4294967295)
// ```
#ifndef NOSCO_CLI_CONFIG_H
#define NOSCO_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One scope: record calls to symbol in binary, to depth under it. */
typedef struct cfg_scope {
	char *symbol;   /* raw or demangled function name; never NULL or empty */
	char *binary;   /* file name to match ("libfoo.so.1"), or NULL = the main executable */
	uint32_t depth; /* call depth recorded under the scope */
	bool has_depth; /* false: use the run's call depth */
} cfg_scope;

/* A configuration. A zeroed cfg_config is an empty, valid one. */
typedef struct cfg_config {
	bool has_call_depth;
	uint32_t call_depth;       /* `call-depth N`, --depth N */
	bool has_backtrace_depth;
	uint32_t backtrace_depth;  /* `backtrace-depth N`, --backtrace-depth N */
	cfg_scope *scopes;         /* `trace ...`, --trace, in the order given */
	size_t n_scopes;
} cfg_config;

/* Parses the KDL document text[0..len) (any bytes; it need not end in NUL)
 * and merges it into out, which must be a valid configuration (zeroed, or
 * filled by earlier calls): its scopes are appended, the depths it sets
 * replace out's. source names the text in messages ("-c" for inline text, or
 * the path). Returns 0, or -1 with out unchanged and one line (no '\n') in
 * err[errlen]: "SOURCE:LINE:COL: MESSAGE". err may be NULL when errlen is 0. */
int cfg_parse(const char *text, size_t len, const char *source, cfg_config *out,
	      char *err, size_t errlen);

/* -c ARG: when a file named ARG exists, or ARG ends in ".kdl", reads that
 * file (an error if it cannot be read, is a directory, or is larger than
 * 1 MiB) and parses it with ARG as source; otherwise parses ARG itself as KDL
 * with source "-c". Merges into out as cfg_parse does. Returns 0, or -1 with
 * out unchanged and one line in err. */
int cfg_load(const char *arg, cfg_config *out, char *err, size_t errlen);

/* --trace SYMBOL[@BINARY][:DEPTH] (rules in the comment at the top): appends
 * one scope to out. Returns 0, or -1 with out unchanged and one line in err,
 * e.g. "--trace '@libz.so.1': the symbol is empty". */
int cfg_add_trace_flag(const char *arg, cfg_config *out, char *err, size_t errlen);

/* --depth N / --backtrace-depth N: flag is "--depth" (sets call_depth) or
 * "--backtrace-depth" (sets backtrace_depth); arg is plain decimal digits
 * up to 4294967295. Returns 0, or -1 with out unchanged and one line in err,
 * e.g. "--depth wants a non-negative integer, not 'abc'". */
int cfg_set_depth_flag(const char *flag, const char *arg, cfg_config *out, char *err,
		       size_t errlen);

/* Frees what c holds and leaves it zeroed (a valid, empty configuration). */
void cfg_free(cfg_config *c);

#endif
