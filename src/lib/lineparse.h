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

/* One statement of a data file: lines whose first word is `word` (NULL: any first word, for files of bare
 * entries) with min_words..max_words words in all go to parse, which returns false after line_fail(). */
struct line_keyword {
	const char *word;
	int min_words, max_words;
	bool (*parse)(void *ctx, struct line_parse *ps, char **w, int n);
};

#define LINE_FILE_MAX 1024 /* longest line of a data file, newline included */

/* The one reader of cmflow's data files (signatures/ and the site configuration), as p0f's readfp.c: reads path
 * line by line, skips blank and comment lines, and hands each other line to the statement of its first word.
 * Returns false with "PATH: reason" (cannot open, a directory, a read error) or "PATH:LINE: reason" (a line
 * longer than LINE_FILE_MAX, an unclosed quote, too many words, an unknown statement, a word count the
 * statement does not take, or the parse function's own message) in err. */
bool line_file_read(const char *path, const struct line_keyword *kw, size_t nkw, void *ctx, char *err,
		    size_t errlen);

/* Parses a decimal port 1..65535. */
bool parse_port(const char *s, unsigned *port);

#endif
