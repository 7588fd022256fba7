/* proto.h: the line protocol's pure parts: request tokenizer, logfmt writer and reader. */
#ifndef MODELREG_PROTO_H
#define MODELREG_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define PROTO_VERSION	1
#define PROTO_MAXLINE	4096	/* bytes in one request, without the LF (or CR-LF) */
#define PROTO_MAXARGS	32	/* positional words, the verb included */
#define PROTO_MAXOPTS	16	/* key=value options */

/*
 * A tokenized request (see doc/protocol.md, "Requests").
 *
 * argv[0] is the verb, upper-cased by the tokenizer. A word is an option
 * when it starts, unquoted, with a key of [A-Za-z_][A-Za-z0-9_]* followed
 * by '='; the key is lower-cased, the value may be quoted. Every other
 * word is positional. All strings point into store[], which the request
 * owns; nothing is allocated.
 */
struct proto_req {
	int	 argc;
	char	*argv[PROTO_MAXARGS];
	int	 optc;
	char	*optk[PROTO_MAXOPTS];
	char	*optv[PROTO_MAXOPTS];
	char	 store[PROTO_MAXLINE + PROTO_MAXARGS + PROTO_MAXOPTS * 2 + 8];
};

/*
 * Tokenize one request line of len bytes (no LF; a trailing CR is
 * allowed and dropped). Returns 0, or -1 with *err pointing to a static
 * English message (an unterminated quote, a NUL or control byte, a bad
 * escape, too many words, an empty line is argc == 0 and returns 0).
 */
int	 proto_tokenize(const char *line, size_t len, struct proto_req *,
	    const char **err);

/* The value of option key (lower-case), or NULL. */
const char *proto_opt(const struct proto_req *, const char *key);

/*
 * Append word to b quoted for a request line: bare when it is non-empty
 * and has no blank, quote, backslash, '=' or byte outside 0x21..0x7e;
 * otherwise in double quotes with \" \\ \n \t \r and \xHH escapes.
 */
int	 proto_quote_word(struct buf *b, const char *word);

/*
 * logfmt writer. A record is " "-separated key=value pairs ending in LF.
 * lf_str writes the value bare when it is non-empty and made only of
 * bytes 0x21..0x7e other than '"', '=' and '\\' (UTF-8 bytes >= 0x80 are
 * also allowed bare); otherwise quoted, with \" \\ \n \t \r and \xHH for
 * every other byte below 0x20 and 0x7f. A NULL value is written as an
 * empty bare value ("key=") and means null / unknown; an empty string is
 * written as key="". The first pair of a record has no leading blank:
 * callers pass the record's buf and the writer adds the separator when
 * b->len is past the last LF.
 */
int	 lf_str(struct buf *, const char *key, const char *value);
int	 lf_strn(struct buf *, const char *key, const char *value, size_t len);
int	 lf_int(struct buf *, const char *key, int64_t value);
int	 lf_num(struct buf *, const char *key, double value);	/* %.10g; NaN and infinities as null */
int	 lf_bool(struct buf *, const char *key, int value);	/* true / false */
/* A number that may be unknown: the value when has is set, else null. */
int	 lf_opt_int(struct buf *, const char *key, int has, int64_t value);
int	 lf_opt_num(struct buf *, const char *key, int has, double value);
int	 lf_null(struct buf *, const char *key);
/* Days since 1970-01-01 of a proleptic Gregorian y-m-d (timegm without TZ). */
int64_t	 days_from_civil(int64_t y, int m, int d);
int	 lf_time(struct buf *, const char *key, int64_t unixtime);	/* RFC 3339 UTC; 0 = null */
int	 lf_end(struct buf *);	/* append the LF ending the record */

/*
 * logfmt reader. Parses one record line (no LF) into pairs. Keys and
 * values are unescaped, NUL-terminated copies in store, the caller's
 * memory of storelen >= len + 1 bytes (a smaller store is an error).
 * Pairs are separated by one or more spaces; a quoted value knows the
 * escapes the writer makes (\" \\ \n \t \r \xHH) and no others; raw
 * control bytes are refused. A value that was an empty bare value has
 * isnull = 1 (an empty quoted value is "" with isnull = 0). Returns the
 * number of pairs, or -1 on a malformed line or more than max pairs.
 * lf_get returns the first pair named key, or NULL.
 */
struct lf_pair {
	const char	*key;
	const char	*value;
	size_t		 vlen;	/* values may hold NUL bytes via \x00 */
	int		 isnull;
};
int	 lf_parse(const char *line, size_t len, struct lf_pair *pairs, int max,
	    char *store, size_t storelen);
const struct lf_pair *lf_get(const struct lf_pair *, int n, const char *key);

/* Format t (UTC) as RFC 3339, "2026-11-21T12:25:15Z", into out (>= 21 bytes). */
void	 proto_fmt_time(int64_t t, char out[32]);

/* Reply status line. "OK <n>" or "ERR <code> <message>". */
#define PROTO_ERR_CODES	"usage unknown notfound denied conflict toolong busy unavailable internal"

#endif
