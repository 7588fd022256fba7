/* reg_int.h: helpers the rule files (reg_*.c) share; not for their callers. */
#ifndef MODELREG_REG_INT_H
#define MODELREG_REG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "registry.h"

/* A one-line message for a reply; control bytes from names become '?'. msg may be NULL. */
void	 reg_msg(char *msg, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Control bytes in s become '?' (names come from users and catalogs). */
void	 reg_sanitize(char *s);
/* "2025-09-30T12:00:00Z" */
void	 reg_rfc3339(int64_t t, char *out, size_t len);
/* The clock, in one place: now when the caller gave one (non-zero), else time(NULL). */
int64_t	 reg_clock(int64_t now);

/* A rule says no: roll the transaction back, set msg, return rc. */
enum reg_rc reg_refuse(sqlite3 *, enum reg_rc rc, char *msg, size_t len,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* SQLite failed: roll everything back (db.c has logged why); REG_INTERNAL. */
enum reg_rc reg_fail(sqlite3 *, char *msg, size_t len);

/* The status source of a change: the actor's, else "manual". */
const char *reg_source(const struct actor *);
const char *reg_status_name(int active);	/* "active" or "inactive" */

/*
 * A person's change raises an event (issue 6), in the open transaction:
 * details {"reason":"manual","actor":...,"uid":...} plus extra (JSON
 * members, each starting with a comma, or NULL); the message is what
 * followed by who. 0 or -1.
 */
int	 reg_event(sqlite3 *, const char *kind, const char *model,
	    const struct actor *, const char *extra, const char *what);

#endif
