/* tags.c: modelregctl's commands of issue 11: activate, deactivate and delete over a selection (one BATCH request), tag's outcome, and collection's subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "ctl.h"

/* The options that make activate, deactivate or delete one BATCH request. */
static const int batch_opts[] = { O_TAG, O_COLLECTION, O_PROVIDER, O_SEARCH,
    O_STATUS, O_KIND, O_SKIP, O_DRYRUN, O_UNUSED };

static int
batch_wanted(const struct ctl *ctl)
{
	size_t	 i;

	for (i = 0; i < sizeof(batch_opts) / sizeof(batch_opts[0]); i++)
		if (ctl->opt[batch_opts[i]] != NULL)
			return 1;
	return 0;
}

/* BATCH <action> [MODEL...] [options], with dry_run=yes added when dry. */
static void
batch_request(const struct ctl *ctl, struct buf *req, int dry)
{
	const struct command	*cmd = ctl->cmd;
	int			 i;

	buf_reset(req);
	if (buf_puts(req, "BATCH ") == -1 || buf_puts(req, cmd->name) == -1) {
		ctl_warn("building the request");
		exit(CTL_EXIT_USAGE);
	}
	for (i = 0; i < ctl->argc; i++)
		req_word(req, NULL, ctl->argv[i], cmd, 0);
	req_options(ctl, cmd, req);
	if (dry && ctl->opt[O_DRYRUN] == NULL)
		req_word(req, "dry_run", "yes", cmd, 0);
	req_end(req);
}

static const char *
batch_done(const char *change, int dry)
{
	if (strcmp(change, "activate") == 0)
		return dry ? "would be activated" : "activated";
	if (strcmp(change, "deactivate") == 0)
		return dry ? "would be deactivated" : "deactivated";
	/* Issue 11 item 5: an undo puts a deleted model back. */
	if (strcmp(change, "restore") == 0)
		return dry ? "would be restored" : "restored";
	/* And an import's undo puts a model's (or a key's, ...) decisions back. */
	if (strcmp(change, "revert") == 0)
		return dry ? "would be reverted" : "reverted";
	return dry ? "would be deleted" : "deleted";
}

static void
put_field(const struct record *r, const char *key)
{
	struct buf	 b = { 0 };
	const char	*v = record_get(r, key);

	if (v != NULL)
		out_sanitize(&b, v, strlen(v));
	fputs(b.data != NULL ? b.data : "", stdout);
	buf_free(&b);
}

/* A model's outcome line: "ID: deactivated", "ID: unchanged", "ID: refused: why". */
static void
batch_item_text(const struct record *r, int dry, int applied)
{
	const char	*o = record_get(r, "outcome");
	const char	*change = record_get(r, "change");

	if (o == NULL || change == NULL)
		return;
	put_field(r, "id");
	if (strcmp(o, "change") == 0)
		printf(": %s%s\n", batch_done(change, dry || !applied),
		    !dry && !applied ? " (not applied)" : "");
	else if (strcmp(o, "unchanged") == 0)
		printf(": unchanged (already so)\n");
	else {
		printf(": %s: ", o);
		put_field(r, "reason");
		printf("\n");
	}
}

/* The JSON of a BATCH, SWITCH or SHOW reply: the summary's members, then "models": [...]. */
static void
items_json(struct record *recs, int n, const char *key)
{
	struct buf	 b = { 0 };
	int		 i;

	out_record_object(&b, &recs[0], NULL);
	/* The summary object, opened again for its list. */
	if (b.len > 0 && b.data[b.len - 1] == '}')
		b.len--;
	buf_printf(&b, b.len > 1 ? ", \"%s\": [" : "\"%s\": [", key);
	for (i = 1; i < n; i++) {
		if (i > 1)
			buf_puts(&b, ", ");
		/* A member's default is a boolean, a summary's a model id. */
		if (strcmp(key, "members") == 0)
			out_member_object(&b, &recs[i]);
		else
			out_record_object(&b, &recs[i], NULL);
	}
	buf_puts(&b, "]}\n");
	out_flush(&b);
}

static void
list_json(struct record *recs, int n)
{
	struct buf	 b = { 0 };
	int		 i;

	buf_puts(&b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		out_record_object(&b, &recs[i], NULL);
	}
	buf_puts(&b, "]\n");
	out_flush(&b);
}

/* Render a BATCH reply; the exit code: 1 when refused and nothing was applied. */
int
batch_render(const struct ctl *ctl, struct record *recs, int n)
{
	const char	*applied, *dry, *refused;
	int		 i, isdry, isapplied;

	if (n < 1) {
		ctl_warnx("%s: malformed reply: no summary record", ctl->socket);
		return CTL_EXIT_CONN;
	}
	applied = record_get(&recs[0], "applied");
	dry = record_get(&recs[0], "dry_run");
	refused = record_get(&recs[0], "refused");
	isdry = dry != NULL && strcmp(dry, "true") == 0;
	isapplied = applied != NULL && strcmp(applied, "true") == 0;
	if (ctl->json)
		items_json(recs, n, "models");
	else {
		for (i = 1; i < n; i++)
			batch_item_text(&recs[i], isdry, isapplied);
		fflush(stdout);
	}
	if (!ctl->json || (refused != NULL && strcmp(refused, "0") != 0)) {
		struct buf	 m = { 0 };
		const char	*msg = record_get(&recs[0], "message");

		if (msg != NULL)
			out_sanitize(&m, msg, strlen(msg));
		if (refused != NULL && strcmp(refused, "0") != 0)
			ctl_warnx("%s", m.data != NULL ? m.data : "refused");
		else if (m.data != NULL)
			fprintf(stderr, "%s\n", m.data);
		buf_free(&m);
	}
	return refused != NULL && strcmp(refused, "0") != 0 ? CTL_EXIT_ERR :
	    CTL_EXIT_OK;
}

/* One BATCH request and its records; the exit code (recs, n set on OK). */
static int
batch_send(struct ctl *ctl, const struct buf *req, struct reply *r,
    struct record **recs)
{
	int	 rv;

	*recs = NULL;
	if ((rv = ctl_request(ctl, req, r)) != CTL_EXIT_OK)
		return rv;
	if ((*recs = records_parse(ctl, r)) == NULL)
		return CTL_EXIT_CONN;
	return CTL_EXIT_OK;
}

static void
recs_free(struct record *recs, int n)
{
	int	 i;

	for (i = 0; recs != NULL && i < n; i++)
		record_free(&recs[i]);
	free(recs);
}

/*
 * On a terminal, a destructive batch asks first: a dry run names the
 * count and the first models; refusals (without --skip-refused) end it
 * there, since the batch would change nothing.
 */
static int
batch_confirm(struct ctl *ctl)
{
	struct buf	 req = { 0 };
	struct reply	 r;
	struct record	*recs;
	char		**ids;
	char		 *copy;
	int		 i, k = 0, rv, n;

	if (!(ctl->cmd->flags & CMD_CONFIRM) || ctl->yes ||
	    ctl->opt[O_DRYRUN] != NULL || !isatty(STDIN_FILENO))
		return -1;	/* nobody to ask: go on */
	batch_request(ctl, &req, 1);
	rv = batch_send(ctl, &req, &r, &recs);
	buf_free(&req);
	if (rv != CTL_EXIT_OK) {
		reply_free(&r);
		return rv;
	}
	n = r.n;
	{
		const char *ref = record_get(&recs[0], "refused");

		if (ref != NULL && strcmp(ref, "0") != 0) {
			rv = batch_render(ctl, recs, n);
			recs_free(recs, n);
			reply_free(&r);
			return rv;
		}
	}
	if ((ids = calloc((size_t)n + 1, sizeof(*ids))) == NULL) {
		ctl_warn("confirming");
		recs_free(recs, n);
		reply_free(&r);
		return CTL_EXIT_USAGE;
	}
	for (i = 1; i < n; i++) {
		const char *o = record_get(&recs[i], "outcome");
		const char *id = record_get(&recs[i], "id");

		if (o != NULL && id != NULL && strcmp(o, "change") == 0 &&
		    (copy = strdup(id)) != NULL)
			ids[k++] = copy;
	}
	rv = CTL_EXIT_OK;
	if (k == 0)
		rv = CTL_EXIT_OK;	/* nothing to change: the batch says so */
	else if (ctl_confirm(ctl, ctl->cmd, k, ids) == -1) {
		ctl_warnx("aborted");
		rv = CTL_EXIT_ERR;
	}
	for (i = 0; i < k; i++)
		free(ids[i]);
	free(ids);
	recs_free(recs, n);
	reply_free(&r);
	return rv == CTL_EXIT_OK ? -1 : rv;	/* -1: go on */
}

int
run_change(struct ctl *ctl)
{
	struct buf	 req = { 0 };
	struct reply	 r;
	struct record	*recs;
	int		 rv;

	if (!batch_wanted(ctl)) {
		if (ctl->argc == 0)
			usage_error(ctl->cmd, "%s: name models or give a selector "
			    "(--tag, --collection, --provider, --search, --status, "
			    "--kind, --unused)", ctl->cmd->name);
		return run_models(ctl);
	}
	if (ctl->opt[O_FORCE] != NULL)
		usage_error(ctl->cmd, "--force works only with model names, "
		    "not with selectors, --skip-refused or --dry-run");
	if (ctl->argc > PROTO_MAXARGS - 2)
		usage_error(ctl->cmd, "at most %d models by name with selectors; "
		    "select more with --tag or --collection", PROTO_MAXARGS - 2);
	if ((rv = batch_confirm(ctl)) != -1)
		return rv;
	batch_request(ctl, &req, 0);
	rv = batch_send(ctl, &req, &r, &recs);
	buf_free(&req);
	if (rv == CTL_EXIT_OK)
		rv = batch_render(ctl, recs, r.n);
	recs_free(recs, r.n);
	reply_free(&r);
	return rv;
}

/* collection: the subcommands, their operands and options. */
static const struct {
	const char	*name;
	const char	*verb;		/* the protocol's subverb */
	int		 minargs, maxargs;	/* after the subcommand; -1 any */
	int		 sets;		/* OS_* of its options; 0 none */
} coll_subs[] = {
	{ "create", "create", 1, -1, OS_COLL },
	{ "add", "add", 1, -1, OS_COLL },
	{ "remove", "remove", 2, -1, 0 },
	{ "delete", "delete", 1, 1, 0 },
	{ "list", "list", 0, 0, 0 },
	{ "show", "show", 1, 1, 0 },
	{ "switch", "switch", 1, 1, OS_SWITCH },
};

/* --from KEY=VALUE[,KEY=VALUE...]: the selectors as request options. */
static void
coll_from(const struct ctl *ctl, struct buf *req)
{
	static const char *const keys[] = { "tag", "collection", "provider",
	    "search", "status", "kind", NULL };
	char	*copy, *p, *eq, *next;

	if (ctl->opt[O_FROM] == NULL)
		return;
	if ((copy = strdup(ctl->opt[O_FROM])) == NULL) {
		ctl_warn("building the request");
		exit(CTL_EXIT_USAGE);
	}
	for (p = copy; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(p, '=')) == NULL || eq == p || eq[1] == '\0')
			usage_error(ctl->cmd, "bad --from \"%s\": use KEY=VALUE"
			    "[,KEY=VALUE...] with KEY tag, collection, provider, "
			    "search, status or kind", p);
		*eq = '\0';
		if (one_of(p, keys) == 0)
			usage_error(ctl->cmd, "bad --from key \"%s\": use tag, "
			    "collection, provider, search, status or kind", p);
		{
			size_t	 i;
			int	 id = -1;

			for (i = 0; i < noptdefs; i++)
				if (optdefs[i].key != NULL &&
				    strcmp(optdefs[i].key, p) == 0)
					id = (int)optdefs[i].id;
			if (id >= 0 && ctl->opt[id] != NULL)
				usage_error(ctl->cmd, "--from %s= and --%s: give "
				    "it once", p, ctl->optname[id]);
		}
		req_word(req, p, eq + 1, ctl->cmd, 0);
	}
	free(copy);
}

static int
coll_render(const struct ctl *ctl, const char *sub, struct record *recs, int n)
{
	int	 i;

	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
		if (ctl->json) {
			if (strcmp(sub, "list") == 0)
				list_json(recs, n);
			else if (n > 0)
				items_json(recs, n, "members");
			return CTL_EXIT_OK;
		}
		if (strcmp(sub, "list") == 0) {
			printf("%-24s %7s %7s  %s\n", "NAME", "MODELS", "ACTIVE",
			    "UPDATED");
			for (i = 0; i < n; i++) {
				struct buf	 b = { 0 };
				const char	*v = record_get(&recs[i], "name");

				out_sanitize(&b, v != NULL ? v : "", v != NULL ?
				    strlen(v) : 0);
				printf("%-24s %7s %7s  %s\n", b.data != NULL ?
				    b.data : "", record_get(&recs[i], "models") ?
				    record_get(&recs[i], "models") : "",
				    record_get(&recs[i], "active") ?
				    record_get(&recs[i], "active") : "",
				    record_get(&recs[i], "updated_at") ?
				    record_get(&recs[i], "updated_at") : "");
				buf_free(&b);
			}
			return CTL_EXIT_OK;
		}
		if (n > 0)
			out_record_text(&recs[0], NULL, NULL);
		for (i = 1; i < n; i++) {
			const char *def = record_get(&recs[i], "default");

			printf("  ");
			put_field(&recs[i], "id");
			printf(" (");
			put_field(&recs[i], "status");
			printf("%s)\n", def != NULL && strcmp(def, "true") == 0 ?
			    ", default" : "");
		}
		return CTL_EXIT_OK;
	}
	if (strcmp(sub, "switch") == 0) {
		if (n < 1) {
			ctl_warnx("%s: malformed reply", ctl->socket);
			return CTL_EXIT_CONN;
		}
		if (ctl->json) {
			items_json(recs, n, "models");
			return CTL_EXIT_OK;
		}
		for (i = 1; i < n; i++)
			batch_item_text(&recs[i], strcmp(record_get(&recs[0],
			    "dry_run") ? record_get(&recs[0], "dry_run") : "",
			    "true") == 0, 1);
		fflush(stdout);
		{
			struct buf	 m = { 0 };
			const char	*msg = record_get(&recs[0], "message");

			if (msg != NULL)
				out_sanitize(&m, msg, strlen(msg));
			fprintf(stderr, "%s\n", m.data != NULL ? m.data : "");
			buf_free(&m);
		}
		return CTL_EXIT_OK;
	}
	if (ctl->json) {
		if (n > 0)
			out_record_json(&recs[0]);
		return CTL_EXIT_OK;
	}
	if (n > 0) {
		put_field(&recs[0], "message");
		printf("\n");
	}
	return CTL_EXIT_OK;
}

int
run_collection(struct ctl *ctl)
{
	const struct command	*cmd = ctl->cmd;
	struct buf		 req = { 0 };
	struct reply		 r;
	struct record		*recs;
	size_t			 i, j;
	int			 n = ctl->argc - 1, rv, k;

	for (i = 0; i < sizeof(coll_subs) / sizeof(coll_subs[0]); i++)
		if (strcmp(ctl->argv[0], coll_subs[i].name) == 0)
			break;
	if (i == sizeof(coll_subs) / sizeof(coll_subs[0]))
		usage_error(cmd, "bad subcommand %s: create, add, remove, delete, "
		    "list, show or switch", ctl->argv[0]);
	if (n < coll_subs[i].minargs ||
	    (coll_subs[i].maxargs >= 0 && n > coll_subs[i].maxargs))
		usage_error(cmd, "collection %s takes %s", coll_subs[i].name,
		    coll_subs[i].minargs == 0 ? "no operand" :
		    coll_subs[i].maxargs == 1 ? "one NAME" : "NAME and MODEL...");
	/* An option another subcommand takes is refused here, by name. */
	for (k = 0; k < O_COUNT; k++) {
		int	 ok = 0;

		if (ctl->opt[k] == NULL)
			continue;
		for (j = 0; j < noptdefs; j++)
			if ((int)optdefs[j].id == k &&
			    (optdefs[j].sets & coll_subs[i].sets) != 0)
				ok = 1;
		if (!ok)
			usage_error(cmd, "collection %s takes no option --%s",
			    coll_subs[i].name, ctl->optname[k]);
	}
	if (strcmp(coll_subs[i].name, "add") == 0 && n == 1 &&
	    ctl->opt[O_FROM] == NULL && ctl->opt[O_TAG] == NULL &&
	    ctl->opt[O_COLLECTION] == NULL && ctl->opt[O_PROVIDER] == NULL &&
	    ctl->opt[O_SEARCH] == NULL && ctl->opt[O_STATUS] == NULL &&
	    ctl->opt[O_KIND] == NULL)
		usage_error(cmd, "collection add NAME: name models or give "
		    "selectors (--from, --tag, ...)");
	if (buf_puts(&req, "COLLECTION ") == -1 ||
	    buf_puts(&req, coll_subs[i].verb) == -1) {
		ctl_warn("building the request");
		return CTL_EXIT_USAGE;
	}
	for (k = 1; k < ctl->argc; k++)
		req_word(&req, NULL, ctl->argv[k], cmd, 0);
	req_options(ctl, cmd, &req);
	coll_from(ctl, &req);
	req_end(&req);
	rv = ctl_request(ctl, &req, &r);
	buf_free(&req);
	if (rv == CTL_EXIT_OK) {
		if ((recs = records_parse(ctl, &r)) == NULL)
			rv = CTL_EXIT_CONN;
		else {
			rv = coll_render(ctl, coll_subs[i].name, recs, r.n);
			recs_free(recs, r.n);
		}
	}
	reply_free(&r);
	return rv;
}
