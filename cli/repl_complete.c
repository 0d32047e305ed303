/* Tab completion for the REPL: SQL keywords, the trace's table, view and
 * column names, dot-commands (canned queries included) and their
 * arguments. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <readline/readline.h>

#include "repl.h"

static char **repl_completion(const char *text, int start, int end);

/* Words offered in SQL context, collected once when the REPL starts. */
static char **complete_words;
static size_t complete_nwords, complete_cap;
static size_t complete_nkeywords; /* the first ones are SQL keywords */

static void complete_add(const char *w, int len)
{
	if (complete_nwords == complete_cap) {
		size_t cap = complete_cap ? complete_cap * 2 : 256;
		char **b = realloc(complete_words, cap * sizeof(*b));
		if (!b)
			return;
		complete_words = b;
		complete_cap = cap;
	}
	for (size_t i = complete_nkeywords; i < complete_nwords; i++)
		if ((int)strlen(complete_words[i]) == len && !strncmp(complete_words[i], w, len))
			return; /* a column name shared by several tables */
	char *s = strndup(w, (size_t)len);
	if (s)
		complete_words[complete_nwords++] = s;
}

void repl_complete_init(repl *r)
{
	for (int i = 0; i < sqlite3_keyword_count(); i++) {
		const char *k;
		int len;
		if (sqlite3_keyword_name(i, &k, &len) == SQLITE_OK)
			complete_add(k, len);
	}
	complete_nkeywords = complete_nwords;
	static const char *const functions[] = {
		"count", "sum", "min", "max", "avg", "total", "group_concat", "printf", "format",
		"coalesce", "ifnull", "nullif", "substr", "length", "lower", "upper", "hex",
		"instr", "replace", "round", "abs", "typeof", "json_object", "json_group_array",
	};
	for (size_t i = 0; i < sizeof(functions) / sizeof(*functions); i++)
		complete_add(functions[i], (int)strlen(functions[i]));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db,
			       "SELECT s.name, p.name FROM main.sqlite_schema s "
			       "LEFT JOIN pragma_table_info(s.name) p "
			       "WHERE s.type IN ('table', 'view') AND s.name NOT LIKE 'sqlite_%'",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < 2; c++) {
				const char *w = (const char *)sqlite3_column_text(st, c);
				if (w)
					complete_add(w, (int)strlen(w));
			}
	}
	sqlite3_finalize(st);
	rl_attempted_completion_function = repl_completion;
	rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(),.*+-/%";
	rl_readline_name = "nosco-sql";
}

void repl_complete_free(void)
{
	for (size_t i = 0; i < complete_nwords; i++)
		free(complete_words[i]);
	free(complete_words);
	complete_words = NULL;
	complete_nwords = complete_cap = complete_nkeywords = 0;
}

/* What the generator offers: one of these lists, filtered by prefix. */
static enum { LIST_SQL, LIST_DOT, LIST_MODES, LIST_ONOFF, LIST_TABLES } complete_list;
static bool complete_lower; /* the user types keywords in lower case */

static const char *complete_nth(size_t i, bool *keyword)
{
	static const char *const modes[] = { "table", "box", "csv", "json", "line" };
	static const char *const onoff[] = { "on", "off" };
	*keyword = false;
	switch (complete_list) {
	case LIST_SQL:
		*keyword = i < complete_nkeywords;
		return i < complete_nwords ? complete_words[i] : NULL;
	case LIST_TABLES:
		/* table and column names come after the keywords */
		i += complete_nkeywords;
		return i < complete_nwords ? complete_words[i] : NULL;
	case LIST_DOT:
		return repl_dot_name(i);
	case LIST_MODES:
		return i < 5 ? modes[i] : NULL;
	case LIST_ONOFF:
		return i < 2 ? onoff[i] : NULL;
	}
	return NULL;
}

static char *complete_generator(const char *text, int state)
{
	static size_t next, len;
	if (state == 0) {
		next = 0;
		len = strlen(text);
	}
	bool keyword;
	const char *w;
	while ((w = complete_nth(next++, &keyword))) {
		if (strncasecmp(w, text, len))
			continue;
		char *m = strdup(w);
		if (m && keyword && complete_lower)
			for (char *p = m; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		return m;
	}
	return NULL;
}

static char **repl_completion(const char *text, int start, int end)
{
	(void)end;
	const char *line = rl_line_buffer;
	size_t lead = strspn(line, " \t");
	rl_attempted_completion_over = 1; /* never fall back to file names in SQL */
	complete_lower = text[0] && islower((unsigned char)text[0]);
	if (line[lead] == '.') {
		const char *cmd = line + lead + 1;
		size_t cmdlen = strcspn(cmd, " \t");
		if ((size_t)start <= lead + 1) {
			complete_list = LIST_DOT;
		} else if (!strncmp(cmd, "mode", cmdlen) && cmdlen == 4) {
			complete_list = LIST_MODES;
		} else if ((cmdlen == 7 && !strncmp(cmd, "headers", 7)) ||
			   (cmdlen == 5 && !strncmp(cmd, "timer", 5))) {
			complete_list = LIST_ONOFF;
		} else if (cmdlen == 6 && !strncmp(cmd, "schema", 6)) {
			complete_list = LIST_TABLES;
		} else if ((cmdlen == 4 && !strncmp(cmd, "read", 4)) ||
			   (cmdlen == 6 && !strncmp(cmd, "output", 6)) ||
			   (cmdlen == 4 && !strncmp(cmd, "once", 4))) {
			rl_attempted_completion_over = 0; /* file names */
			return NULL;
		} else {
			return NULL;
		}
	} else {
		complete_list = LIST_SQL;
	}
	return rl_completion_matches(text, complete_generator);
}
