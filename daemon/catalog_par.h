/* catalog_par.h: a plain catalog format's per-element SELECT on helper threads, each with its own in-memory connection; the rows come back in the order the elements were read. */
#ifndef MODELREG_CATALOG_PAR_H
#define MODELREG_CATALOG_PAR_H

#include <stddef.h>
#include <stdint.h>

/*
 * The SELECT reads no table: it is a function of the element (?1) and
 * its index (?2), so any connection that has catalog_fn.c's functions
 * gives the same row. The helpers evaluate it, the caller (the import
 * worker) inserts the rows into staging in element order, so the rows,
 * the counts and "the first of duplicate ids wins" are those of the
 * serial pass.
 */
struct cpar;

/* One value of a result row: SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_NULL. */
struct cpar_val {
	int		 type;
	int64_t		 i;
	double		 r;
	const char	*s;		/* SQLITE_TEXT: NUL-terminated */
	int		 n;		/* its bytes */
};

/* One element's result: rc SQLITE_ROW (col holds ncol values) or SQLITE_DONE (no row). */
struct cpar_row {
	int			 rc;
	const struct cpar_val	*col;
};

/* Called for each row in element order; non-zero stops (cpar_drain returns it). */
typedef int (*cpar_fn)(void *arg, const struct cpar_row *);

/*
 * How many helpers this machine gives a parse: one fewer than its CPUs,
 * at most CPAR_HELPERS_MAX; 0 means parse serially.
 */
#define CPAR_HELPERS_MAX	2
int	 cpar_helpers(void);

/*
 * Start n helpers (1..CPAR_HELPERS_MAX) for sql, a SELECT of ncol
 * columns: NULL when any part of it cannot be had (the caller then
 * parses serially).
 */
struct cpar	*cpar_start(const char *sql, int ncol, int n);

/* Queue an element (copied): 0, or -1 out of memory. */
int	 cpar_add(struct cpar *, const char *text, size_t len, uint64_t index);

/*
 * Hand the rows of finished batches to fn, in order. all = 0: those done
 * by now, waiting only while every batch is taken (so that the next
 * cpar_add has room); all = 1: every element queued, waiting for them.
 * 0, fn's non-zero, or -1 when a helper's statement failed (cpar_error).
 */
int	 cpar_drain(struct cpar *, int all, cpar_fn fn, void *arg);
const char *cpar_error(const struct cpar *);

/* Stop the helpers and free everything; rows not drained are dropped. NULL is fine. */
void	 cpar_stop(struct cpar *);

#endif
