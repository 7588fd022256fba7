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

#endif
