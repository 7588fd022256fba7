/* reg_zdr.h: the ZDR rules: apply an endpoint list (losses, removal when enforced, the hold that deactivates, reactivation), the held response. */
#ifndef MODELREG_REG_ZDR_H
#define MODELREG_REG_ZDR_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "db_zdr.h"	/* struct zdr_stats, struct zdr_loss */
#include "registry.h"

struct cfg_list;

/*
 * Apply a ZDR endpoint list in one transaction, or nothing:
 *  - the list is in->body (parsed here), the list applied last for a 304
 *    (compared with the models again: a catalog refresh may have changed
 *    their slugs), or the held response (refresh zdr --force);
 *  - an empty list proves nothing and is refused;
 *  - the synced models that had ZDR and that the list does not name are
 *    the losses (out->losses). When enforced, the guard holds a list that
 *    would remove more than max_remove percent of the synced models with
 *    ZDR (unless in->force): the response is kept in the database, and
 *    the active models it would remove are deactivated (status_reason
 *    zdr_held, audited, model.deactivated), the default last, after its
 *    mark moved by reg_default_reassign. Only when this response is not
 *    the one already held: a person who activated one of them since has
 *    decided. out->held is 1;
 *  - else the models the hold deactivated that the list names again are
 *    reactivated (model.activated), the list replaces the old one, each
 *    loss raises model.zdr_lost and, when enforced, is removed
 *    (model.removed, the row audited): the others first, then the
 *    default, after its mark moved by reg_default_reassign (so none of
 *    the models removed can be picked).
 * msg is the one-line outcome. REG_OK (applied or held: out->held),
 * REG_USAGE (the response is not a usable list: nothing changed),
 * REG_NOTFOUND (in->from is REG_ZDR_HELD and nothing is held),
 * REG_INTERNAL. The events commit with the change; events_notify() is
 * called. Free out with reg_zdr_out_free(), whatever the result.
 */
struct reg_zdr_settings {
	int			 enforce;	/* [zdr] enforce */
	int			 max_remove;	/* [zdr] max_remove, percent */
	const struct cfg_list	*fallback;	/* [defaults] fallback; may be NULL */
};
enum reg_zdr_from {
	REG_ZDR_BODY = 0,	/* a response fetched: body, len, etag */
	REG_ZDR_UNCHANGED,	/* a 304: the list applied last */
	REG_ZDR_HELD,		/* the held response */
};
struct reg_zdr_in {
	enum reg_zdr_from	 from;
	const char		*body;		/* REG_ZDR_BODY */
	size_t			 len;
	/* The ETag of the list judged (for a 304, of the list applied last), kept with a hold; NULL none. */
	const char		*etag;
	int			 endpoints;	/* REG_ZDR_UNCHANGED: the endpoints the list applied had */
	int			 force;		/* refresh zdr --force: the guard does not hold */
	int64_t			 now;
	const struct actor	*actor;
	int			 notify_later;	/* off the loop (import.c): the caller calls events_notify() */
};
struct reg_zdr_out {
	int		 held;		/* the guard held the response */
	int		 deactivated;	/* models the hold deactivated now */
	struct zdr_stats stats;		/* of the list */
	int64_t		 with_zdr;	/* synced models that had ZDR */
	struct zdr_loss	*losses;	/* those the list does not name; reg_zdr_out_free frees */
	size_t		 nlosses;
	int		 removed;	/* models removed (enforced, not held) */
	int		 relisted;	/* models reactivated */
	int		 default_moved;	/* the default lost ZDR (removed, or held) and its mark moved */
	char		 old_default[256];	/* when default_moved */
	char		 new_default[256];	/* "" when no active chat model was left */
	int		 new_etag;	/* a list was applied whole: etag is its ETag ("" none) */
	char		 etag[1100];
};
enum reg_rc reg_zdr_apply(sqlite3 *, const struct reg_zdr_settings *,
	    const struct reg_zdr_in *, struct reg_zdr_out *, char *msg,
	    size_t len);
void	 reg_zdr_out_free(struct reg_zdr_out *);

/* Is a ZDR response held? 1 (msg, may be NULL: why), 0, -1. */
int	 reg_zdr_held(sqlite3 *, char *msg, size_t len);
/* Forget the held response (the [zdr] url changed). 0, or -1 (logged). */
int	 reg_zdr_forget_held(sqlite3 *);

#endif
