/* reg_int.h: helpers the rule files (registry.c, reg_*.c) share; not for their callers. */
#ifndef MODELREG_REG_INT_H
#define MODELREG_REG_INT_H

#include <stddef.h>
#include <stdint.h>

/* A one-line message for a reply; control bytes from names become '?'. msg may be NULL. */
void	 reg_msg(char *msg, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* "2025-09-30T12:00:00Z" */
void	 reg_rfc3339(int64_t t, char *out, size_t len);

#endif
