/* history.c: modelregctl's history (HISTORY: the batches, switches and undos; show ID: one with its models) and undo's reply (issue 11 item 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "ctl.h"

/* A field sanitized into b (reset first); "" when absent or null. */
static const char *
hist_field(struct buf *b, const struct record *r, const char *key)
{
	const char	*v = record_get(r, key);

	buf_reset(b);
	if (v != NULL)
		out_sanitize(b, v, strlen(v));
	return b->data != NULL ? b->data : "";
}

/* The row's state: "undone by 7", "undo of 3", or "". */
static void
hist_state(const struct record *r, char *out, size_t len)
{
	const char	*by = record_get(r, "undone_by");
	const char	*of = record_get(r, "undo_of");

	out[0] = '\0';
	if (of != NULL && strcmp(of, "") != 0)
		snprintf(out, len, "undo of %s", of);
	if (by != NULL && strcmp(by, "") != 0)
		snprintf(out + strlen(out), len - strlen(out), "%sundone by %s",
		    out[0] ? ", " : "", by);
}

static void
hist_default(const struct record *r, char *out, size_t len)
{
	const char	*b = record_get(r, "default_before");
	const char	*a = record_get(r, "default_after");

	out[0] = '\0';
	if (a != NULL && a[0] != '\0' && (b == NULL || strcmp(a, b) != 0))
		snprintf(out, len, "%s -> %s", b != NULL && b[0] ? b : "none", a);
}

static void
hist_json(struct record *recs, int n, int show)
{
	struct buf	 b = { 0 };
	int		 i;

	if (!show) {
		buf_puts(&b, "[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_puts(&b, ", ");
			out_history_object(&b, &recs[i]);
		}
		buf_puts(&b, "]\n");
		out_flush(&b);
		return;
	}
	out_history_object(&b, &recs[0]);
	if (b.len > 0 && b.data[b.len - 1] == '}')
		b.len--;
	buf_puts(&b, b.len > 1 ? ", \"models\": [" : "\"models\": [");
	for (i = 1; i < n; i++) {
		if (i > 1)
			buf_puts(&b, ", ");
		out_record_object(&b, &recs[i], NULL);
	}
	buf_puts(&b, "]}\n");
	out_flush(&b);
}

static int
hist_render(const struct ctl *ctl, struct record *recs, int n, int show)
{
	struct buf	 f[7];
	char		 st[64], def[520];
	int		 i;

	if (ctl->json) {
		if (show && n < 1) {
			ctl_warnx("%s: malformed reply: no history record",
			    ctl->socket);
			return CTL_EXIT_CONN;
		}
		hist_json(recs, n, show);
		return CTL_EXIT_OK;
	}
	if (!show && n == 0) {
		printf("no history entries\n");
		return CTL_EXIT_OK;
	}
	memset(f, 0, sizeof(f));
	if (show) {
		if (n > 0)
			out_record_text(&recs[0], NULL, NULL);
		for (i = 1; i < n; i++) {
			printf("  %s: %s -> %s", hist_field(&f[0], &recs[i],
			    "model"), hist_field(&f[1], &recs[i], "before"),
			    hist_field(&f[2], &recs[i], "after"));
			/* An import's row says what it changed on the model. */
			if (hist_field(&f[3], &recs[i], "fields")[0] != '\0')
				printf(" (%s)", f[3].data);
			printf("\n");
		}
	} else {
		printf("%-6s %-20s %-12s %-10s %7s %7s  %-28s %s\n", "ID", "WHEN",
		    "USER", "ACTION", "MODELS", "CHANGED", "DEFAULT",
		    "SELECTION");
		for (i = 0; i < n; i++) {
			hist_state(&recs[i], st, sizeof(st));
			hist_default(&recs[i], def, sizeof(def));
			printf("%-6s %-20s %-12s %-10s %7s %7s  %-28s %s%s%s%s\n",
			    hist_field(&f[0], &recs[i], "id"),
			    hist_field(&f[1], &recs[i], "at"),
			    hist_field(&f[2], &recs[i], "user"),
			    hist_field(&f[3], &recs[i], "action"),
			    hist_field(&f[4], &recs[i], "models"),
			    hist_field(&f[5], &recs[i], "changed"), def,
			    hist_field(&f[6], &recs[i], "selection"),
			    st[0] ? " (" : "", st, st[0] ? ")" : "");
		}
	}
	for (i = 0; i < 7; i++)
		buf_free(&f[i]);
	return CTL_EXIT_OK;
}

int
render_history(const struct ctl *ctl, struct record *recs, int n)
{
	return hist_render(ctl, recs, n, 0);
}

/* history [--limit N], or history show ID: HISTORY ID. */
int
run_history(struct ctl *ctl)
{
	const struct command	*cmd = ctl->cmd;
	struct buf		 req = { 0 };
	struct reply		 r;
	struct record		*recs;
	int			 i, rv, show = 0;

	if (ctl->argc > 0) {
		if (strcmp(ctl->argv[0], "show") != 0 || ctl->argc != 2)
			usage_error(cmd, "history takes no operand, or show ID");
		if (ctl->opt[O_LIMIT] != NULL)
			usage_error(cmd, "history show ID takes no --limit");
		show = 1;
	}
	if (buf_puts(&req, cmd->verb) == -1) {
		ctl_warn("building the request");
		return CTL_EXIT_USAGE;
	}
	if (show)
		req_word(&req, NULL, ctl->argv[1], cmd, 0);
	req_options(ctl, cmd, &req);
	req_end(&req);
	rv = ctl_request(ctl, &req, &r);
	buf_free(&req);
	if (rv == CTL_EXIT_OK) {
		if ((recs = records_parse(ctl, &r)) == NULL)
			rv = CTL_EXIT_CONN;
		else {
			rv = hist_render(ctl, recs, r.n, show);
			for (i = 0; i < r.n; i++)
				record_free(&recs[i]);
			free(recs);
		}
	}
	reply_free(&r);
	return rv;
}

/* undo's reply is a batch's: a summary, each model's outcome; exit 1 when refused. */
int
render_undo(const struct ctl *ctl, struct record *recs, int n)
{
	return batch_render(ctl, recs, n);
}
