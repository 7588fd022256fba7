/* db_import.h: what a seed's and a catalog's apply share (db_import.c): scratch sets over staging, and the search index of the rows they add. */
#ifndef MODELREG_DB_IMPORT_H
#define MODELREG_DB_IMPORT_H

#include <stdint.h>
#include <sqlite3.h>

/*
 * Unless said otherwise: 0, or -1 when SQLite failed (logged); in the
 * caller's transaction.
 *
 * db_import_set: the temp table name (a fixed name of ours) made anew
 * from select, whose rows come in the order the later statements read
 * them (by id). CREATE TABLE ... AS is not counted by
 * sqlite3_total_changes(): a scratch set is not a write of the apply.
 * db_import_drop forgets the sets of both applies.
 */
int	 db_import_set(sqlite3 *, const char *name, const char *select);
void	 db_import_drop(sqlite3 *);
int	 db_import_sum(sqlite3 *, const char *sql, int *n);	/* one count, as an int */
/*
 * The search index of the rows an apply adds to table t (p: "model" or
 * "catalog", schema 5 in db.c): db_search_keys gives a key to every id of
 * ids_sql (ids not keyed yet, in id order) before the rows are inserted,
 * so that their insert trigger has nothing to do, and returns in *base
 * the last key before them; db_search_add indexes, in one statement, the
 * rows of the keys after base.
 */
int	 db_search_keys(sqlite3 *, const char *p, const char *ids_sql,
	    int64_t *base);
int	 db_search_add(sqlite3 *, const char *t, const char *p, int64_t base);
/*
 * A bulk load into table (db_import.c says why): when adding (rows about
 * to be inserted) is at least 1000 and at least the rows the table holds,
 * db_import_bulk_begin drops its non-unique indexes and keeps their SQL
 * in saved (empty otherwise); db_import_bulk_end creates them again and
 * frees saved (always call it, or buf_free(saved) on an error path).
 */
struct buf;
int	 db_import_bulk_begin(sqlite3 *, const char *table, int64_t adding,
	    struct buf *saved);
int	 db_import_bulk_end(sqlite3 *, struct buf *saved);
/*
 * Instead of db_import_bulk_end for a seed's first load into models
 * (db_import.c says why): the partial indexes are made now, the others
 * written down in the state table for db_import_finish, and the search
 * keys after base marked dirty and not indexed. Frees saved.
 */
int	 db_import_bulk_defer(sqlite3 *, struct buf *saved, int64_t base);
/*
 * Build what a deferred first load left and apply the search index's
 * dirty keys, in a transaction of its own (no transaction may be open):
 * 0 when done or nothing was left, -1 when SQLite failed (rolled back;
 * left for the next call). db_import_owed: whether a
 * db_import_bulk_defer ran on any thread since the last call (and
 * forgets it).
 */
int	 db_import_finish(sqlite3 *);
int	 db_import_owed(void);
/*
 * The search index written behind (schema 11, db.c): db_search_dirty
 * says whether a key waits (1, 0, -1 on an error); db_search_flush
 * applies them all, in the caller's transaction.
 */
int	 db_search_dirty(sqlite3 *);
int	 db_search_flush(sqlite3 *);

/*
 * The metadata columns an apply compares and writes, one bit each in a
 * row's sig (DB_IMPORT_SIG_OF: which of them differ between the stored
 * row alias m and the staged row s), in the order of db_import.c's
 * table. db_import_update writes the staged values of the rows of the
 * scratch set (a temp table of id and sig) that filter keeps into
 * table: each row only its changed columns, plus tail (SQL "col = ...",
 * ?1 is now), one UPDATE per distinct sig (at most DB_IMPORT_SIGS, else
 * every column for all).
 */
#define DB_IMPORT_SIG_OF(m) \
	"((" m ".name IS NOT s.name)" \
	" | ((" m ".provider IS NOT s.provider) << 1)" \
	" | ((" m ".description IS NOT s.description) << 2)" \
	" | ((" m ".context_length IS NOT s.context_length) << 3)" \
	" | ((" m ".prompt_price IS NOT s.prompt_price) << 4)" \
	" | ((" m ".completion_price IS NOT s.completion_price) << 5)" \
	" | ((" m ".features IS NOT s.features) << 6)" \
	" | ((" m ".aliases IS NOT s.aliases) << 7)" \
	" | ((" m ".canonical_slug IS NOT s.canonical_slug) << 8)" \
	" | ((" m ".kind IS NOT s.kind) << 9)" \
	" | ((" m ".prices IS NOT s.prices) << 10)" \
	" | ((" m ".expires_at IS NOT s.expires_at) << 11))"
#define DB_IMPORT_SIGS	64
int	 db_import_update(sqlite3 *, const char *table, const char *set,
	    const char *filter, const char *tail, int64_t now);
/* The pragmas of the import worker's connection (import.c, db_import.c says why). */
int	 db_import_tune(sqlite3 *);

#endif
