/* buf.h: a growable byte buffer, always NUL-terminated. */
#ifndef MODELREG_BUF_H
#define MODELREG_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A zeroed struct buf is an empty buffer. data is NULL until the first
 * append; after any successful append data[len] == '\0'. The owner frees
 * with buf_free(). Appends return 0, or -1 when memory runs out (the
 * buffer is then unchanged).
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

int	 buf_append(struct buf *, const void *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_putc(struct buf *, int);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Append s as a JSON string: quotes, \" \\ and \u00XX for control bytes; UTF-8 as is. */
int	 buf_json_str(struct buf *, const char *s);
void	 buf_reset(struct buf *);	/* len = 0, keeps memory */
void	 buf_free(struct buf *);
char	*buf_steal(struct buf *);	/* caller owns result (never NULL: "" if empty, NULL on ENOMEM) */

/*
 * snprintf into a fixed buffer of len bytes that never ends inside a word:
 * text that does not fit is cut after the last whole word that leaves room
 * for "...", and "..." is appended. Only a word longer than half the
 * buffer is cut inside, on a UTF-8 character boundary. dst must not be
 * one of the arguments. Returns 1 when the text was cut, 0 when it fit,
 * -1 when it could not be formatted (dst is then "").
 */
int	 buf_fit(char *dst, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 buf_vfit(char *dst, size_t len, const char *fmt, va_list)
	    __attribute__((format(printf, 3, 0)));

#endif
