/* nosco's configuration: a strict parser for the subset of KDL 1.0 that its
 * nodes need, and the command-line flags that say the same things. The
 * accepted format is described at the top of config.h.
 *
 * The parser works in one pass over text that has first been checked as a
 * whole (UTF-8, no control characters, no direction marks: those errors come
 * first). Nodes are parsed one at a time and checked as each argument and
 * property is read, so any other error reported is the first one in the
 * text. Everything a document sets is collected apart and merged into the
 * caller's configuration only when the whole document is good. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_MAX_FILE (1024 * 1024) /* -c FILE: at most 1 MiB */
#define CFG_MAX_NESTING 64         /* children blocks inside commented-out nodes */
#define CFG_SHOW_TOKEN 40          /* bytes of a token quoted in a message */
#define CFG_SHOW_PATH 200          /* bytes of a file name quoted in a message */
#define CFG_SHOW_SIZE(max) (5 * (max) + 4)

#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- UTF-8 and KDL's character classes ---- */

/* Decodes the UTF-8 sequence at s[i] (i < n) into *cp and returns its
 * length, or 0 when the bytes there are not well-formed UTF-8 (overlong
 * forms, surrogates and values above U+10FFFF included). */
static size_t u8_decode(const char *s, size_t n, size_t i, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t len;
	uint32_t c, min;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	} else if ((u[0] & 0xe0) == 0xc0) {
		len = 2, c = u[0] & 0x1f, min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3, c = u[0] & 0x0f, min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		len = 4, c = u[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n - i < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((u[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (u[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* The code point at s[i] in text already checked by check_text(); *len
 * gets its length. */
static uint32_t cp_at(const char *s, size_t n, size_t i, size_t *len)
{
	uint32_t c = 0xfffd;
	*len = u8_decode(s, n, i, &c);
	if (!*len)
		*len = 1;
	return c;
}

static bool is_newline_cp(uint32_t c)
{
	return c == '\n' || c == '\r' || c == 0x0c || c == 0x85 || c == 0x2028 || c == 0x2029;
}

static bool is_space_cp(uint32_t c)
{
	return c == '\t' || c == ' ' || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Characters refused anywhere in a document: control characters other than
 * tab and line breaks, and the invisible direction marks that can make text
 * read differently from how it parses. */
static bool is_forbidden_cp(uint32_t c)
{
	if (c < 0x20)
		return c != '\t' && c != '\n' && c != '\r' && c != 0x0c;
	return c == 0x7f || (c >= 0x80 && c < 0xa0 && c != 0x85) || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* KDL's identifier-char: anything but spaces, line breaks and \/(){}<>;[]=," */
static bool is_ident_cp(uint32_t c)
{
	if (c <= 0x20 || is_space_cp(c) || is_newline_cp(c) || c == 0xfeff)
		return false;
	return c >= 0x80 || !strchr("\\/(){}<>;[]=,\"", (int)c);
}

/* Length of the line break at s[i] (CRLF counts as one), or 0. */
static size_t newline_len(const char *s, size_t n, size_t i)
{
	if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
		return 2;
	size_t len;
	return is_newline_cp(cp_at(s, n, i, &len)) ? len : 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint32_t hex_value(char c)
{
	return is_digit(c) ? (uint32_t)(c - '0') : (uint32_t)((c | 0x20) - 'a' + 10);
}

/* ---- messages ---- */

/* Writes s[0..n) into out (CFG_SHOW_SIZE(max) bytes) as one printable line:
 * control characters, line breaks, direction marks and bytes that are not
 * UTF-8 are escaped, and text beyond max bytes is cut to "...". */
static const char *show(char *out, size_t max, const char *s, size_t n)
{
	size_t o = 0, size = CFG_SHOW_SIZE(max);
	for (size_t i = 0; i < n;) {
		if (i >= max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		uint32_t c;
		size_t len = u8_decode(s, n, i, &c);
		if (!len) {
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", (unsigned char)s[i]);
			i++;
		} else if (is_forbidden_cp(c) || is_newline_cp(c) || c == '\t' || c == 0xfeff) {
			if (c < 0x80)
				o += (size_t)snprintf(out + o, size - o, "\\x%02x", (unsigned)c);
			else
				o += (size_t)snprintf(out + o, size - o, "\\u{%x}", (unsigned)c);
			i += len;
		} else {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		}
	}
	out[o] = '\0';
	return out;
}

/* The usual error for the flags and for files: one formatted line. */
PRINTF(3, 4) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Why s cannot be a symbol (binary false) or a binary's file name (true), or
 * NULL when it can. */
static const char *bad_name(const char *s, bool binary)
{
	if (!*s)
		return binary ? "binary is empty" : "the symbol is empty";
	for (size_t i = 0, n = strlen(s); i < n;) {
		uint32_t c;
		size_t len = u8_decode(s, n, i, &c);
		if (!len)
			return binary ? "binary is not UTF-8" : "the symbol is not UTF-8";
		if (is_forbidden_cp(c) || is_newline_cp(c) || c == '\t' || c == 0xfeff)
			return binary ? "binary holds a control character or a line break"
				      : "the symbol holds a control character or a line break";
		i += len;
	}
	if (binary && strchr(s, '/'))
		return "binary must be a file name such as libfoo.so.1, not a path";
	return NULL;
}

/* ---- the document parser ---- */

typedef enum vtype { V_STRING, V_INT, V_RADIX, V_FRACTION, V_BOOL, V_NULL, V_WORD } vtype;

/* A value as read: an argument, a property's value, or a bare word. */
typedef struct value {
	vtype type;
	size_t off, end; /* where it is in the text */
	char *str;       /* V_STRING of a node we keep: decoded, malloc'd */
	bool neg, big;   /* V_INT: a '-' sign; more than UINT32_MAX */
	uint32_t num;    /* V_INT: the magnitude */
} value;

typedef enum nkind { N_CALL_DEPTH, N_BACKTRACE_DEPTH, N_TRACE } nkind;

/* A node being read, when it is kept (not commented out). */
typedef struct node {
	nkind kind;
	size_t off; /* its name */
	size_t nargs;
	char *symbol, *binary;
	bool has_binary, has_depth;
	uint32_t depth;
} node;

typedef struct parser {
	const char *s;
	size_t n, i;
	const char *source;
	char *err;
	size_t errlen;
	const char *node; /* name of the kept node being read, for messages */

	cfg_config add;       /* what the document sets */
	size_t *add_off;      /* where each of add.scopes was given */
	size_t add_cap;
	size_t call_depth_off, backtrace_depth_off; /* where set, for duplicates */
	const cfg_config *base; /* the configuration merged into */
	size_t *slots;          /* hash set of scopes (index + 1; 0 = empty) over base then add */
	size_t nslots;
} parser;

/* Line and column (1-based; columns count code points) of offset off. */
static void line_col(const char *s, size_t n, size_t off, unsigned long *line, unsigned long *col)
{
	size_t i = 0;
	*line = 1;
	*col = 1;
	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3; /* a byte order mark is not a column */
	while (i < off && i < n) {
		size_t len = newline_len(s, n, i);
		if (len) {
			++*line;
			*col = 1;
		} else {
			cp_at(s, n, i, &len);
			++*col;
		}
		i += len;
	}
}

/* Formats "SOURCE:LINE:COL: [NODE: ]MESSAGE" for offset off; returns -1. */
PRINTF(3, 4) static int perr(parser *p, size_t off, const char *fmt, ...)
{
	if (!p->errlen)
		return -1;
	unsigned long line, col;
	char src[CFG_SHOW_SIZE(CFG_SHOW_PATH)];
	line_col(p->s, p->n, off, &line, &col);
	int k = snprintf(p->err, p->errlen, "%s:%lu:%lu: %s%s",
			 show(src, CFG_SHOW_PATH, p->source, strlen(p->source)), line, col,
			 p->node ? p->node : "", p->node ? ": " : "");
	if (k >= 0 && (size_t)k < p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int oom(parser *p)
{
	char src[CFG_SHOW_SIZE(CFG_SHOW_PATH)];
	return fail(p->err, p->errlen, "%s: out of memory",
		    show(src, CFG_SHOW_PATH, p->source, strlen(p->source)));
}

/* The text of s[off..end) for a message. */
#define TOK(buf, p, off, end) show(buf, CFG_SHOW_TOKEN, (p)->s + (off), (end) - (off))
typedef char tokbuf[CFG_SHOW_SIZE(CFG_SHOW_TOKEN)];

/* The character at off, for a message. */
static const char *char_at(tokbuf buf, parser *p, size_t off)
{
	size_t len;
	cp_at(p->s, p->n, off, &len);
	return TOK(buf, p, off, off + len);
}

/* Refuses text that is not UTF-8, control characters, direction marks and
 * a byte order mark other than at the start. */
static int check_text(parser *p)
{
	for (size_t i = 0; i < p->n;) {
		uint32_t c;
		size_t len = u8_decode(p->s, p->n, i, &c);
		if (!len)
			return perr(p, i, "invalid UTF-8 (byte 0x%02x)", (unsigned char)p->s[i]);
		if (c == 0xfeff && i != 0)
			return perr(p, i, "byte order mark U+FEFF in the middle of the text");
		if (is_forbidden_cp(c))
			return perr(p, i, "character U+%04X is not allowed (a control character or "
				    "direction mark)", (unsigned)c);
		i += len;
	}
	return 0;
}

static bool starts(const parser *p, const char *lit)
{
	size_t len = strlen(lit);
	return p->n - p->i >= len && !memcmp(p->s + p->i, lit, len);
}

/* At the start of a block comment: skips it, nested ones included. */
static int skip_block_comment(parser *p)
{
	size_t open = p->i, depth = 0;
	while (p->i < p->n) {
		if (starts(p, "/*")) {
			depth++;
			p->i += 2;
		} else if (starts(p, "*/")) {
			p->i += 2;
			if (--depth == 0)
				return 0;
		} else {
			p->i++;
		}
	}
	return perr(p, open, "unterminated comment: '/*' without its '*/'");
}

/* At "//": skips to the line break, which is left for the caller. */
static void skip_line_comment(parser *p)
{
	while (p->i < p->n && !newline_len(p->s, p->n, p->i))
		p->i++;
}

/* Skips spaces and block comments: 1 if it skipped any, 0 if not, -1. */
static int skip_ws(parser *p)
{
	int any = 0;
	while (p->i < p->n) {
		size_t len;
		uint32_t c = cp_at(p->s, p->n, p->i, &len);
		if (is_space_cp(c) || (c == 0xfeff && p->i == 0)) {
			p->i += len;
		} else if (starts(p, "/*")) {
			if (skip_block_comment(p) < 0)
				return -1;
		} else {
			break;
		}
		any = 1;
	}
	return any;
}

/* Skips what may separate a node's parts: spaces, block comments and line
 * continuations ('\' then spaces, maybe a // comment, and a line break).
 * 1 if it skipped any, 0 if not, -1 on an error. */
static int skip_node_space(parser *p)
{
	int any = 0;
	for (;;) {
		int r = skip_ws(p);
		if (r < 0)
			return -1;
		any |= r;
		if (p->i >= p->n || p->s[p->i] != '\\')
			return any;
		size_t at = p->i++;
		if (skip_ws(p) < 0)
			return -1;
		if (starts(p, "//"))
			skip_line_comment(p);
		if (p->i < p->n) {
			size_t len = newline_len(p->s, p->n, p->i);
			if (!len)
				return perr(p, at, "'\\' continues a node on the next line: only a "
					    "comment may follow it");
			p->i += len;
		}
		any = 1;
	}
}

/* Whether the node's parts end at p->i: end of text, line break, ';' or //
 * (and '}' inside a children block). */
static bool at_terminator(const parser *p, int nesting)
{
	if (p->i >= p->n)
		return true;
	char c = p->s[p->i];
	return c == ';' || (c == '}' && nesting > 0) || starts(p, "//") ||
	       newline_len(p->s, p->n, p->i);
}

/* End of the bare word starting at i (KDL identifier characters). */
static size_t word_end(const parser *p, size_t i)
{
	while (i < p->n) {
		size_t len;
		if (!is_ident_cp(cp_at(p->s, p->n, i, &len)))
			break;
		i += len;
	}
	return i;
}

/* Whether s[a..b) starts like a number: a digit, or a sign and a digit. */
static bool number_like(const parser *p, size_t a, size_t b)
{
	if (is_digit(p->s[a]))
		return true;
	return (p->s[a] == '+' || p->s[a] == '-') && a + 1 < b && is_digit(p->s[a + 1]);
}

/* Skips digits and '_' of the given kind from i; returns the new i. */
static size_t skip_digits(const parser *p, size_t i, size_t end, const char *digits)
{
	while (i < end && p->s[i] && (p->s[i] == '_' || strchr(digits, p->s[i])))
		i++;
	return i;
}

/* Reads the number s[a..b) (number_like) into v: decimal integers as V_INT,
 * KDL's other numbers as V_RADIX or V_FRACTION. */
static int read_number(parser *p, size_t a, size_t b, value *v)
{
	const char *s = p->s;
	size_t i = a;
	tokbuf t;
	v->off = a;
	v->end = b;
	if (s[i] == '+' || s[i] == '-')
		v->neg = s[i++] == '-';
	if (s[i] == '0' && i + 2 <= b && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
		const char *digits = s[i + 1] == 'x' ? "0123456789abcdefABCDEF"
				     : s[i + 1] == 'o' ? "01234567" : "01";
		i += 2;
		if (i == b || !s[i] || !strchr(digits, s[i]) || skip_digits(p, i, b, digits) != b)
			return perr(p, a, "invalid number %s", TOK(t, p, a, b));
		v->type = V_RADIX;
		return 0;
	}
	uint64_t mag = 0;
	for (; i < b && (is_digit(s[i]) || s[i] == '_'); i++) {
		if (s[i] == '_')
			continue;
		mag = mag * 10 + (uint64_t)(s[i] - '0');
		if (mag > UINT32_MAX) {
			v->big = true;
			mag = UINT32_MAX;
		}
	}
	if (i == b) {
		v->type = V_INT;
		v->num = (uint32_t)mag;
		return 0;
	}
	if (s[i] == '.') {
		if (++i == b || !is_digit(s[i]))
			return perr(p, a, "invalid number %s", TOK(t, p, a, b));
		i = skip_digits(p, i, b, "0123456789");
	}
	if (i < b && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < b && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == b || !is_digit(s[i]))
			return perr(p, a, "invalid number %s", TOK(t, p, a, b));
		i = skip_digits(p, i, b, "0123456789");
	}
	if (i != b)
		return perr(p, a, "invalid number %s", TOK(t, p, a, b));
	v->type = V_FRACTION;
	return 0;
}

/* Encodes code point c as UTF-8 at out; returns its length. */
static size_t u8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	} else if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	} else if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* From after the opening '"' of a quoted string to after its closing one:
 * checks the escapes and, when out is not NULL, writes the decoded string
 * there (at most as long as the source). open is the opening quote. */
static int quoted_body(parser *p, size_t open, char *out, size_t *out_len)
{
	const char *s = p->s;
	size_t o = 0;
	tokbuf t;
	for (;;) {
		if (p->i >= p->n)
			return perr(p, open, "unterminated string: '\"' without its closing '\"'");
		char c = s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c != '\\') {
			if (out)
				out[o] = c;
			o++;
			p->i++;
			continue;
		}
		size_t esc = p->i++;
		if (p->i >= p->n)
			return perr(p, open, "unterminated string: '\"' without its closing '\"'");
		const char *simple = strchr("\"\\/bfnrt", s[p->i]);
		if (simple && s[p->i]) {
			static const char decoded[] = "\"\\/\b\f\n\r\t";
			if (out)
				out[o] = decoded[simple - "\"\\/bfnrt"];
			o++;
			p->i++;
			continue;
		}
		if (s[p->i] != 'u')
			return perr(p, esc, "invalid escape \\%s in a string (valid: \\\" \\\\ \\/ \\n "
				    "\\r \\t \\b \\f \\u{XXXX})", char_at(t, p, p->i));
		size_t digits = 0;
		uint32_t cp = 0;
		if (++p->i < p->n && s[p->i] == '{') {
			for (p->i++; p->i < p->n && digits < 7 && is_hex(s[p->i]); p->i++, digits++)
				cp = cp << 4 | hex_value(s[p->i]);
		}
		if (!digits || digits > 6 || p->i >= p->n || s[p->i] != '}')
			return perr(p, esc, "invalid \\u escape: write \\u{XXXX} with 1 to 6 hex digits");
		p->i++;
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return perr(p, esc, "%s is not a Unicode character", TOK(t, p, esc, p->i));
		if (cp == 0)
			return perr(p, esc, "\\u{0} (NUL) is not allowed in a string");
		char enc[4];
		size_t len = u8_encode(cp, enc);
		if (out)
			memcpy(out + o, enc, len);
		o += len;
	}
	*out_len = o;
	return 0;
}

/* Whether a raw string starts at p->i: r, any number of '#', '"'. */
static bool raw_start(const parser *p)
{
	if (p->i >= p->n || p->s[p->i] != 'r')
		return false;
	size_t i = p->i + 1;
	while (i < p->n && p->s[i] == '#')
		i++;
	return i < p->n && p->s[i] == '"';
}

/* Reads a quoted or raw string at p->i into v; v->str is set when keep. */
static int read_string(parser *p, bool keep, value *v)
{
	size_t open = p->i, len = 0;
	v->type = V_STRING;
	v->off = open;
	if (p->s[open] == '"') {
		p->i++;
		if (quoted_body(p, open, NULL, &len) < 0)
			return -1;
		v->end = p->i;
		if (!keep)
			return 0;
		if (!(v->str = malloc(len + 1)))
			return oom(p);
		p->i = open + 1;
		quoted_body(p, open, v->str, &len);
		v->str[len] = '\0';
		return 0;
	}
	size_t hashes = 0;
	for (p->i++; p->i < p->n && p->s[p->i] == '#'; p->i++)
		hashes++;
	size_t body = ++p->i; /* after the '"' */
	for (;; p->i++) {
		if (p->i >= p->n)
			return perr(p, open, "unterminated raw string: no closing '\"%.*s'",
				    (int)(hashes > 64 ? 64 : hashes),
				    "################################################################");
		if (p->s[p->i] != '"' || p->n - p->i - 1 < hashes)
			continue;
		size_t k = 0;
		while (k < hashes && p->s[p->i + 1 + k] == '#')
			k++;
		if (k == hashes)
			break;
	}
	len = p->i - body;
	p->i += 1 + hashes;
	v->end = p->i;
	if (keep) {
		if (!(v->str = malloc(len + 1)))
			return oom(p);
		memcpy(v->str, p->s + body, len);
		v->str[len] = '\0';
	}
	return 0;
}

/* Reads a value at p->i (a string, a number, true/false/null or a bare
 * word) and checks what follows it. */
static int read_value(parser *p, bool keep, value *v)
{
	tokbuf t;
	char c = p->s[p->i];
	if (c == '(')
		return perr(p, p->i, "type annotations such as (u8) are not accepted");
	if (c == '"' || raw_start(p)) {
		if (read_string(p, keep, v) < 0)
			return -1;
	} else {
		size_t a = p->i, b = word_end(p, a);
		if (a == b)
			return perr(p, a, "unexpected '%s'", char_at(t, p, a));
		size_t h = a;
		while (h < b && p->s[h] == '#')
			h++;
		if (h == b && b < p->n && p->s[b] == '"')
			return perr(p, a, "raw strings are written r#\"...\"# (KDL 1), not #\"...\"#");
		if (number_like(p, a, b)) {
			if (read_number(p, a, b, v) < 0)
				return -1;
		} else {
			v->type = V_WORD;
			if (b - a == 4 && !memcmp(p->s + a, "true", 4))
				v->type = V_BOOL;
			else if (b - a == 5 && !memcmp(p->s + a, "false", 5))
				v->type = V_BOOL;
			else if (b - a == 4 && !memcmp(p->s + a, "null", 4))
				v->type = V_NULL;
			v->off = a;
			v->end = b;
		}
		p->i = b;
	}
	return 0;
}

/* How a value that has the wrong type is named in a message. */
static const char *describe(tokbuf t, parser *p, const value *v)
{
	switch (v->type) {
	case V_STRING:
		return "a string";
	case V_INT:
		return "an integer";
	default:
		return TOK(t, p, v->off, v->end);
	}
}

/* A kept node's integer argument or property: *out, or an error naming it
 * as what ("the depth", "call-depth"). */
static int want_depth(parser *p, const value *v, const char *what, uint32_t *out)
{
	tokbuf t;
	if (v->type == V_RADIX)
		return perr(p, v->off, "%s must be a decimal integer, not %s", what,
			    TOK(t, p, v->off, v->end));
	if (v->type != V_INT)
		return perr(p, v->off, "%s must be an integer, not %s", what, describe(t, p, v));
	if (v->neg && (v->num || v->big))
		return perr(p, v->off, "%s must not be negative (%s)", what, TOK(t, p, v->off, v->end));
	if (v->big)
		return perr(p, v->off, "%s %s is too large (at most %lu)", what,
			    TOK(t, p, v->off, v->end), (unsigned long)UINT32_MAX);
	*out = v->num;
	return 0;
}

/* A kept node's string argument or property: moves v->str to *out. */
static int want_string(parser *p, value *v, const char *what, const char *key, bool binary,
		       char **out)
{
	tokbuf t;
	if (v->type == V_WORD)
		return perr(p, v->off, "%s must be a quoted string: write %s\"%s\"", what, key,
			    TOK(t, p, v->off, v->end));
	if (v->type != V_STRING)
		return perr(p, v->off, "%s must be a string, not %s", what, describe(t, p, v));
	const char *why = bad_name(v->str, binary);
	if (why)
		return perr(p, v->off, "%s", why);
	*out = v->str;
	v->str = NULL;
	return 0;
}

/* An argument of the kept node nd. */
static int node_arg(parser *p, node *nd, value *v)
{
	if (nd->nargs++) {
		if (nd->kind == N_TRACE)
			return perr(p, v->off, "unexpected second argument (trace takes one symbol; "
				    "write binary=\"FILE\" and call-depth=N as properties)");
		return perr(p, v->off, "unexpected second argument (%s takes one integer)", p->node);
	}
	if (nd->kind == N_TRACE)
		return want_string(p, v, "the symbol", "", false, &nd->symbol);
	return want_depth(p, v, "the depth", &nd->depth);
}

/* A property key=v of the kept node nd; the key is s[key..key_end). */
static int node_prop(parser *p, node *nd, size_t key, size_t key_end, value *v)
{
	tokbuf t;
	size_t klen = key_end - key;
	if (nd->kind != N_TRACE)
		return perr(p, key, "unknown property '%s' (%s takes none)",
			    TOK(t, p, key, key_end), p->node);
	if (klen == 6 && !memcmp(p->s + key, "binary", 6)) {
		if (nd->has_binary)
			return perr(p, key, "duplicate property 'binary'");
		nd->has_binary = true;
		return want_string(p, v, "binary", "binary=", true, &nd->binary);
	}
	if (klen == 10 && !memcmp(p->s + key, "call-depth", 10)) {
		if (nd->has_depth)
			return perr(p, key, "duplicate property 'call-depth'");
		nd->has_depth = true;
		return want_depth(p, v, "call-depth", &nd->depth);
	}
	return perr(p, key, "unknown property '%s' (expected binary or call-depth)",
		    TOK(t, p, key, key_end));
}

/* Reads one argument or property; nd is NULL when it is commented out. */
static int read_entry(parser *p, node *nd)
{
	tokbuf t;
	value v = {0};
	bool keep = nd != NULL;
	int r = -1;
	if (read_value(p, keep, &v) < 0)
		goto out;
	if (p->i < p->n && p->s[p->i] == '=') {
		size_t key = v.off, key_end = v.end;
		if (v.type == V_STRING) {
			r = perr(p, key, "property names must be bare words, not strings");
			goto out;
		}
		if (v.type != V_WORD) {
			r = perr(p, key, "%s cannot be a property name", TOK(t, p, key, key_end));
			goto out;
		}
		size_t l;
		if (++p->i >= p->n || !(p->s[p->i] == '"' || p->s[p->i] == '(' ||
					is_ident_cp(cp_at(p->s, p->n, p->i, &l)))) {
			r = perr(p, key, "property %s has no value: write %s=VALUE, with no spaces",
				 TOK(t, p, key, key_end), TOK(t, p, key, key_end));
			goto out;
		}
		v = (value){ 0 };
		if (read_value(p, keep, &v) < 0)
			goto out;
		if (v.type == V_WORD && !keep) {
			r = perr(p, v.off, "bare word %s is not a value: write \"%s\"",
				 TOK(t, p, v.off, v.end), TOK(t, p, v.off, v.end));
			goto out;
		}
		r = keep ? node_prop(p, nd, key, key_end, &v) : 0;
	} else if (v.type == V_WORD) {
		size_t i = p->i;
		while (i < p->n && (p->s[i] == ' ' || p->s[i] == '\t'))
			i++;
		if (i < p->n && p->s[i] == '=')
			r = perr(p, i, "no spaces are allowed around '=' (write %s=VALUE)",
				 TOK(t, p, v.off, v.end));
		else if (keep)
			r = node_arg(p, nd, &v);
		else
			r = perr(p, v.off, "bare word %s is not a value: write \"%s\"",
				 TOK(t, p, v.off, v.end), TOK(t, p, v.off, v.end));
	} else {
		r = keep ? node_arg(p, nd, &v) : 0;
	}
out:
	free(v.str);
	return r;
}

static int parse_nodes(parser *p, int nesting, size_t open);

/* At '{' of a children block of a commented-out node: skips it. */
static int skip_children(parser *p, int nesting)
{
	size_t open = p->i++;
	if (nesting >= CFG_MAX_NESTING)
		return perr(p, open, "children blocks nested more than %d deep", CFG_MAX_NESTING);
	return parse_nodes(p, nesting + 1, open);
}

/* Reads a node's arguments, properties and children up to and including its
 * terminator (a '}' that closes the enclosing block is left). nd is NULL
 * when the node is commented out. */
static int node_rest(parser *p, node *nd, int nesting)
{
	tokbuf t;
	bool after_children = false;
	for (;;) {
		int space = skip_node_space(p);
		if (space < 0)
			return -1;
		if (p->i >= p->n)
			return 0;
		size_t len = newline_len(p->s, p->n, p->i);
		char c = p->s[p->i];
		if (len || c == ';') {
			p->i += len ? len : 1;
			return 0;
		}
		if (starts(p, "//")) {
			skip_line_comment(p);
			return 0;
		}
		if (c == '}') {
			if (nesting > 0)
				return 0;
			return perr(p, p->i, "unexpected '}'");
		}
		size_t at = p->i;
		bool dash = starts(p, "/-");
		if (dash) {
			p->i += 2;
			if (skip_node_space(p) < 0)
				return -1;
			if (at_terminator(p, nesting))
				return perr(p, at, "'/-' comments out nothing: put it before a node, an "
					    "argument or a property");
		}
		if (after_children)
			return perr(p, at, "unexpected '%s' after the children block",
				    char_at(t, p, at));
		if (p->s[p->i] == '{') {
			if (nd && !dash)
				return perr(p, p->i, "children blocks { } are not accepted (%s has none)",
					    p->node);
			if (skip_children(p, nesting) < 0)
				return -1;
			after_children = true;
			continue;
		}
		if (!space) {
			size_t l;
			if (is_ident_cp(cp_at(p->s, p->n, at, &l)) || p->s[at] == '"' || dash)
				return perr(p, at, "missing space before '%s'", dash ? "/-" : char_at(t, p, at));
			return perr(p, at, "unexpected '%s'", char_at(t, p, at));
		}
		if (read_entry(p, dash ? NULL : nd) < 0)
			return -1;
	}
}

/* Scope idx of base then add, as one list. */
static const cfg_scope *scope_get(const parser *p, size_t idx)
{
	return idx < p->base->n_scopes ? &p->base->scopes[idx]
				       : &p->add.scopes[idx - p->base->n_scopes];
}

static size_t scope_hash(const cfg_scope *s)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *c = s->symbol; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull; /* 0xff: never in UTF-8 */
	for (const char *c = s->binary ? s->binary : ""; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return (size_t)h;
}

static bool scope_eq(const cfg_scope *a, const cfg_scope *b)
{
	if (strcmp(a->symbol, b->symbol))
		return false;
	if (!a->binary || !b->binary)
		return a->binary == b->binary;
	return !strcmp(a->binary, b->binary);
}

/* Looks scope idx up in the set and adds it if absent: returns the index of
 * an equal scope already there, SIZE_MAX when it was added, or SIZE_MAX - 1
 * when memory ran out. */
static size_t scope_add(parser *p, size_t idx)
{
	if (2 * (idx + 1) > p->nslots) {
		size_t n = p->nslots ? 2 * p->nslots : 64;
		while (2 * (idx + 1) > n)
			n *= 2;
		size_t *slots = calloc(n, sizeof(*slots));
		if (!slots)
			return SIZE_MAX - 1;
		free(p->slots);
		p->slots = slots;
		p->nslots = n;
		for (size_t k = 0; k < idx; k++) {
			size_t h = scope_hash(scope_get(p, k)) & (n - 1);
			while (slots[h])
				h = (h + 1) & (n - 1);
			slots[h] = k + 1;
		}
	}
	const cfg_scope *s = scope_get(p, idx);
	size_t h = scope_hash(s) & (p->nslots - 1);
	for (; p->slots[h]; h = (h + 1) & (p->nslots - 1))
		if (scope_eq(scope_get(p, p->slots[h] - 1), s))
			return p->slots[h] - 1;
	p->slots[h] = idx + 1;
	return SIZE_MAX;
}

/* A kept node's parts are all read: checks what is missing and records it. */
static int node_done(parser *p, node *nd)
{
	char where[64];
	unsigned long line, col;
	if (nd->kind != N_TRACE) {
		if (!nd->nargs)
			return perr(p, nd->off, "missing the depth (%s N)", p->node);
		if (nd->kind == N_CALL_DEPTH) {
			p->add.has_call_depth = true;
			p->add.call_depth = nd->depth;
			p->call_depth_off = nd->off;
		} else {
			p->add.has_backtrace_depth = true;
			p->add.backtrace_depth = nd->depth;
			p->backtrace_depth_off = nd->off;
		}
		return 0;
	}
	if (!nd->nargs)
		return perr(p, nd->off, "missing the symbol (trace \"SYMBOL\" [binary=\"FILE\"] "
			    "[call-depth=N])");
	if (p->add.n_scopes == p->add_cap) {
		size_t cap = p->add_cap ? 2 * p->add_cap : 8;
		cfg_scope *scopes = realloc(p->add.scopes, cap * sizeof(*scopes));
		if (!scopes)
			return oom(p);
		p->add.scopes = scopes;
		size_t *off = realloc(p->add_off, cap * sizeof(*off));
		if (!off)
			return oom(p);
		p->add_off = off;
		p->add_cap = cap;
	}
	size_t k = p->add.n_scopes;
	p->add.scopes[k] = (cfg_scope){ .symbol = nd->symbol, .binary = nd->binary,
					.depth = nd->depth, .has_depth = nd->has_depth };
	p->add_off[k] = nd->off;
	size_t idx = p->base->n_scopes + k, dup = scope_add(p, idx);
	if (dup == SIZE_MAX - 1)
		return oom(p);
	if (dup != SIZE_MAX) {
		tokbuf t, b;
		if (dup >= p->base->n_scopes) {
			line_col(p->s, p->n, p->add_off[dup - p->base->n_scopes], &line, &col);
			snprintf(where, sizeof(where), "first at %lu:%lu", line, col);
		} else {
			snprintf(where, sizeof(where), "already given by an earlier -c or --trace");
		}
		return perr(p, nd->off, "\"%s\" in %s%s is traced twice (%s)",
			    show(t, CFG_SHOW_TOKEN, nd->symbol, strlen(nd->symbol)),
			    nd->binary ? "" : "the executable",
			    nd->binary ? show(b, CFG_SHOW_TOKEN, nd->binary, strlen(nd->binary)) : "",
			    where);
	}
	nd->symbol = nd->binary = NULL; /* owned by p->add now */
	p->add.n_scopes++;
	return 0;
}

/* Reads one node at p->i, commented out with /- or not. */
static int parse_node(parser *p, int nesting)
{
	tokbuf t;
	bool keep = nesting == 0;
	size_t start = p->i;
	if (starts(p, "/-")) {
		p->i += 2;
		if (skip_node_space(p) < 0)
			return -1;
		if (at_terminator(p, nesting) || p->s[p->i] == '}')
			return perr(p, start, "'/-' comments out nothing: put it before a node, an "
				    "argument or a property");
		keep = false;
	}
	size_t a = p->i, b = word_end(p, a);
	char c = p->s[a];
	if (c == '(')
		return perr(p, a, "type annotations such as (u8) are not accepted");
	if (c == ';')
		return perr(p, a, "unexpected ';' (there is no node before it)");
	if (c == '\\')
		return perr(p, a, "unexpected '\\' (there is no node before it to continue)");
	if (c == '"' || raw_start(p))
		return perr(p, a, "node names must be bare words, not strings");
	if (a == b)
		return perr(p, a, "unexpected '%s'", char_at(t, p, a));
	if (number_like(p, a, b) || (b - a == 4 && !memcmp(p->s + a, "true", 4)) ||
	    (b - a == 5 && !memcmp(p->s + a, "false", 5)) ||
	    (b - a == 4 && !memcmp(p->s + a, "null", 4)))
		return perr(p, a, "%s cannot be a node name", TOK(t, p, a, b));
	p->i = b;
	if (!keep)
		return node_rest(p, NULL, nesting);

	static const struct {
		const char *name;
		nkind kind;
	} nodes[] = {
		{ "call-depth", N_CALL_DEPTH },
		{ "backtrace-depth", N_BACKTRACE_DEPTH },
		{ "trace", N_TRACE },
	};
	node nd = { .off = a };
	size_t k;
	for (k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++)
		if (strlen(nodes[k].name) == b - a && !memcmp(nodes[k].name, p->s + a, b - a))
			break;
	if (k == sizeof(nodes) / sizeof(nodes[0]))
		return perr(p, a, "unknown node '%s' (expected call-depth, backtrace-depth or trace)",
			    TOK(t, p, a, b));
	nd.kind = nodes[k].kind;
	size_t first = nd.kind == N_CALL_DEPTH	    ? p->call_depth_off
		       : nd.kind == N_BACKTRACE_DEPTH ? p->backtrace_depth_off
						      : SIZE_MAX;
	if (first != SIZE_MAX) {
		unsigned long line, col;
		line_col(p->s, p->n, first, &line, &col);
		return perr(p, a, "duplicate %s node (first at %lu:%lu)", nodes[k].name, line, col);
	}
	p->node = nodes[k].name;
	int r = node_rest(p, &nd, nesting);
	if (r == 0)
		r = node_done(p, &nd);
	p->node = NULL;
	free(nd.symbol);
	free(nd.binary);
	return r;
}

/* Reads nodes up to the end of the text (nesting 0) or to the '}' that
 * closes the children block opened at open. */
static int parse_nodes(parser *p, int nesting, size_t open)
{
	for (;;) {
		for (;;) {
			int r = skip_ws(p);
			if (r < 0)
				return -1;
			if (p->i >= p->n)
				break;
			size_t len = newline_len(p->s, p->n, p->i);
			if (len) {
				p->i += len;
			} else if (starts(p, "//")) {
				skip_line_comment(p);
			} else if (!r) {
				break;
			}
		}
		if (p->i >= p->n) {
			if (nesting)
				return perr(p, open, "unterminated children block: '{' without its '}'");
			return 0;
		}
		if (p->s[p->i] == '}') {
			if (!nesting)
				return perr(p, p->i, "unexpected '}'");
			p->i++;
			return 0;
		}
		if (parse_node(p, nesting) < 0)
			return -1;
	}
}

int cfg_parse(const char *text, size_t len, const char *source, cfg_config *out, char *err,
	      size_t errlen)
{
	parser p = {
		.s = text, .n = len, .source = source ? source : "-c", .err = err,
		.errlen = err ? errlen : 0, .base = out,
		.call_depth_off = SIZE_MAX, .backtrace_depth_off = SIZE_MAX,
	};
	if (errlen && err)
		err[0] = '\0';
	int r = check_text(&p);
	if (r == 0)
		r = parse_nodes(&p, 0, 0);
	if (r == 0 && p.add.n_scopes) {
		cfg_scope *s = realloc(out->scopes, (out->n_scopes + p.add.n_scopes) * sizeof(*s));
		if (!s) {
			r = oom(&p);
		} else {
			memcpy(s + out->n_scopes, p.add.scopes, p.add.n_scopes * sizeof(*s));
			out->scopes = s;
			out->n_scopes += p.add.n_scopes;
			p.add.n_scopes = 0; /* moved */
		}
	}
	if (r == 0) {
		if (p.add.has_call_depth) {
			out->has_call_depth = true;
			out->call_depth = p.add.call_depth;
		}
		if (p.add.has_backtrace_depth) {
			out->has_backtrace_depth = true;
			out->backtrace_depth = p.add.backtrace_depth;
		}
	}
	cfg_free(&p.add);
	free(p.add_off);
	free(p.slots);
	return r;
}

/* ---- files and flags ---- */

/* Index of the last c in s[0..n), or n when there is none. */
static size_t last_of(const char *s, size_t n, char c)
{
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == c)
			return i - 1;
	return n;
}

/* A malloc'd, NUL-terminated copy of s[0..n), or NULL. */
static char *copy_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Reads the file path (at most CFG_MAX_FILE bytes) into *text. */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	char shown[CFG_SHOW_SIZE(CFG_SHOW_PATH)];
	show(shown, CFG_SHOW_PATH, path, strlen(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "%s: cannot open: %s", shown, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, "%s: cannot open: %s", shown, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return fail(err, errlen, "%s: is a directory, not a configuration file", shown);
	}
	if (S_ISREG(st.st_mode) && st.st_size > CFG_MAX_FILE) {
		close(fd);
		return fail(err, errlen, "%s: larger than 1 MiB, too large for a configuration",
			    shown);
	}
	/* Pipes (-c <(...)) and other files of unknown size: read up to the limit. */
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return fail(err, errlen, "%s: out of memory", shown);
	}
	for (;;) {
		if (n == cap) {
			size_t ncap = cap * 2 > CFG_MAX_FILE + 1 ? CFG_MAX_FILE + 1 : cap * 2;
			char *nbuf = ncap > cap ? realloc(buf, ncap) : NULL;
			if (!nbuf) {
				free(buf);
				close(fd);
				if (ncap > cap)
					return fail(err, errlen, "%s: out of memory", shown);
				return fail(err, errlen, "%s: larger than 1 MiB, too large for a "
					    "configuration", shown);
			}
			buf = nbuf;
			cap = ncap;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return fail(err, errlen, "%s: cannot read: %s", shown, strerror(e));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > CFG_MAX_FILE) {
		free(buf);
		return fail(err, errlen, "%s: larger than 1 MiB, too large for a configuration",
			    shown);
	}
	*text = buf;
	*len = n;
	return 0;
}

int cfg_load(const char *arg, cfg_config *out, char *err, size_t errlen)
{
	struct stat st;
	size_t n = strlen(arg);
	if (!err)
		errlen = 0;
	if (stat(arg, &st) == 0 || (n >= 4 && !strcmp(arg + n - 4, ".kdl"))) {
		char *text = NULL;
		size_t len = 0;
		if (read_file(arg, &text, &len, err, errlen) < 0)
			return -1;
		int r = cfg_parse(text, len, arg, out, err, errlen);
		free(text);
		return r;
	}
	if (cfg_parse(arg, n, "-c", out, err, errlen) == 0)
		return 0;
	/* A single word that fails to parse was most likely meant as a file. */
	if (n && !strpbrk(arg, " \t\r\n;\"") && errlen) {
		char shown[CFG_SHOW_SIZE(CFG_SHOW_PATH)];
		size_t used = strlen(err);
		snprintf(err + used, errlen - used, " (no file is named '%s', so -c read it as "
			 "KDL text)", show(shown, CFG_SHOW_PATH, arg, n));
	}
	return -1;
}

/* Parses the decimal digits s[0..n) (n > 0, digits only) into *out; false
 * when the value does not fit in 32 bits. */
static bool digits_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

int cfg_add_trace_flag(const char *arg, cfg_config *out, char *err, size_t errlen)
{
	char shown[CFG_SHOW_SIZE(CFG_SHOW_PATH)], tail[CFG_SHOW_SIZE(CFG_SHOW_TOKEN)];
	size_t n = strlen(arg), end = n;
	cfg_scope sc = { 0 };
	if (!err)
		errlen = 0;
	show(shown, CFG_SHOW_PATH, arg, n);

	/* DEPTH: after the last ':' when that is not half of "::". */
	size_t c = last_of(arg, n, ':');
	if (c < n && (c == 0 || arg[c - 1] != ':')) {
		size_t k = c + 1;
		while (k < n && is_digit(arg[k]))
			k++;
		if (k == n && k > c + 1) {
			if (!digits_u32(arg + c + 1, n - c - 1, &sc.depth))
				return fail(err, errlen, "--trace '%s': the depth %s is too large (at most "
					    "%lu)", shown, show(tail, CFG_SHOW_TOKEN, arg + c + 1, n - c - 1),
					    (unsigned long)UINT32_MAX);
			sc.has_depth = true;
			end = c;
		} else if (strspn(arg + c + 1, "+-_0123456789") == n - c - 1) {
			return fail(err, errlen, "--trace '%s': the depth after ':' must be decimal "
				    "digits, not '%s'", shown,
				    show(tail, CFG_SHOW_TOKEN, arg + c + 1, n - c - 1));
		}
	}
	/* BINARY: after the last '@'; an empty one is the executable. */
	size_t at = last_of(arg, end, '@');
	const char *why = NULL;
	if (!(sc.symbol = copy_n(arg, at < end ? at : end)))
		return fail(err, errlen, "--trace: out of memory");
	if (at + 1 < end && !(sc.binary = copy_n(arg + at + 1, end - at - 1))) {
		free(sc.symbol);
		return fail(err, errlen, "--trace: out of memory");
	}
	why = bad_name(sc.symbol, false);
	if (!why && sc.binary)
		why = bad_name(sc.binary, true);
	bool dup = false;
	for (size_t k = 0; !why && !dup && k < out->n_scopes; k++)
		dup = scope_eq(&out->scopes[k], &sc);
	cfg_scope *scopes = why || dup ? NULL
				       : realloc(out->scopes, (out->n_scopes + 1) * sizeof(*scopes));
	if (!scopes) {
		int r;
		if (dup)
			r = fail(err, errlen, "--trace '%s': %s in %s is already traced", shown,
				 show(tail, CFG_SHOW_TOKEN, sc.symbol, strlen(sc.symbol)),
				 sc.binary ? sc.binary : "the executable");
		else
			r = fail(err, errlen, "--trace '%s': %s", shown, why ? why : "out of memory");
		free(sc.symbol);
		free(sc.binary);
		return r;
	}
	scopes[out->n_scopes++] = sc;
	out->scopes = scopes;
	return 0;
}

int cfg_set_depth_flag(const char *flag, const char *arg, cfg_config *out, char *err,
		       size_t errlen)
{
	char shown[CFG_SHOW_SIZE(CFG_SHOW_TOKEN)];
	size_t n = strlen(arg);
	uint32_t v;
	bool call = !strcmp(flag, "--depth");
	if (!err)
		errlen = 0;
	if (!call && strcmp(flag, "--backtrace-depth"))
		return fail(err, errlen, "%s is not a depth flag", flag);
	if (!n || strspn(arg, "0123456789") != n)
		return fail(err, errlen, "%s wants a non-negative integer, not '%s'", flag,
			    show(shown, CFG_SHOW_TOKEN, arg, n));
	if (!digits_u32(arg, n, &v))
		return fail(err, errlen, "%s %s is too large (at most %lu)", flag,
			    show(shown, CFG_SHOW_TOKEN, arg, n), (unsigned long)UINT32_MAX);
	if (call) {
		out->has_call_depth = true;
		out->call_depth = v;
	} else {
		out->has_backtrace_depth = true;
		out->backtrace_depth = v;
	}
	return 0;
}

void cfg_free(cfg_config *c)
{
	for (size_t i = 0; i < c->n_scopes; i++) {
		free(c->scopes[i].symbol);
		free(c->scopes[i].binary);
	}
	free(c->scopes);
	*c = (cfg_config){ 0 };
}
