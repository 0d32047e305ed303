/* qfmt: result formatting (see nosco/qfmt.h). */
#include "nosco/qfmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct qfmt_cell {
	char *text; /* NULL for SQL NULL */
	bool num;   /* integer or real: right-aligned, unquoted in JSON */
} qfmt_cell;

struct qfmt {
	FILE *out;
	qfmt_mode mode;
	bool headers;
	bool active;  /* between begin and end */
	bool flushed; /* table/box: the sized head of the result is out */
	int ncol;
	char **names;
	size_t *width;
	qfmt_cell *buf; /* table/box: rows kept to size the columns */
	size_t nbuf; /* rows kept */
	size_t cap;  /* cells allocated in buf */
	size_t nrows; /* rows of the current result so far */
};

static const char *const qfmt_names[] = { "table", "box", "csv", "json", "line" };

int qfmt_parse_mode(const char *name, qfmt_mode *mode)
{
	for (size_t i = 0; i < sizeof(qfmt_names) / sizeof(*qfmt_names); i++)
		if (!strcasecmp(name, qfmt_names[i])) {
			*mode = (qfmt_mode)i;
			return 0;
		}
	return -1;
}

const char *qfmt_mode_name(qfmt_mode mode)
{
	return (size_t)mode < sizeof(qfmt_names) / sizeof(*qfmt_names) ? qfmt_names[mode] : "?";
}

qfmt *qfmt_new(FILE *out, qfmt_mode mode, bool headers)
{
	qfmt *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->out = out;
	f->mode = mode;
	f->headers = headers;
	return f;
}

void qfmt_set_output(qfmt *f, FILE *out)
{
	qfmt_end(f);
	f->out = out;
}

qfmt_mode qfmt_get_mode(const qfmt *f)
{
	return f->mode;
}

void qfmt_set_mode(qfmt *f, qfmt_mode mode)
{
	qfmt_end(f);
	f->mode = mode;
}

void qfmt_set_headers(qfmt *f, bool headers)
{
	qfmt_end(f);
	f->headers = headers;
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t qfmt_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static char *qfmt_hex(const unsigned char *p, int n)
{
	char *s = malloc((size_t)n * 2 + 1);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = 0;
	return s;
}

/* Text of column i of the current row, owned by the caller; NULL for NULL.
 * Sets *num for numbers and *oom when allocation failed. */
static char *qfmt_text(sqlite3_stmt *st, int i, bool *num, bool *oom)
{
	int type = sqlite3_column_type(st, i);
	*num = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
	char *s = NULL;
	if (type == SQLITE_NULL)
		return NULL;
	if (type == SQLITE_BLOB) {
		s = qfmt_hex(sqlite3_column_blob(st, i), sqlite3_column_bytes(st, i));
	} else {
		const char *t = (const char *)sqlite3_column_text(st, i);
		s = strdup(t ? t : "");
	}
	if (!s)
		*oom = true;
	return s;
}

static void qfmt_put_repeat(qfmt *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputs(s, f->out);
}

/* Table and box cells: control characters would break the grid. */
static void qfmt_put_cell(qfmt *f, const char *s, size_t width, bool right)
{
	size_t w = s ? qfmt_width(s) : 0;
	size_t pad = width > w ? width - w : 0;
	if (right)
		qfmt_put_repeat(f, " ", pad);
	for (const char *p = s; p && *p; p++)
		fputc((unsigned char)*p < 0x20 ? ' ' : *p, f->out);
	if (!right)
		qfmt_put_repeat(f, " ", pad);
}

enum { QFMT_TOP, QFMT_MID, QFMT_BOTTOM };

static void qfmt_rule(qfmt *f, int where)
{
	static const char *const box[3][3] = {
		{ "┌", "┬", "┐" }, { "├", "┼", "┤" }, { "└", "┴", "┘" } };
	bool b = f->mode == QFMT_BOX;
	fputs(b ? box[where][0] : "+", f->out);
	for (int i = 0; i < f->ncol; i++) {
		qfmt_put_repeat(f, b ? "─" : "-", f->width[i] + 2);
		fputs(i + 1 < f->ncol ? (b ? box[where][1] : "+") : (b ? box[where][2] : "+"),
		      f->out);
	}
	fputc('\n', f->out);
}

static void qfmt_grid_row(qfmt *f, const qfmt_cell *row, bool header)
{
	const char *bar = f->mode == QFMT_BOX ? "│" : "|";
	fputs(bar, f->out);
	for (int i = 0; i < f->ncol; i++) {
		fputc(' ', f->out);
		qfmt_put_cell(f, header ? f->names[i] : row[i].text, f->width[i],
			      !header && row[i].num);
		fputc(' ', f->out);
		fputs(bar, f->out);
	}
	fputc('\n', f->out);
}

/* Sizes the columns on the kept rows and prints them with the head. */
static void qfmt_grid_flush(qfmt *f)
{
	for (int i = 0; i < f->ncol; i++)
		f->width[i] = f->headers ? qfmt_width(f->names[i]) : 0;
	for (size_t r = 0; r < f->nbuf; r++)
		for (int i = 0; i < f->ncol; i++) {
			const char *t = f->buf[r * f->ncol + i].text;
			size_t w = t ? qfmt_width(t) : 0;
			if (w > f->width[i])
				f->width[i] = w;
		}
	qfmt_rule(f, QFMT_TOP);
	if (f->headers) {
		qfmt_grid_row(f, NULL, true);
		qfmt_rule(f, QFMT_MID);
	}
	for (size_t r = 0; r < f->nbuf; r++) {
		qfmt_grid_row(f, f->buf + r * f->ncol, false);
		for (int i = 0; i < f->ncol; i++)
			free(f->buf[r * f->ncol + i].text);
	}
	f->nbuf = 0;
	f->flushed = true;
}

static void qfmt_csv_field(qfmt *f, const char *s)
{
	if (!s)
		return;
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f->out);
		return;
	}
	fputc('"', f->out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f->out);
		fputc(*s, f->out);
	}
	fputc('"', f->out);
}

static void qfmt_json_string(qfmt *f, const char *s)
{
	fputc('"', f->out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': fputs("\\\"", f->out); break;
		case '\\': fputs("\\\\", f->out); break;
		case '\n': fputs("\\n", f->out); break;
		case '\r': fputs("\\r", f->out); break;
		case '\t': fputs("\\t", f->out); break;
		default:
			if (c < 0x20)
				fprintf(f->out, "\\u%04x", c);
			else
				fputc(c, f->out);
		}
	}
	fputc('"', f->out);
}

static void qfmt_json_value(qfmt *f, sqlite3_stmt *st, int i, const char *text)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		fputs("null", f->out);
		break;
	case SQLITE_INTEGER:
		fputs(text, f->out);
		break;
	case SQLITE_FLOAT:
		if (isfinite(sqlite3_column_double(st, i)))
			fputs(text, f->out);
		else
			fputs("null", f->out);
		break;
	default:
		qfmt_json_string(f, text);
	}
}

void qfmt_begin(qfmt *f, sqlite3_stmt *st)
{
	qfmt_end(f);
	int n = sqlite3_column_count(st);
	f->names = calloc((size_t)n + 1, sizeof(*f->names));
	f->width = calloc((size_t)n + 1, sizeof(*f->width));
	if (!f->names || !f->width) {
		free(f->names);
		free(f->width);
		f->names = NULL;
		f->width = NULL;
		return;
	}
	f->ncol = n;
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		f->names[i] = strdup(name ? name : "");
		if (!f->names[i])
			f->names[i] = calloc(1, 1);
	}
	f->active = true;
	f->flushed = false;
	f->nbuf = 0;
	f->nrows = 0;
	if (f->mode == QFMT_CSV && f->headers) {
		for (int i = 0; i < n; i++) {
			if (i)
				fputc(',', f->out);
			qfmt_csv_field(f, f->names[i]);
		}
		fputc('\n', f->out);
	}
	if (f->mode == QFMT_JSON)
		fputc('[', f->out);
}

int qfmt_row(qfmt *f, sqlite3_stmt *st)
{
	if (!f->active)
		return -1;
	bool oom = false, num;
	f->nrows++;
	switch (f->mode) {
	case QFMT_TABLE:
	case QFMT_BOX: {
		if (f->flushed) {
			qfmt_cell row[f->ncol > 0 ? f->ncol : 1];
			for (int i = 0; i < f->ncol; i++)
				row[i].text = qfmt_text(st, i, &row[i].num, &oom);
			qfmt_grid_row(f, row, false);
			for (int i = 0; i < f->ncol; i++)
				free(row[i].text);
			break;
		}
		size_t need = (f->nbuf + 1) * (size_t)f->ncol; /* cells */
		if (need > f->cap) {
			size_t cap = need * 2 > 64 ? need * 2 : 64;
			qfmt_cell *b = realloc(f->buf, cap * sizeof(*b));
			if (!b)
				return -1;
			f->buf = b;
			f->cap = cap;
		}
		qfmt_cell *row = f->buf + f->nbuf * f->ncol;
		for (int i = 0; i < f->ncol; i++)
			row[i].text = qfmt_text(st, i, &row[i].num, &oom);
		f->nbuf++;
		if (f->nbuf >= QFMT_CHUNK)
			qfmt_grid_flush(f);
		break;
	}
	case QFMT_CSV:
		for (int i = 0; i < f->ncol; i++) {
			char *t = qfmt_text(st, i, &num, &oom);
			if (i)
				fputc(',', f->out);
			qfmt_csv_field(f, t);
			free(t);
		}
		fputc('\n', f->out);
		break;
	case QFMT_JSON:
		fputs(f->nrows > 1 ? ",\n{" : "\n{", f->out);
		for (int i = 0; i < f->ncol; i++) {
			char *t = qfmt_text(st, i, &num, &oom);
			if (i)
				fputc(',', f->out);
			qfmt_json_string(f, f->names[i]);
			fputc(':', f->out);
			qfmt_json_value(f, st, i, t ? t : "");
			free(t);
		}
		fputc('}', f->out);
		break;
	case QFMT_LINE: {
		size_t w = 0;
		for (int i = 0; i < f->ncol; i++)
			if (qfmt_width(f->names[i]) > w)
				w = qfmt_width(f->names[i]);
		if (f->nrows > 1)
			fputc('\n', f->out);
		for (int i = 0; i < f->ncol; i++) {
			char *t = qfmt_text(st, i, &num, &oom);
			qfmt_put_repeat(f, " ", w - qfmt_width(f->names[i]));
			/* For people, like table and box: no control character
			 * but newline and tab reaches the terminal. */
			for (char *p = t; p && *p; p++)
				if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
					*p = ' ';
			fprintf(f->out, "%s = %s\n", f->names[i], t ? t : "");
			free(t);
		}
		break;
	}
	}
	return oom ? -1 : 0;
}

void qfmt_end(qfmt *f)
{
	if (!f->active)
		return;
	if (f->mode == QFMT_TABLE || f->mode == QFMT_BOX) {
		if (!f->flushed && f->nbuf > 0)
			qfmt_grid_flush(f);
		if (f->flushed)
			qfmt_rule(f, QFMT_BOTTOM);
	} else if (f->mode == QFMT_JSON) {
		fputs(f->nrows ? "\n]\n" : "]\n", f->out);
	}
	for (int i = 0; i < f->ncol; i++)
		free(f->names[i]);
	free(f->names);
	free(f->width);
	f->names = NULL;
	f->width = NULL;
	f->ncol = 0;
	f->active = false;
	fflush(f->out);
}

void qfmt_free(qfmt *f)
{
	if (!f)
		return;
	qfmt_end(f);
	free(f->buf);
	free(f);
}
