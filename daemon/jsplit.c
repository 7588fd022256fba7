/* jsplit.c: split a JSON body, fed in chunks, into the values SQLite reads one at a time (issue 8): a pure function over memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsplit.h"

/*
 * Why a splitter: SQLite's json_each over a 78 MB body builds a node
 * array for the whole document (several times its size) and the body
 * must be in memory to be bound. Handing SQLite one element at a time
 * keeps both to the size of an element, and SQLite still validates and
 * reads every byte of every element: jsplit decides only where a piece
 * begins and ends, and checks the punctuation of the levels it walks.
 */

enum {
	ST_VALUE,		/* a value must come */
	ST_VALUE_OR_CLOSE,	/* just after '[' */
	ST_NAME_OR_CLOSE,	/* just after '{' */
	ST_NAME,		/* after ',' in an object */
	ST_COLON,		/* after a member name */
	ST_AFTER,		/* after a value inside a container */
	ST_END,			/* after the root value: only blanks */
	ST_PIECE,		/* collecting a piece */
};

/* JSON's four blanks; SQLite 3.40 accepts no others. */
#define JS_BLANK(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

static enum jsplit_status
js_fail(struct jsplit *s, enum jsplit_status st, uint64_t at, const char *what)
{
	if (s->status != JSPLIT_OK)
		return s->status;
	s->status = st;
	snprintf(s->why, sizeof(s->why), "%s at byte %llu", what,
	    (unsigned long long)at);
	return st;
}

int
jsplit_init(struct jsplit *s, const char *key, size_t max_piece, jsplit_cb cb,
    void *arg)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->keylen = strlen(key);
	s->max_piece = max_piece;
	s->cb = cb;
	s->arg = arg;
	s->state = ST_VALUE;
	return 0;
}

void
jsplit_free(struct jsplit *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

/* Keep n more bytes of the piece: 0, or -1 (too big, or no memory: status set). */
static int
js_keep(struct jsplit *s, const char *p, size_t n, uint64_t at)
{
	size_t	 want;
	char	*nb;

	if (n == 0)
		return 0;
	if (n > s->max_piece || s->len > s->max_piece - n) {
		char	 what[96];

		snprintf(what, sizeof(what), "a value longer than %zu bytes",
		    s->max_piece);
		js_fail(s, JSPLIT_TOOBIG, at, what);
		return -1;
	}
	if (s->len + n + 1 > s->cap) {
		want = s->cap > 0 ? s->cap : 4096;
		while (want < s->len + n + 1)
			want *= 2;
		if (want > s->max_piece + 1)
			want = s->max_piece + 1;
		if ((nb = realloc(s->buf, want)) == NULL) {
			js_fail(s, JSPLIT_NOMEM, at, "out of memory");
			return -1;
		}
		s->buf = nb;
		s->cap = want;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

/* After a value at the current level: the next state. */
static void
js_after_value(struct jsplit *s)
{
	s->state = s->level == 0 ? ST_END : ST_AFTER;
}

/* The piece is whole: hand it over, then go on after it. */
static enum jsplit_status
js_emit(struct jsplit *s, uint64_t at)
{
	struct jsplit_piece	 pc;

	/* A piece has at least one byte, so js_keep gave it a buffer. */
	s->buf[s->len] = '\0';
	pc.kind = s->kind;
	pc.index = s->kind == JSPLIT_ELEMENT ? s->index : 0;
	pc.text = s->buf;
	pc.len = s->len;
	if (s->kind == JSPLIT_ELEMENT)
		s->index++;
	if (s->kind == JSPLIT_NAME) {
		/* The root object's first member called key names the array. */
		if (s->level == 1 && s->open[0] == '{' && !s->key_seen &&
		    s->len == s->keylen + 2 &&
		    memcmp(s->buf + 1, s->key, s->keylen) == 0) {
			s->key_seen = 1;
			s->next_is_key = 1;
		}
		s->state = ST_COLON;
	} else {
		if (s->next_is_key)
			s->found = 0;	/* the key's value is not an array */
		s->next_is_key = 0;
		js_after_value(s);
	}
	s->len = 0;
	if (s->cb(s->arg, &pc) != 0)
		return js_fail(s, JSPLIT_STOPPED, at, "stopped");
	return JSPLIT_OK;
}

/* Start a piece at byte c; the scan reads c itself. */
static void
js_piece_start(struct jsplit *s, char c, enum jsplit_kind kind)
{
	s->state = ST_PIECE;
	s->kind = kind;
	s->len = 0;
	s->depth = 0;
	s->in_str = 0;
	s->esc = 0;
	s->scalar = !(c == '"' || c == '{' || c == '[');
}

/*
 * Scan the piece's bytes in p: returns how many belong to it (a bare
 * scalar ends before its delimiter, which the walk then reads). Sets
 * status on an error.
 */
static size_t
js_piece_scan(struct jsplit *s, const char *p, size_t n)
{
	size_t	 j = 0;
	int	 bit, d;
	char	 c;

	while (j < n) {
		c = p[j];
		if (c == '\0') {
			js_fail(s, JSPLIT_NUL, s->off + j, "a NUL byte");
			return j;
		}
		if (s->in_str) {
			if (s->esc) {
				s->esc = 0;
				j++;
				continue;
			}
			/* The bulk of a body is string bytes: skip them fast. */
			while (j < n && p[j] != '"' && p[j] != '\\' &&
			    p[j] != '\0')
				j++;
			if (j == n || p[j] == '\0')
				continue;
			if (p[j] == '\\') {
				s->esc = 1;
				j++;
				continue;
			}
			s->in_str = 0;
			j++;
			if (s->depth == 0)
				goto whole;
			continue;
		}
		if (s->scalar) {
			if (JS_BLANK(c) || c == ',' || c == ']' || c == '}' ||
			    c == ':' || c == '[' || c == '{' || c == '"') {
				if (js_keep(s, p, j, s->off) == -1)
					return j;
				js_emit(s, s->off + j);
				return j;
			}
			j++;
			continue;
		}
		switch (c) {
		case '"':
			s->in_str = 1;
			break;
		case '[':
		case '{':
			if (s->level + s->depth + 1 > JSPLIT_MAX_DEPTH) {
				char	 what[64];

				snprintf(what, sizeof(what), "nested deeper "
				    "than %d", JSPLIT_MAX_DEPTH);
				js_fail(s, JSPLIT_DEEP, s->off + j, what);
				return j;
			}
			bit = s->depth;
			if (c == '[')
				s->stack[bit / 8] |= (unsigned char)(1 << (bit % 8));
			else
				s->stack[bit / 8] &= (unsigned char)~(1 << (bit % 8));
			s->depth++;
			break;
		case ']':
		case '}':
			if (s->depth == 0) {
				/* Not reachable: a container piece starts with its bracket. */
				js_fail(s, JSPLIT_SYNTAX, s->off + j,
				    "unbalanced brackets");
				return j;
			}
			d = s->depth - 1;
			bit = (s->stack[d / 8] >> (d % 8)) & 1;
			if (bit != (c == ']')) {
				js_fail(s, JSPLIT_SYNTAX, s->off + j,
				    "mismatched brackets");
				return j;
			}
			s->depth--;
			if (s->depth == 0) {
				j++;
				goto whole;
			}
			break;
		default:
			break;
		}
		j++;
	}
	js_keep(s, p, n, s->off);
	return n;
 whole:
	if (js_keep(s, p, j, s->off) == -1)
		return j;
	js_emit(s, s->off + j);
	return j;
}

/* Open a container of a walked level. */
static void
js_open(struct jsplit *s, char c)
{
	if (s->level == 1 && s->next_is_key) {
		s->found = c == '[';
		s->in_target = c == '[';
		s->next_is_key = 0;
	}
	s->open[s->level++] = c;
	s->state = c == '{' ? ST_NAME_OR_CLOSE : ST_VALUE_OR_CLOSE;
}

/* Close the innermost walked container with c: 0, or -1 (status set). */
static int
js_close(struct jsplit *s, char c, uint64_t at)
{
	char	 want = s->open[s->level - 1] == '{' ? '}' : ']';

	if (c != want) {
		js_fail(s, JSPLIT_SYNTAX, at, "mismatched brackets");
		return -1;
	}
	if (s->level == 2)
		s->in_target = 0;
	s->level--;
	js_after_value(s);
	return 0;
}

enum jsplit_status
jsplit_feed(struct jsplit *s, const char *p, size_t n)
{
	size_t		 i = 0;
	uint64_t	 at;
	char		 c;

	while (i < n && s->status == JSPLIT_OK) {
		if (s->state == ST_PIECE) {
			size_t k = js_piece_scan(s, p + i, n - i);

			i += k;
			s->off += k;
			continue;
		}
		c = p[i];
		at = s->off;
		if (JS_BLANK(c)) {
			i++;
			s->off++;
			continue;
		}
		if (c == '\0') {
			js_fail(s, JSPLIT_NUL, at, "a NUL byte");
			break;
		}
		switch (s->state) {
		case ST_VALUE_OR_CLOSE:
			if (c == ']') {
				js_close(s, c, at);
				break;
			}
			/* FALLTHROUGH */
		case ST_VALUE:
			if (c == ',' || c == ':' || c == ']' || c == '}') {
				js_fail(s, JSPLIT_SYNTAX, at, "a value expected");
				break;
			}
			if ((c == '{' || c == '[') && s->level < 2) {
				js_open(s, c);
				break;
			}
			js_piece_start(s, c, s->level == 2 && s->in_target ?
			    JSPLIT_ELEMENT : JSPLIT_VALUE);
			continue;	/* the scan reads c */
		case ST_NAME_OR_CLOSE:
			if (c == '}') {
				js_close(s, c, at);
				break;
			}
			/* FALLTHROUGH */
		case ST_NAME:
			if (c != '"') {
				js_fail(s, JSPLIT_SYNTAX, at,
				    "a member name expected");
				break;
			}
			js_piece_start(s, c, JSPLIT_NAME);
			continue;
		case ST_COLON:
			if (c != ':') {
				js_fail(s, JSPLIT_SYNTAX, at, "':' expected");
				break;
			}
			s->state = ST_VALUE;
			break;
		case ST_AFTER:
			if (c == ',') {
				s->state = s->open[s->level - 1] == '{' ?
				    ST_NAME : ST_VALUE;
				break;
			}
			if (c == '}' || c == ']') {
				js_close(s, c, at);
				break;
			}
			js_fail(s, JSPLIT_SYNTAX, at,
			    "',' or a closing bracket expected");
			break;
		case ST_END:
		default:
			js_fail(s, JSPLIT_SYNTAX, at,
			    "trailing bytes after the JSON value");
			break;
		}
		if (s->status != JSPLIT_OK)
			break;
		i++;
		s->off++;
	}
	return s->status;
}

enum jsplit_status
jsplit_finish(struct jsplit *s)
{
	if (s->status != JSPLIT_OK)
		return s->status;
	if (s->state == ST_PIECE) {
		if (s->scalar)
			js_emit(s, s->off);	/* the end of the body ends a bare scalar */
		else if (s->in_str)
			return js_fail(s, JSPLIT_SYNTAX, s->off,
			    "unterminated string: the body ends");
		else
			return js_fail(s, JSPLIT_SYNTAX, s->off,
			    "unbalanced brackets: the body ends");
		if (s->status != JSPLIT_OK)
			return s->status;
	}
	if (s->state == ST_END)
		return JSPLIT_OK;
	if (s->state == ST_VALUE && s->level == 0)
		return js_fail(s, JSPLIT_SYNTAX, s->off,
		    "no JSON value: the body ends");
	return js_fail(s, JSPLIT_SYNTAX, s->off,
	    "unbalanced brackets: the body ends");
}

int
jsplit_found(const struct jsplit *s)
{
	return s->status == JSPLIT_OK && s->state == ST_END && s->found;
}

const char *
jsplit_error(const struct jsplit *s)
{
	return s->status == JSPLIT_OK ? "" : s->why;
}
