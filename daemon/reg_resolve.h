/* reg_resolve.h: RESOLVE's rule (issue 9): which model an application should use now, for a key or for any service peer. */
#ifndef MODELREG_REG_RESOLVE_H
#define MODELREG_REG_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "reg_keys.h"

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
};

enum reg_resolve_rc {
	RES_OK = 0,
	RES_NOTFOUND,		/* ERR notfound: the name never was in the registry */
	RES_DENIED,		/* ERR denied: the key, or the model for the key */
	RES_UNAVAILABLE,	/* ERR unavailable: no default to answer */
	RES_INTERNAL,		/* ERR internal */
};

struct reg_resolve_in {
	const char	*model;		/* NULL: the default */
	const char	*secret;	/* key=, NULL: none (any service peer) */
	int64_t		 now;		/* 0: the current time */
	/* Issue 9 item 4: session= (NULL: none) and the live sessions (sessions.h). */
	const char		*session;
	struct sessions		*sessions;
	const struct reg_key	*key;		/* already resolved (reg_resolve_session), else NULL */
};

struct reg_resolve_out {
	struct reg_resolved	 m;		/* the model answered */
	const char		*reason;	/* "requested", "default", "fallback" */
	const char		*why;		/* fallback: "inactive", "expired", "removed"; else NULL */
	int			 has_key;
	struct reg_key		 key;		/* the key used, when has_key */
	/* Issue 9 item 4: what was asked when a session asked for its model; NULL: in->model. */
	const char		*requested;
	char			 asked[256];
};

/*
 * RESOLVE [MODEL] [key=SECRET]: the model asked for when it is active,
 * not expired and (with a key) allowed, reason requested; the default
 * when none is asked for (default) or when the one asked for is inactive,
 * expired or was removed (fallback). Never a model the key may not use
 * (reg_key_may_use decides): RES_DENIED with why in msg. Reads only.
 */
enum reg_resolve_rc reg_resolve(sqlite3 *, const struct reg_resolve_in *,
	    struct reg_resolve_out *, char *msg, size_t len);

/* Record that key was used at now, at most once a minute (one UPDATE then): 0 or -1. */
int	 reg_key_touch(sqlite3 *, const struct reg_key *, int64_t now);
#define KEY_TOUCH_EVERY	60

#endif
