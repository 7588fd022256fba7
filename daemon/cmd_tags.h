/* cmd_tags.h: what the handlers of issue 11 share between cmd_tags.c (TAG, COLLECTION), cmd_batch.c (BATCH, SWITCH) and cmd_history.c. */
#ifndef MODELREG_CMD_TAGS_H
#define MODELREG_CMD_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "reg_tags.h"

struct actor;

/* The client as the actor of a change (source "manual"). */
void	 cmd_tags_actor(struct cmd_ctx *, struct actor *);
/* Stream items after the summary record in ctx->out (members: COLLECTION SHOW's form); moves them out of *items. */
enum cmd_ret cmd_items_reply(struct cmd_ctx *, struct reg_items *, int members);
/* COLLECTION SWITCH (cmd_batch.c), called by COLLECTION's dispatcher with the parsed request. */
struct coll_args;
enum cmd_ret cmd_coll_switch(struct cmd_ctx *, const struct coll_args *,
	    struct actor *);

/*
 * For the jobs on the import worker (cmd_batch.c, cmd_history.c): the
 * live sessions per model copied at the start (the loop's change under
 * RESOLVE), looked up by live_count(id, set); s copied into *slot (NULL
 * stays NULL; 0, -1); a deferred client answered with what a handler
 * returned into ctx (ctx->out: out).
 */
struct sessions;
struct client;
struct live_model {
	char	*id;
	size_t	 n;
};
struct live_set {
	struct live_model	*v;
	size_t			 n, alloc;
};
int	 live_set_copy(struct live_set *, struct sessions *, int64_t now);
size_t	 live_count(const char *id, void *set);
void	 live_set_free(struct live_set *);
int	 batch_dup(char **slot, const char *s);
void	 job_answer(struct client *, struct cmd_ctx *, struct buf *out,
	    enum cmd_ret);

#endif
