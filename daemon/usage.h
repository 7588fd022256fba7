/* usage.h: USAGE's group commit in the daemon (issue 10 item 1): reports queue as they arrive and one transaction a turn of the loop commits them all before any is answered. */
#ifndef MODELREG_USAGE_H
#define MODELREG_USAGE_H

#include <stdint.h>

#include "buf.h"
#include "reg_usage.h"

struct client;

void	 usage_init(void);
/* Commit what is queued (the import worker has stopped), answer it, free it all. */
void	 usage_shutdown(void);
/* Queue one report for the next group commit; its reply is c's next queued place. 0, or -1 (out of memory). */
int	 usage_queue(struct client *c, const struct usage_report *);

/* SHOW's and KEY SHOW's fields of the current period (the UTC calendar month): 0 or -1. */
int	 usage_model_append(struct buf *, const char *model);	/* takes the record's LF off and puts it back */
int	 usage_key_fields(struct buf *, int64_t key);
/* STATUS: reports committed and refused since start, groups committed. */
int	 usage_status(struct buf *);

#endif
