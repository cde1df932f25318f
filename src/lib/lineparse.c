/* lineparse.c: tokenizer of cmflow's line-oriented data files. */
#include <stdarg.h>
#include <stdio.h>
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
