/* reg_keys.h: the rules of API keys (issue 9): create, revoke, rotate, allow, deny, the read side, and the one test of whether a key may use a model. */
#ifndef MODELREG_REG_KEYS_H
#define MODELREG_REG_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "keysecret.h"
#include "registry.h"

#define KEY_NAME_MAX	64	/* [A-Za-z0-9][A-Za-z0-9._-]* */
#define KEY_NOTE_MAX	256
#define KEY_GRANTS_MAX	1000	/* models one key may name */
#define KEY_GRACE_MAX	(30L * 86400)
#define KEY_MODELS_MAX	128	/* models named in one request */

/*
 * A key as the rules see it: everything reg_key_may_use needs besides the
 * grant, so a cache of keys (by digest) can hold these and call the same
 * function. Times are unix seconds, 0 for none.
 */
struct reg_key {
	int64_t	 id;
	char	 name[KEY_NAME_MAX + 1];
	int	 all;			/* --all: every model */
	int64_t	 created_at;
	int64_t	 expires_at;
	int64_t	 last_used_at;
	int64_t	 revoked_at;
	int64_t	 old_until;		/* a rotated-out secret works until then */
	/* Issue 10: its cap is spent until then (reg_caps.c): RESOLVE answers ERR limit. */
	int64_t	 limited_until;
	/*
	 * Issue 11: a key that follows a collection (0: none) may use its
	 * members as they change; its grant generation is then the member's
	 * current one (db_key_grant_gen), 0 when the model is not in it.
	 */
	int64_t	 collection;
	char	 collection_name[64 + 1];
	/*
	 * The rest only KEY LIST and KEY SHOW print: RESOLVE's cache keeps
	 * the part above (REG_KEY_HOT), so a hit copies a few cache lines,
	 * not the 800 bytes of these (a fifth of a hit's time at 100k keys).
	 */
	char	 created_by[257];
	char	 revoked_by[257];
	char	 note[KEY_NOTE_MAX + 1];
};
#define REG_KEY_HOT	offsetof(struct reg_key, created_by)

/*
 * THE rule: may key k use the model whose current generation is
 * model_gen (0: no such model now), given the generation the key's grant
 * for that id was made for (0: the key names no such id)? 1 yes; 0 no,
 * with why ("key app1 is revoked", "... does not allow gpt-4o", ...).
 * Pure: no database, so a cache and the tests call it as RESOLVE does.
 */
int	 reg_key_may_use(const struct reg_key *k, const char *model,
	    int64_t grant_gen, int64_t model_gen, int64_t now, char *why,
	    size_t len);
/*
 * The part of it about the id alone: does k name model at all (--all, a
 * grant, its collection holding it)? RESOLVE asks this of a model it
 * might fall back from: a key may fall back only from a model it was
 * given, whatever that model's state. 1, or 0 with why.
 */
int	 reg_key_names(const struct reg_key *k, const char *model,
	    int64_t grant_gen, char *why, size_t len);
/* The part of it that does not depend on the model: not revoked, not expired. */
int	 reg_key_usable(const struct reg_key *k, int64_t now, char *why,
	    size_t len);

/* Whether a key name is well formed (1..64 of [A-Za-z0-9._-], a letter or digit first). */
int	 reg_key_name_ok(const char *name);

struct reg_key_in {
	const char		*name;
	const char *const	*models;	/* ids or aliases (create, allow, deny) */
	int			 nmodels;
	int			 all;		/* create: --all */
	int64_t			 expires;	/* create: seconds from now, 0 never */
	const char		*note;		/* create: NULL none */
	const char		*collection;	/* create: follow this collection (issue 11); NULL none */
	int64_t			 grace;		/* rotate: seconds the old secret still works */
	const struct actor	*actor;
	int64_t			 now;
};

struct reg_key_out {
	char	 name[KEY_NAME_MAX + 1];
	char	 secret[KEY_SECRET_LEN + 1];	/* create, rotate: shown once; wipe it */
	int64_t	 expires_at;
	int64_t	 old_until;		/* rotate: when the old secret stops */
	int	 changed;		/* allow, deny: models added or removed */
};

enum reg_rc reg_key_create(sqlite3 *, const struct reg_key_in *,
	    struct reg_key_out *, char *msg, size_t len);
enum reg_rc reg_key_revoke(sqlite3 *, const struct reg_key_in *,
	    struct reg_key_out *, char *msg, size_t len);
enum reg_rc reg_key_rotate(sqlite3 *, const struct reg_key_in *,
	    struct reg_key_out *, char *msg, size_t len);
enum reg_rc reg_key_allow(sqlite3 *, const struct reg_key_in *,
	    struct reg_key_out *, char *msg, size_t len);
enum reg_rc reg_key_deny(sqlite3 *, const struct reg_key_in *,
	    struct reg_key_out *, char *msg, size_t len);

/*
 * The read side: each key (by name, or all of them in name order) with
 * its grants as comma lists: models (reachable) and gone (deleted, or
 * since replaced by another model of that id). cb returns non-zero to
 * stop; the pointers live during the call.
 */
typedef int (*reg_key_cb)(const struct reg_key *, const char *models,
	    const char *gone, void *arg);
enum reg_rc reg_key_show(sqlite3 *, const char *name, int64_t now,
	    reg_key_cb, void *arg, char *msg, size_t len);
enum reg_rc reg_key_list(sqlite3 *, int64_t now, reg_key_cb, void *arg,
	    char *msg, size_t len);

#endif
