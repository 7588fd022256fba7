/* reg_resolve.h: RESOLVE's rule (issue 9): which model an application should use now, for a key or for any service peer. */
#ifndef MODELREG_REG_RESOLVE_H
#define MODELREG_REG_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "reg_keys.h"
#include "settings.h"

struct sessions;

/* A model as RESOLVE answers it. */
struct reg_resolved {
	char	 id[256];
	char	 name[512];
	char	 provider[256];
	char	 kind[16];
	int	 active;
	int64_t	 expires_at;		/* 0: none */
	int64_t	 gen;			/* its generation (model_ids) */
	/* The rest of item 3: what RESOLVE needs to decide and to answer. */
	int	 zdr;			/* 1, 0, or -1 unknown (model_view) */
	char	 health[16];		/* "green" "yellow" "red" "unknown" */
	int	 has_label;
	char	 label[SETTINGS_LABEL_MAX + 1];	/* the organisation's label */
	int	 has_param[SP_COUNT];	/* its default parameters (settings.h) */
	double	 param[SP_COUNT];
	unsigned enforced;		/* bit i: parameter i may not be overridden */
};

enum reg_resolve_rc {
	RES_OK = 0,
	RES_NOTFOUND,		/* ERR notfound: the name never was in the registry */
	RES_DENIED,		/* ERR denied: the key, or the model for the key */
	RES_UNAVAILABLE,	/* ERR unavailable: no default to answer */
	RES_INTERNAL,		/* ERR internal */
	RES_LIMIT,		/* ERR limit: the key's cap is spent (issue 10) */
};

struct reg_resolve_in {
	const char	*model;		/* NULL: the default */
	const char	*secret;	/* key=, NULL: none (any service peer) */
	int64_t		 now;		/* 0: the current time */
	/* The policy, from the config ([resolve] failover, [zdr] enforce). */
	int		 failover;	/* answer a red model's healthy alternative */
	int		 zdr_enforce;	/* never answer a model without ZDR */
	/* Issue 9 item 4: session= (NULL: none) and the live sessions (sessions.h). */
	const char		*session;
	struct sessions		*sessions;
	const struct reg_key	*key;		/* already resolved (reg_resolve_session), else NULL */
};

struct reg_resolve_out {
	struct reg_resolved	 m;		/* the model answered */
	const char		*reason;	/* "requested", "default", "fallback", "failover" */
	const char		*why;		/* fallback: "inactive", "expired", "removed", "no_zdr"; failover: "red"; else NULL */
	int			 has_key;
	struct reg_key		 key;		/* the key used, when has_key */
	char			 replaced[256];	/* failover: the red model's id; else "" */
	char			 warning[512];	/* a red model answered for want of an alternative; else "" */
	/* Issue 9 item 4: what was asked when a session asked for its model; NULL: in->model. */
	const char		*requested;
	char			 asked[256];
	/*
	 * Issue 9 item 7: the earliest instant the answer stops being true
	 * (the model asked for expiring, the key expiring; INT64_MAX for
	 * none), and whether it may not be cached at all (a failover).
	 */
	int64_t			 until;
	int			 nocache;
};

/*
 * RESOLVE [MODEL] [key=SECRET]: the model asked for when it is active,
 * not expired and (with a key) allowed, reason requested; the default
 * when none is asked for (default) or when the one asked for is inactive,
 * expired or was removed (fallback). Never a model the key may not use
 * (reg_key_may_use decides): RES_DENIED with why in msg. With
 * zdr_enforce, a model without ZDR (zdr 0 or unknown) is never answered:
 * the one asked for falls back (why no_zdr), a default without ZDR is
 * RES_UNAVAILABLE, an alternative without it is skipped. With failover,
 * a red model about to be answered is replaced by its first alternative
 * (db_alternatives: the rule of UPTIME's suggestions) that the key may
 * use and, with zdr_enforce, has ZDR (reason failover, why red,
 * replaced its id); when none is left the red model is answered with a
 * warning. Reads only.
 */
/* Write a sanitized message to msg (when not NULL) and return rc: RESOLVE's and the sessions' refusals. */
enum reg_resolve_rc res_msg(enum reg_resolve_rc, char *msg, size_t len,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
enum reg_resolve_rc reg_resolve(sqlite3 *, const struct reg_resolve_in *,
	    struct reg_resolve_out *, char *msg, size_t len);

struct rcache;
/*
 * Issue 9 item 7: the key of secret, usable at now (RES_OK, k set) or
 * RES_DENIED with why, read through rc (NULL: straight from the
 * database) under the write generation gen read before it.
 */
enum reg_resolve_rc reg_resolve_key(sqlite3 *, struct rcache *rc,
	    uint64_t gen, const char *secret, int64_t now, struct reg_key *k,
	    char *msg, size_t len);
/*
 * Its two steps, for a caller that looks up by the digest itself (RESOLVE's
 * answers by digest, resolve_cache.h): the shape and the digest; then the
 * key of a digest, with the instant its secret stops working (*suntil,
 * INT64_MAX for none).
 */
enum reg_resolve_rc reg_resolve_digest(const char *secret,
	    unsigned char h[KEY_HASH_LEN], char *msg, size_t len);
enum reg_resolve_rc reg_resolve_key_digest(sqlite3 *, struct rcache *rc,
	    uint64_t gen, const unsigned char h[KEY_HASH_LEN], int64_t now,
	    struct reg_key *k, int64_t *suntil, char *msg, size_t len);


#endif
