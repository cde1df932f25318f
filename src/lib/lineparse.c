/* lineparse.c: tokenizer of cmflow's line-oriented data files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lineparse.h"

int line_words(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -1;
		if (*p == '"') {
			char *end = strchr(p + 1, '"');
			if (!end)
				return -1;
			*end = '\0';
			words[n++] = p + 1;
			p = end + 1;
			continue;
		}
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

const char *word_value(const char *word, const char *key)
{
	size_t n = strlen(key);
	return strncmp(word, key, n) == 0 && word[n] == '=' ? word + n + 1 : NULL;
}

bool parse_port(const char *s, unsigned *port)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 65535)
		return false;
	*port = (unsigned)v;
	return true;
}

bool line_fail(struct line_parse *ps, const char *word, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (word)
		snprintf(ps->err, ps->errlen, "%s:%u: %s '%s'", ps->path, ps->line, msg, word);
	else
		snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->path, ps->line, msg);
	return false;
}

/* The statement for a line's first word: the first keyword naming it, else a catch-all (word NULL), else NULL. */
static const struct line_keyword *keyword_of(const struct line_keyword *kw, size_t nkw, const char *word)
{
	const struct line_keyword *any = NULL;
	for (size_t i = 0; i < nkw; i++) {
		if (!kw[i].word)
			any = &kw[i];
		else if (strcmp(kw[i].word, word) == 0)
			return &kw[i];
	}
	return any;
}

/* "a line starts with 'role' or 'rule'" from the keyword table, for the unknown-statement message */
static void keyword_list(const struct line_keyword *kw, size_t nkw, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nkw && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s'%s'", i == 0 ? "" : i + 1 == nkw ? " or " : ", ", kw[i].word);
}

static bool read_lines(FILE *fp, const struct line_keyword *kw, size_t nkw, void *ctx, struct line_parse *ps)
{
	char line[LINE_FILE_MAX + 1];
	while (fgets(line, sizeof line, fp)) {
		ps->line++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(fp))
			return line_fail(ps, NULL, "line longer than %d bytes", LINE_FILE_MAX);
		if (len == 0 || (len < sizeof line - 1 && !feof(fp) && line[len - 1] != '\n'))
			return line_fail(ps, NULL, "a NUL byte: not a text file");
		char *w[LINE_MAX_WORDS];
		int n = line_words(line, w, LINE_MAX_WORDS);
		if (n < 0)
			return line_fail(ps, NULL, "unclosed quote or more than %d words", LINE_MAX_WORDS);
		if (n == 0)
			continue;
		const struct line_keyword *k = keyword_of(kw, nkw, w[0]);
		if (!k) {
			char list[256];
			keyword_list(kw, nkw, list, sizeof list);
			return line_fail(ps, w[0], "a line starts with %s, not", list);
		}
		if (n < k->min_words || n > k->max_words) {
			if (k->min_words == k->max_words)
				return line_fail(ps, w[0], "%d words expected, %d given, at", k->min_words, n);
			return line_fail(ps, w[0], "%d to %d words expected, %d given, at", k->min_words, k->max_words, n);
		}
		if (!k->parse(ctx, ps, w, n))
			return false;
	}
	if (ferror(fp)) {
		snprintf(ps->err, ps->errlen, "%s: read error after line %u: %s", ps->path, ps->line, strerror(errno));
		return false;
	}
	return true;
}

bool line_file_read(const char *path, const struct line_keyword *kw, size_t nkw, void *ctx, char *err,
		    size_t errlen)
{
	struct line_parse ps = { path, 0, err, errlen };
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a file", path);
		fclose(fp);
		return false;
	}
	bool ok = read_lines(fp, kw, nkw, ctx, &ps);
	fclose(fp);
	return ok;
}
