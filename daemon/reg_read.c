/* reg_read.c: the read side the handlers use: LIST, SHOW, the default, the counts, AUDIT and EVENTS. Nothing here writes. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "db_audit.h"
#include "db_events.h"
#include "registry.h"
#include "reg_int.h"

enum reg_rc
reg_list(sqlite3 *db, const struct list_query *q, reg_model_cb cb, void *arg)
{
	switch (q->status) {
	case RS_ALL:
	case RS_ACTIVE:
	case RS_INACTIVE:
		break;
	default:
		return REG_USAGE;
	}
	switch (q->sort) {
	case SORT_NAME:
	case SORT_PROVIDER:
	case SORT_CONTEXT:
	case SORT_PRICE:
	case SORT_STATUS:
		break;
	default:
		return REG_USAGE;
	}
	return db_models_list(db, q, cb, arg) == -1 ? REG_INTERNAL : REG_OK;
}

enum reg_rc
reg_show(sqlite3 *db, const char *name, reg_model_cb cb, void *arg)
{
	switch (db_model_show(db, name, cb, arg)) {
	case 0:
		return REG_OK;
	case 1:
		return REG_NOTFOUND;
	default:
		return REG_INTERNAL;
	}
}

uint64_t
reg_generation(void)
{
	return db_generation();
}

enum reg_rc
reg_default(sqlite3 *db, reg_model_cb cb, void *arg)
{
	switch (db_model_show_default(db, cb, arg)) {
	case 0:
		return REG_OK;
	case 1:
		return REG_NOTFOUND;
	default:
		return REG_INTERNAL;
	}
}

enum reg_rc
reg_counts(sqlite3 *db, struct reg_counts *c)
{
	struct db_modelref	 ref;
	char			*s, *end;
	long long		 v;
	int			 r;

	memset(c, 0, sizeof(*c));
	if (db_model_counts(db, &c->models, &c->active) == -1)
		return REG_INTERNAL;
	if ((r = db_model_default(db, &ref)) == -1)
		return REG_INTERNAL;
	if (r == 0)
		snprintf(c->default_id, sizeof(c->default_id), "%s", ref.id);
	if ((s = db_state_get(db, "seeded_at")) != NULL) {
		v = strtoll(s, &end, 10);
		if (end != s && *end == '\0' && v > 0)
			c->seeded_at = v;
		free(s);
	}
	return REG_OK;
}

enum reg_rc
reg_audit_list(sqlite3 *db, const struct db_audit_query *q,
    int (*cb)(const struct db_audit_row *, void *), void *arg)
{
	if (q->limit < 1)
		return REG_USAGE;
	return db_audit_list(db, q, cb, arg) == -1 ? REG_INTERNAL : REG_OK;
}

enum reg_rc
reg_events_list(sqlite3 *db, const struct db_event_query *q,
    int (*cb)(const struct db_event *, void *), void *arg)
{
	if (q->limit < 1)
		return REG_USAGE;
	return db_events_list(db, q, cb, arg) == -1 ? REG_INTERNAL : REG_OK;
}

int
reg_parse_status_filter(const char *s, enum reg_status_filter *f)
{
	if (strcasecmp(s, "all") == 0)
		*f = RS_ALL;
	else if (strcasecmp(s, "active") == 0)
		*f = RS_ACTIVE;
	else if (strcasecmp(s, "inactive") == 0)
		*f = RS_INACTIVE;
	else
		return -1;
	return 0;
}

int
reg_parse_sort(const char *s, enum reg_sort *k)
{
	if (strcasecmp(s, "name") == 0)
		*k = SORT_NAME;
	else if (strcasecmp(s, "provider") == 0)
		*k = SORT_PROVIDER;
	else if (strcasecmp(s, "context") == 0)
		*k = SORT_CONTEXT;
	else if (strcasecmp(s, "price") == 0)
		*k = SORT_PRICE;
	else if (strcasecmp(s, "status") == 0)
		*k = SORT_STATUS;
	else
		return -1;
	return 0;
}
