/* output_json.c: modelregctl's JSON renderers: records as objects and arrays with typed fields, for scripts. */
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "ctl.h"

static void
out_json_strval(struct buf *b, const struct lf_pair *p)
{
	if (p == NULL || p->isnull)
		buf_puts(b, "null");
	else
		out_json_string(b, p->value, p->vlen);
}

static void
out_json_numval(struct buf *b, const struct lf_pair *p)
{
	if (p == NULL || p->isnull || !out_is_json_number(p->value, p->vlen))
		buf_puts(b, "null");
	else
		buf_append(b, p->value, p->vlen);
}

static void
out_json_boolval(struct buf *b, const struct lf_pair *p)
{
	buf_puts(b, p != NULL && !p->isnull && strcmp(p->value, "true") == 0 ?
	    "true" : "false");
}

/* A comma-separated list as an array of strings; empty elements are dropped. */
static void
out_json_listval(struct buf *b, const struct lf_pair *p)
{
	size_t	 i, start;
	int	 first = 1;

	buf_putc(b, '[');
	for (i = start = 0; p != NULL && !p->isnull && i <= p->vlen; i++) {
		if (i < p->vlen && p->value[i] != ',')
			continue;
		if (i > start) {
			if (!first)
				buf_puts(b, ", ");
			out_json_string(b, p->value + start, i - start);
			first = 0;
		}
		start = i + 1;
	}
	buf_putc(b, ']');
}

/*
 * J_TRI: true, false or null. J_JSON: a JSON text embedded as it is when
 * valid, else as a string.
 */
enum jtype { J_STR, J_NUM, J_BOOL, J_LIST, J_AUTO, J_TRI, J_JSON, J_PRICES,
    J_PARAMS };

struct jfield {
	const char	*key;
	enum jtype	 type;
};

static const struct jfield out_model_fields[] = {
	{ "id",			J_STR },
	{ "name",		J_STR },
	{ "provider",		J_STR },
	{ "status",		J_STR },
	{ "default",		J_BOOL },
	{ "context_length",	J_NUM },
	{ "prompt_price",	J_NUM },
	{ "completion_price",	J_NUM },
	{ "features",		J_LIST },
	{ "aliases",		J_LIST },
	{ "description",	J_STR },
	{ "status_source",	J_STR },
	{ "status_reason",	J_STR },
	{ "added_at",		J_STR },
	{ "status_changed_at",	J_STR },
	{ "last_seen_at",	J_STR },
	{ "canonical_slug",	J_STR },
	{ "zdr",		J_TRI },
	{ "delisted",		J_BOOL },
	{ "health",		J_STR },
	{ "uptime_30m",		J_NUM },
	{ "kind",		J_STR },
	{ "prices",		J_PRICES },
	{ "expires_at",		J_STR },
	/* Issue 9: the organisation's settings. */
	{ "label",		J_STR },
	{ "org_aliases",	J_LIST },
	{ "params",		J_PARAMS },	/* the param.NAME= pairs */
	{ "enforced",		J_LIST },
	{ "tags",		J_LIST },	/* issue 11 */
	/* Issue 9 item 4: live sessions, and RESOLVE's answers per reason. */
	{ "sessions",		J_NUM },
	{ "resolves_requested",	J_NUM },
	{ "resolves_default",	J_NUM },
	{ "resolves_fallback",	J_NUM },
	{ "resolves_failover",	J_NUM },
	/* Issue 10 item 2: the model's spending cap. */
	{ "cap",		J_NUM },
	{ "cap_period",		J_STR },
	{ "cap_spent",		J_NUM },
	{ "cap_remaining",	J_NUM },
	{ "cap_period_end",	J_STR },
	/* Issue 10: the usage of this month (UTC), in SHOW only. */
	{ "usage_period",	J_STR },
	{ "usage_requests",	J_NUM },
	{ "usage_prompt_tokens", J_NUM },
	{ "usage_completion_tokens", J_NUM },
	{ "usage_cost_usd",	J_NUM },
};

static const struct jfield out_catalog_fields[] = {
	{ "id",			J_STR },
	{ "name",		J_STR },
	{ "provider",		J_STR },
	{ "canonical_slug",	J_STR },
	{ "context_length",	J_NUM },
	{ "prompt_price",	J_NUM },
	{ "completion_price",	J_NUM },
	{ "features",		J_LIST },
	{ "aliases",		J_LIST },
	{ "zdr",		J_TRI },
	{ "synced",		J_BOOL },
	{ "first_seen",		J_STR },
	{ "last_seen",		J_STR },
	{ "description",	J_STR },
	{ "kind",		J_STR },
	{ "prices",		J_PRICES },
	{ "expires_at",		J_STR },
};

static const struct jfield out_uptime_fields[] = {
	{ "id",			J_STR },
	{ "window",		J_STR },
	{ "samples",		J_NUM },
	{ "green_share",	J_NUM },
	{ "mean_uptime",	J_NUM },
	{ "incidents",		J_NUM },
	{ "health",		J_STR },
	{ "uptime_30m",		J_NUM },
	{ "last_sample_at",	J_STR },
};

static const struct jfield out_event_fields[] = {
	{ "id",			J_NUM },
	{ "at",			J_STR },
	{ "kind",		J_STR },
	{ "model",		J_STR },
	{ "message",		J_STR },
	{ "details",		J_JSON },
};

static const struct jfield out_audit_fields[] = {
	{ "at",			J_STR },
	{ "actor",		J_STR },
	{ "uid",		J_NUM },
	{ "action",		J_STR },
	{ "model",		J_STR },
	{ "field",		J_STR },
	{ "old",		J_STR },
	{ "new",		J_STR },
};

/* Issue 11 item 5: a history row (HISTORY); the numbers are numbers, a missing default or undo null. */
static const struct jfield out_history_fields[] = {
	{ "id",			J_NUM },
	{ "at",			J_STR },
	{ "user",		J_STR },
	{ "uid",		J_NUM },
	{ "action",		J_STR },
	{ "selection",		J_STR },
	{ "changed",		J_NUM },
	{ "skipped",		J_NUM },
	{ "models",		J_NUM },
	{ "default_before",	J_STR },
	{ "default_after",	J_STR },
	{ "undo_of",		J_NUM },
	{ "undone_by",		J_NUM },
};

/* Issue 9: a key (KEY LIST, SHOW), and the reply of a change (its secret once). */
static const struct jfield out_key_fields[] = {
	{ "name",		J_STR },
	{ "status",		J_STR },
	{ "all",		J_BOOL },
	{ "collection",		J_STR },	/* issue 11 */
	{ "models",		J_LIST },
	{ "gone",		J_LIST },
	{ "created_at",		J_STR },
	{ "created_by",		J_STR },
	{ "expires_at",		J_STR },
	{ "last_used_at",	J_STR },
	{ "revoked_at",		J_STR },
	{ "revoked_by",		J_STR },
	{ "old_secret_until",	J_STR },
	{ "note",		J_STR },
	/* Issue 9 item 4: RESOLVE's answers for the key, per reason. */
	{ "resolves_requested",	J_NUM },
	{ "resolves_default",	J_NUM },
	{ "resolves_fallback",	J_NUM },
	{ "resolves_failover",	J_NUM },
	/* Issue 10 item 2: the key's spending cap. */
	{ "cap",		J_NUM },
	{ "cap_period",		J_STR },
	{ "cap_spent",		J_NUM },
	{ "cap_remaining",	J_NUM },
	{ "cap_period_end",	J_STR },
	/* Issue 10: the usage reported with the key this month (UTC). */
	{ "usage_period",	J_STR },
	{ "usage_requests",	J_NUM },
	{ "usage_prompt_tokens", J_NUM },
	{ "usage_completion_tokens", J_NUM },
	{ "usage_cost_usd",	J_NUM },
};

/* Issue 10: a cap's record (CAP LIST, SHOW, SET). */
static const struct jfield out_cap_fields[] = {
	{ "target",		J_STR },
	{ "model",		J_STR },
	{ "key",		J_STR },
	{ "amount",		J_NUM },
	{ "period",		J_STR },
	{ "warn",		J_NUM },
	{ "spent",		J_NUM },
	{ "remaining",		J_NUM },
	{ "period_start",	J_STR },
	{ "period_end",		J_STR },
	{ "warned",		J_BOOL },
	{ "exceeded",		J_BOOL },
	{ "deactivated",	J_BOOL },
	{ "set_at",		J_STR },
	{ "set_by",		J_STR },
};

/* Issue 9: RESOLVE's record. */
static const struct jfield out_resolve_fields[] = {
	{ "id",			J_STR },
	{ "name",		J_STR },
	{ "label",		J_STR },
	{ "provider",		J_STR },
	{ "kind",		J_STR },
	{ "params",		J_PARAMS },	/* the param.NAME= pairs */
	{ "enforced",		J_LIST },
	{ "reason",		J_STR },
	{ "requested",		J_STR },
	{ "why",		J_STR },
	{ "replaced",		J_STR },
	{ "warning",		J_STR },
	{ "key_name",		J_STR },
};

static const struct jfield out_refresh_fields[] = {
	{ "source",		J_STR },
	{ "outcome",		J_STR },
	{ "message",		J_STR },
};

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

/* Types of the keys of the other records; a key not listed is J_AUTO. */
static const struct {
	const char	*key;
	enum jtype	 type;
} out_record_types[] = {
	{ "delivered", J_NUM }, { "failed", J_NUM }, { "pending", J_NUM },
	{ "held", J_STR }, { "outcome", J_STR }, { "alert", J_STR },
	{ "uid", J_NUM }, { "gid", J_NUM }, { "pid", J_NUM },
	{ "models", J_NUM }, { "active", J_NUM }, { "failures", J_NUM },
	{ "items", J_NUM }, { "protocol", J_NUM }, { "added", J_NUM },
	{ "updated", J_NUM }, { "activated", J_NUM }, { "deactivated", J_NUM },
	{ "clients", J_NUM }, { "unread_bytes", J_NUM }, { "warnings", J_STR }, { "socket", J_STR },
	{ "id", J_STR }, { "name", J_STR }, { "user", J_STR }, { "role", J_STR },
	{ "version", J_STR }, { "config", J_STR }, { "state", J_STR },
	{ "format", J_STR }, { "source", J_STR }, { "message", J_STR },
	{ "last_error", J_STR }, { "previous", J_STR }, { "status", J_STR },
	{ "sqlite", J_STR }, { "libevent", J_STR }, { "curl", J_STR },
	{ "started_at", J_STR }, { "seeded_at", J_STR }, { "last_ok", J_STR },
	{ "last_attempt", J_STR }, { "next_run", J_STR }, { "default", J_STR },
	{ "changes", J_NUM },	/* set and unset (issue 9) */
	/* Issue 11: tag, batches, switches, collections. */
	{ "removed", J_NUM }, { "selected", J_NUM }, { "changed", J_NUM },
	{ "unchanged", J_NUM }, { "refused", J_NUM }, { "skipped", J_NUM },
	{ "batch", J_NUM }, { "applied", J_BOOL }, { "dry_run", J_BOOL },
	{ "pong", J_BOOL }, { "default_set", J_BOOL },
	{ "undo_of", J_NUM },	/* issue 11 item 5: UNDO's reply */
	{ "history", J_NUM },	/* and IMPORT's: its history row, or null */
	{ "socket_activated", J_BOOL },
};

static void
out_json_value(struct buf *b, const struct lf_pair *p, enum jtype t)
{
	switch (t) {
	case J_STR:
		out_json_strval(b, p);
		break;
	case J_NUM:
		out_json_numval(b, p);
		break;
	case J_BOOL:
		out_json_boolval(b, p);
		break;
	case J_LIST:
		out_json_listval(b, p);
		break;
	case J_TRI:
		if (p == NULL || p->isnull)
			buf_puts(b, "null");
		else
			out_json_boolval(b, p);
		break;
	case J_JSON:
		if (p == NULL || p->isnull || !out_json_copy(b, p->value, p->vlen))
			out_json_strval(b, p);
		break;
	case J_PRICES:
		/* Always an object: {} when absent or not one (an older daemon). */
		if (p == NULL || p->isnull || p->vlen == 0 ||
		    p->value[0] != '{' || !out_json_copy(b, p->value, p->vlen))
			buf_puts(b, "{}");
		break;
	case J_PARAMS:
		/* out_fields_object writes it from the whole record. */
		buf_puts(b, "{}");
		break;
	case J_AUTO:
		if (p != NULL && !p->isnull && (strcmp(p->value, "true") == 0 ||
		    strcmp(p->value, "false") == 0))
			buf_puts(b, p->value);
		else
			out_json_strval(b, p);
		break;
	}
}

/* Issue 9: {"temperature": 0.3, ...} from a record's param.NAME= pairs. */
static void
out_json_params(struct buf *b, const struct record *r)
{
	int	 i, j, first = 1, dup;

	buf_putc(b, '{');
	for (i = 0; i < r->n; i++) {
		const struct lf_pair *p = &r->pairs[i];

		if (strncmp(p->key, "param.", 6) != 0 || p->key[6] == '\0')
			continue;
		for (dup = 0, j = 0; j < i && !dup; j++)
			dup = strcmp(r->pairs[j].key, p->key) == 0;
		if (dup)
			continue;
		if (!first)
			buf_puts(b, ", ");
		first = 0;
		out_json_string(b, p->key + 6, strlen(p->key + 6));
		buf_puts(b, ": ");
		out_json_numval(b, p);
	}
	buf_putc(b, '}');
}

/* An object of the fields listed, in their order; a missing key is null. */
static void
out_fields_object(struct buf *b, const struct record *r,
    const struct jfield *fields, size_t nfields)
{
	size_t	 i;

	buf_putc(b, '{');
	for (i = 0; i < nfields; i++) {
		if (i > 0)
			buf_puts(b, ", ");
		buf_printf(b, "\"%s\": ", fields[i].key);
		if (fields[i].type == J_PARAMS)
			out_json_params(b, r);
		else
			out_json_value(b, record_pair(r, fields[i].key),
			    fields[i].type);
	}
	buf_putc(b, '}');
}

static void
out_model_object(struct buf *b, const struct record *r)
{
	out_fields_object(b, r, out_model_fields, NFIELDS(out_model_fields));
}

/* An array of objects, one per record, one per line. */
static void
out_fields_array(const struct record *recs, int n, const struct jfield *fields,
    size_t nfields)
{
	struct buf	 b = { 0 };
	int		 i;

	if (n == 0) {
		printf("[]\n");
		return;
	}
	buf_puts(&b, "[\n");
	for (i = 0; i < n; i++) {
		buf_puts(&b, "  ");
		out_fields_object(&b, &recs[i], fields, nfields);
		buf_puts(&b, i + 1 < n ? ",\n" : "\n");
	}
	buf_puts(&b, "]\n");
	out_flush(&b);
}

/*
 * COLLECTION SHOW's member (issue 11): "default" is whether the member is
 * the default, a boolean; out_record_types has it a string for STATUS's
 * and a switch's default, which are a model id.
 */
static const struct jfield out_member_fields[] = {
	{ "id",			J_STR },
	{ "status",		J_STR },
	{ "default",		J_BOOL },
};

void
out_member_object(struct buf *b, const struct record *r)
{
	out_fields_object(b, r, out_member_fields, NFIELDS(out_member_fields));
}

/* Every pair of a record but skip, typed by key; the first of a repeated key wins. */
void
out_record_object(struct buf *b, const struct record *r, const char *skip)
{
	enum jtype	 t;
	size_t		 k;
	int		 i, j, first = 1, dup;

	buf_putc(b, '{');
	for (i = 0; i < r->n; i++) {
		const struct lf_pair *p = &r->pairs[i];

		for (dup = 0, j = 0; j < i && !dup; j++)
			dup = strcmp(r->pairs[j].key, p->key) == 0;
		if (dup || (skip != NULL && strcmp(p->key, skip) == 0))
			continue;
		t = J_AUTO;
		for (k = 0; k < sizeof(out_record_types) /
		    sizeof(out_record_types[0]); k++)
			if (strcmp(out_record_types[k].key, p->key) == 0)
				t = out_record_types[k].type;
		if (!first)
			buf_puts(b, ", ");
		first = 0;
		out_json_string(b, p->key, strlen(p->key));
		buf_puts(b, ": ");
		out_json_value(b, p, t);
	}
	buf_putc(b, '}');
}

void
out_history_object(struct buf *b, const struct record *r)
{
	out_fields_object(b, r, out_history_fields, NFIELDS(out_history_fields));
}

void
out_models_json(struct record *recs, int n)
{
	out_fields_array(recs, n, out_model_fields, NFIELDS(out_model_fields));
}

void
out_catalog_json(struct record *recs, int n)
{
	out_fields_array(recs, n, out_catalog_fields, NFIELDS(out_catalog_fields));
}

void
out_uptime_json(struct record *recs, int n)
{
	out_fields_array(recs, n, out_uptime_fields, NFIELDS(out_uptime_fields));
}

void
out_events_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_event_fields, NFIELDS(out_event_fields));
}

void
out_audit_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_audit_fields, NFIELDS(out_audit_fields));
}

void
out_refresh_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_refresh_fields, NFIELDS(out_refresh_fields));
}

/* One event as one line of JSON (JSON Lines), flushed: a stream's reader waits for it. */
void
out_event_json(const struct record *r)
{
	struct buf	 b = { 0 };

	out_fields_object(&b, r, out_event_fields, NFIELDS(out_event_fields));
	buf_putc(&b, '\n');
	out_flush(&b);
	fflush(stdout);
}

void
out_model_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (r == NULL)
		buf_puts(&b, "null");
	else
		out_model_object(&b, r);
	buf_putc(&b, '\n');
	out_flush(&b);
}

/* resolve: one object of RESOLVE's fields; {} without a record. */
void
out_resolve_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (r == NULL)
		buf_puts(&b, "{}");
	else
		out_fields_object(&b, r, out_resolve_fields,
		    NFIELDS(out_resolve_fields));
	buf_putc(&b, '\n');
	out_flush(&b);
}

void
out_record_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (r == NULL)
		buf_puts(&b, "{}");
	else
		out_record_object(&b, r, NULL);
	buf_putc(&b, '\n');
	out_flush(&b);
}

/*
 * ', "group": {"name": {...}, ...}': the records (past the daemon's) whose
 * key is set, each named by it; the seed source stays out (it has "seed").
 */
static void
out_status_group(struct buf *b, const struct record *recs, int n,
    const char *group, const char *key)
{
	const char	*v;
	int		 i, j, first = 1, dup;

	buf_printf(b, ", \"%s\": {", group);
	for (i = 1; i < n; i++) {
		const struct record *r = &recs[i];

		if ((v = record_get(r, key)) == NULL ||
		    (strcmp(key, "source") == 0 && strcmp(v, "seed") == 0))
			continue;
		/* A name twice would make a JSON object with a repeated key. */
		for (dup = 0, j = 1; j < i && !dup; j++)
			dup = out_is_kind(&recs[j], key, v);
		if (dup)
			continue;
		if (!first)
			buf_puts(b, ", ");
		first = 0;
		out_json_string(b, v, strlen(v));
		buf_puts(b, ": ");
		out_record_object(b, r, key);
	}
	buf_putc(b, '}');
}

/*
 * STATUS: the daemon record, with the seed source's record nested as
 * "seed" (null without one), the periodic sources' as "sources":
 * {"catalog": {...}, ...} and the alert channels' as "alerts":
 * {"exec": {...}, ...}.
 */
void
out_status_json(const struct record *recs, int n)
{
	struct buf		 b = { 0 };
	static const struct record empty;
	const struct record	*seed = NULL;
	int			 i;

	for (i = 1; i < n && seed == NULL; i++)
		if (out_is_kind(&recs[i], "source", "seed"))
			seed = &recs[i];
	out_record_object(&b, n > 0 ? &recs[0] : &empty, "seed");
	/* Reopen the object to add the nested ones. */
	b.len--;
	buf_puts(&b, b.len > 1 ? ", \"seed\": " : "\"seed\": ");
	if (seed != NULL)
		out_record_object(&b, seed, NULL);
	else
		buf_puts(&b, "null");
	out_status_group(&b, recs, n, "sources", "source");
	out_status_group(&b, recs, n, "alerts", "alert");
	buf_puts(&b, "}\n");
	out_flush(&b);
}

void
out_outcomes_json(const struct outcome *o, int n)
{
	struct buf	 b = { 0 };
	int		 i;

	if (n == 0) {
		printf("[]\n");
		return;
	}
	buf_puts(&b, "[\n");
	for (i = 0; i < n; i++) {
		buf_puts(&b, "  {\"model\": ");
		out_json_string(&b, o[i].model, strlen(o[i].model));
		buf_printf(&b, ", \"ok\": %s, \"message\": ",
		    o[i].ok ? "true" : "false");
		if (o[i].message != NULL)
			out_json_string(&b, o[i].message, strlen(o[i].message));
		else
			buf_puts(&b, "null");
		buf_puts(&b, ", \"status\": ");
		if (o[i].status != NULL)
			out_json_string(&b, o[i].status, strlen(o[i].status));
		else
			buf_puts(&b, "null");
		buf_puts(&b, ", \"code\": ");
		if (o[i].code[0] != '\0')
			out_json_string(&b, o[i].code, strlen(o[i].code));
		else
			buf_puts(&b, "null");
		buf_puts(&b, i + 1 < n ? "},\n" : "}\n");
	}
	buf_puts(&b, "]\n");
	out_flush(&b);
}

void
out_keys_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_key_fields, NFIELDS(out_key_fields));
}

/* KEY SHOW's record with its typed fields; a change's reply as it came. */
void
out_key_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (record_pair(r, "status") != NULL)
		out_fields_object(&b, r, out_key_fields, NFIELDS(out_key_fields));
	else
		out_record_object(&b, r, NULL);
	buf_putc(&b, '\n');
	out_flush(&b);
}

/* Issue 10: cap list, and cap show or set (remove's reply as it came). */
void
out_caps_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_cap_fields, NFIELDS(out_cap_fields));
}

void
out_cap_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (record_pair(r, "target") != NULL)
		out_fields_object(&b, r, out_cap_fields, NFIELDS(out_cap_fields));
	else
		out_record_object(&b, r, NULL);
	buf_putc(&b, '\n');
	out_flush(&b);
}

/* Issue 10: usage's rows; the first field is what they are summed by. */
void
out_usage_json(const struct record *recs, int n, const char *by)
{
	struct jfield	 f[] = {
		{ "model",		J_STR },
		{ "requests",		J_NUM },
		{ "prompt_tokens",	J_NUM },
		{ "completion_tokens",	J_NUM },
		{ "cost_usd",		J_NUM },
	};

	f[0].key = by;
	out_fields_array(recs, n, f, NFIELDS(f));
}

static const struct jfield out_unused_fields[] = {
	{ "model",		J_STR },
	{ "added_at",		J_STR },
	{ "last_used_at",	J_STR },
};

void
out_unused_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_unused_fields, NFIELDS(out_unused_fields));
}
