/* lineparse.h: the line-oriented data files in signatures/ and the site configuration share one tokenizer:
 * words separated by blanks, "double quotes" around a word with blanks, '#' to the end of the line a comment. */
#ifndef CMFLOW_LINEPARSE_H
#define CMFLOW_LINEPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define LINE_MAX_WORDS 32

/* Splits line in place into at most max words (quotes removed). Returns the number of words, or -1 when a quote
 * is not closed or there are more than max words. */
int line_words(char *line, char **words, int max);

/* key=value: when word starts with key and '=', returns the value, else NULL. */
const char *word_value(const char *word, const char *key);

/* Where a parser is, for its error messages. */
struct line_parse {
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
};

/* Writes "PATH:LINE: message 'word'" (without the quoted word when word is NULL) into ps->err; returns false. */
__attribute__((format(printf, 3, 4))) bool line_fail(struct line_parse *ps, const char *word, const char *fmt, ...);

/* Parses a decimal port 1..65535. */
bool parse_port(const char *s, unsigned *port);

#endif
