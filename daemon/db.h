/* db.h: the SQLite database layer: open, transactions and state (db.c), the models table (db_models.c) and the audit row (db_audit.c). */
#ifndef MODELREG_DB_H
#define MODELREG_DB_H

#include <stdint.h>
#include <sqlite3.h>

/* Feature badges, stored as a bit set in models.features. */
#define FEAT_STREAMING	0x01
#define FEAT_VISION	0x02
#define FEAT_REASONING	0x04
#define FEAT_TOOLS	0x08

/*
 * Open (creating if needed) the database at path: WAL, foreign_keys=ON,
 * synchronous=FULL (an answered OK survives power loss), busy_timeout
 * 5000 ms, then migrate the schema forward to the current user_version.
 * A database from a newer modelreg (user_version too high) is refused.
 * Returns NULL (and logs why) on failure. ":memory:" works, for tests.
 */
sqlite3	*db_open(const char *path);
/*
 * Issue 11: set SQLite's process-wide options, before anything else
 * calls SQLite (main, first thing): no memory statistics. 0, or -1 when
 * SQLite was already initialized (then nothing changes).
 */
int	 db_library_init(void);
/*
 * The write generation (issue 8): moved by every commit on every
 * connection db_open opened, in any thread; 0 when it cannot be trusted
 * (a database not in WAL mode): then nothing may be cached. Read the
 * generation before a read, and keep what the read gave under it.
 */
uint64_t db_generation(void);
void	 db_generation_bump(void);	/* for a change made outside SQLite */
/* Issue 9: commits of this thread between quiet(1) and quiet(0) do not move it (RESOLVE's batch writer). */
void	 db_generation_quiet(int);
/*
 * An import's connection records the WAL's size at each commit
 * (*pages) instead of checkpointing; db_checkpoint_due says whether it
 * is large enough for db_checkpoint (PASSIVE) to be worth a job; while
 * held, no connection checkpoints in its commit (db.c says why).
 */
void	 db_checkpoint_defer(sqlite3 *, int *pages);
int	 db_checkpoint_due(int pages);
int	 db_checkpoint(sqlite3 *);
void	 db_checkpoint_hold(int);
void	 db_close(sqlite3 *);		/* finalizes every statement first */
int	 db_schema_version(sqlite3 *);

/* Transactions. begin is BEGIN IMMEDIATE. Each returns 0 or -1 (logged). */
int	 db_begin(sqlite3 *);
int	 db_commit(sqlite3 *);
void	 db_rollback(sqlite3 *);

/* Small key/value state (seeded_at, ...). value NULL deletes. */
int	 db_state_set(sqlite3 *, const char *key, const char *value);
char	*db_state_get(sqlite3 *, const char *key);	/* caller frees; NULL if absent */

/*
 * The models' SQL (db_models.c), for the rule files (reg_*.c): handlers
 * and sources call rules, not these. Functions that write run
 * inside the caller's transaction.
 * Unless said otherwise they return 0, or -1 when SQLite failed (logged).
 */
#include <sys/types.h>

struct model;
struct list_query;
struct page_cursor;
struct actor;
typedef int (*db_model_cb)(const struct model *, void *arg);	/* non-zero stops */

/* A model's id and the state the rules look at. */
struct db_modelref {
	char	 id[256];	/* ids are 1..255 bytes, by the schema */
	int	 active;
	int	 is_default;
};

/* A user's name -> model: exact id, else the model listing it as an alias. 0, 1 none, -1. */
int	 db_model_resolve(sqlite3 *, const char *name, struct db_modelref *);
int	 db_model_lookup(sqlite3 *, const char *id, struct db_modelref *);	/* exact id only */
int	 db_model_default(sqlite3 *, struct db_modelref *);	/* 0, 1 no default, -1 */
int	 db_model_set_status(sqlite3 *, const char *id, int active,
	    const char *source, int64_t now);
/* Why the daemon set the status ("zdr_held"); set_status clears it. */
int	 db_model_set_status_reason(sqlite3 *, const char *id, const char *reason);
/* The mark itself: only reg_default_make (the default's rule) moves it. */
int	 db_model_clear_default(sqlite3 *);
int	 db_model_set_default(sqlite3 *, const char *id);
/* Writes the audit row (old: the whole row as JSON), then deletes. */
int	 db_model_delete(sqlite3 *, const char *id, int64_t now, const struct actor *);
/* Read side: cb gets each row. show resolves name like db_model_resolve: 0, 1 none, -1. */
int	 db_model_show(sqlite3 *, const char *name, db_model_cb, void *);
int	 db_model_show_default(sqlite3 *, db_model_cb, void *);	/* 0, 1 none, -1 */
int	 db_models_list(sqlite3 *, const struct list_query *, db_model_cb, void *);
/*
 * LIST as a cursor (issue 8, reg_cursor.c): the statement of one phase's
 * rows (at most limit, 0: all) or (count) of their number, prepared and
 * bound (q's strings and cursor must outlive it), and one row at a time
 * into m: 1, 0 at the end, -1. A page after a cursor may take two phases
 * (db_list_phases: 1 or 2). db_page_cursor_model: the cursor after m (0,
 * -1 when its sort key does not fit one).
 */
/*
 * Which index finds a streamed reply's rows (reg_cursor.c chooses):
 * the filter's (provider, status, kind, search), sorting what it keeps,
 * or the sort key's, testing the filters row by row.
 */
enum db_plan {
	DB_PLAN_FILTER,
	DB_PLAN_SORT,
};
sqlite3_stmt *db_models_list_stmt(sqlite3 *, const struct list_query *,
	    int count, int phase, int limit, enum db_plan);
int	 db_list_phases(const struct page_cursor *after);
int	 db_page_cursor_model(struct page_cursor *, const struct list_query *,
	    const struct model *);
int	 db_models_step(sqlite3 *, sqlite3_stmt *, struct model *);
/* Issue 11: the ids LIST would give for q's filters into temp.batch_sel (db_tags.h); 0, -1. */
int	 db_models_select(sqlite3 *, const struct list_query *);
/* Issue 11: delete the models marked in temp.batch_sel, audited as DELETE audits one; 0, -1. */
int	 db_models_delete_sel(sqlite3 *, int64_t now, const struct actor *);
/*
 * A read-only connection to the registry at path, for a reply streamed
 * from one snapshot (reg_cursor.c): WAL lets it read while md.db writes.
 * NULL (logged) on failure; close with sqlite3_close.
 */
sqlite3 *db_open_reader(const char *path);
int	 db_model_counts(sqlite3 *, int64_t *models, int64_t *active);
/* One audit row (db_audit.c); reading the log is db_audit.h's. */
int	 db_audit(sqlite3 *, int64_t at, const struct actor *, const char *action,
	    const char *model, const char *field, const char *oldv, const char *newv);

/*
 * The stand-ins for the exact id (db_alternatives.c): active, of its kind
 * (a chat model when for_default), not expired at now, not red, every
 * feature of id, at least its context, cheapest first then by id; relax
 * (REG_RELAX_*) gives criteria up. Up to max ids; the count, or -1.
 */
int	 db_alternatives(sqlite3 *, const char *id, int64_t now, unsigned relax,
	    int for_default, char (*ids)[256], int max);
/* A model's kind and expiry (0: none), by exact id: 0, 1 none, -1. */
int	 db_model_kind(sqlite3 *, const char *id, char *kind, size_t klen,
	    int64_t *expires_at);
/* Set key only if it is absent (INSERT OR IGNORE). */
int	 db_state_set_once(sqlite3 *, const char *key, const char *value);

#endif
