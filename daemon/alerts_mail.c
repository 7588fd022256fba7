/* alerts_mail.c: the [alerts] mail channel (issue 10 item 3): what to mail for each event (kinds, the flap hold-down), composed by mail_msg.c, sent by mailer.c. */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "alerts.h"
#include "alerts_mail.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_events.h"
#include "mailer.h"
#include "log.h"
#include "proto.h"



/* --- the channel ------------------------------------------------------ */

enum mail_sending {
	MS_NONE = 0,
	MS_SUMMARY,	/* the summary of flap model */
	MS_EVENT,	/* the event; commit written to the table on success */
};

static struct {
	int			 enabled;
	char			*url, *user, *password, *cafile, *from, *domain;
	struct cfg_list		 to, kinds;
	int			 window;
	int			 track;		/* window > 0 and model.down is mailed */
	int			 require_tls;

	struct mail_flap	*flaps;
	size_t			 nflaps;
	int			 loaded;
	struct event		*due;		/* the next summary falls due */

	/* The attempt under way. */
	int64_t			 id;
	int			 summaries_only;
	int			 sending_now;	/* mailer.c holds a transfer of ours */
	enum mail_sending	 sending;
	char			*flap_model;	/* MS_SUMMARY */
	struct mail_flap	 commit;	/* MS_EVENT: the model's record after it */
	int			 has_commit;
} ml;

static void	 mail_done(int, const char *, void *);
static int	 mail_step(char *, size_t);

static void
mail_free_str(char **p)
{
	if (*p != NULL)
		explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

static void
mail_list_copy_free(struct cfg_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
mail_list_copy(struct cfg_list *dst, const struct cfg_list *src)
{
	size_t	 i;

	mail_list_copy_free(dst);
	if (src->n == 0)
		return 0;
	if ((dst->v = calloc(src->n, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < src->n; i++) {
		if ((dst->v[i] = strdup(src->v[i])) == NULL)
			return -1;
		dst->n++;
	}
	return 0;
}

static int
mail_kind_listed(const char *kind)
{
	return cfg_list_has(&ml.kinds, "*") || cfg_list_has(&ml.kinds, kind);
}

/* Is the url's host a loopback one, where AUTH without TLS crosses no network? */
static int
mail_loopback(const char *url)
{
	const char	*h = strstr(url, "://");

	if (h == NULL)
		return 0;
	h += 3;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "[::1]", 5) == 0 ||
	    (strncasecmp(h, "localhost", 9) == 0 &&
	    (h[9] == '\0' || h[9] == ':' || h[9] == '/'));
}

static struct mail_flap *
mail_flap_find(const char *model)
{
	size_t	 i;

	for (i = 0; i < ml.nflaps; i++)
		if (strcmp(ml.flaps[i].model, model) == 0)
			return &ml.flaps[i];
	return NULL;
}

static void
mail_flap_remove(size_t i)
{
	free(ml.flaps[i].model);
	ml.flaps[i] = ml.flaps[--ml.nflaps];
}

/* Records with nothing open, nothing pending and their window over say nothing any more. */
static void
mail_flaps_gc(int64_t now)
{
	size_t	 i = 0;

	while (i < ml.nflaps) {
		struct mail_flap *r = &ml.flaps[i];

		if (!r->open && !r->down && r->downs == 0 && r->ups == 0 &&
		    now >= r->last_mail + ml.window)
			mail_flap_remove(i);
		else
			i++;
	}
}

/* Store r (a copy with its own model string) as the model's record. -1: no room. */
static int
mail_flap_store(const struct mail_flap *r)
{
	struct mail_flap	*old, *nf;

	if ((old = mail_flap_find(r->model)) != NULL) {
		free(old->model);
		*old = *r;
		return 0;
	}
	if (ml.nflaps >= MAIL_FLAPS_MAX)
		return -1;
	if ((nf = reallocarray(ml.flaps, ml.nflaps + 1, sizeof(*nf))) == NULL)
		return -1;
	ml.flaps = nf;
	ml.flaps[ml.nflaps++] = *r;
	return 0;
}

/* Arm the timer for the earliest summary due. */
static void
mail_arm_due(void)
{
	struct timeval	 tv;
	int64_t		 now = time(NULL), when = 0, d;
	size_t		 i;

	if (ml.due == NULL)
		return;
	evtimer_del(ml.due);
	if (!ml.enabled)
		return;
	for (i = 0; i < ml.nflaps; i++) {
		if (ml.flaps[i].downs == 0 && ml.flaps[i].ups == 0)
			continue;
		d = ml.flaps[i].last_mail + ml.window;
		if (when == 0 || d < when)
			when = d;
	}
	if (when == 0)
		return;
	tv.tv_sec = when > now ? (time_t)(when - now) : 0;
	tv.tv_usec = 0;
	if (evtimer_add(ml.due, &tv) == -1)
		log_warnx("alert mail: cannot arm the hold-down's timer");
}

static void
mail_due_cb(evutil_socket_t fd, short what, void *arg)
{
	alerts_mail_kick();
}

static void
mail_load_flaps(void)
{
	char	*v;

	mail_flaps_free(ml.flaps, ml.nflaps);
	ml.flaps = NULL;
	ml.nflaps = 0;
	if ((v = db_state_get(md.db, ALERTS_MAIL_FLAPS)) == NULL)
		return;
	if (mail_flaps_parse(v, &ml.flaps, &ml.nflaps) == -1)
		log_warnx("alert mail: bad saved hold-down state; starting "
		    "without it");
	free(v);
}

int
mail_configure(void)
{
	const struct config	*c = md.cfg;
	const char		*at;
	int			 fail = 0;

	if (c->smtp_url == NULL || c->mail_from == NULL || c->mail_to.n == 0) {
		mail_disable(1);
		return 1;
	}
	if (ml.due == NULL && (ml.due = evtimer_new(md.base, mail_due_cb,
	    NULL)) == NULL)
		fatalx("alerts: cannot create a timer");
	/* An attempt in flight keeps its own copies (mailer.c copied them). */
	mail_free_str(&ml.url);
	mail_free_str(&ml.user);
	mail_free_str(&ml.password);
	mail_free_str(&ml.cafile);
	mail_free_str(&ml.from);
	mail_free_str(&ml.domain);
	if ((ml.url = strdup(c->smtp_url)) == NULL ||
	    (ml.from = strdup(c->mail_from)) == NULL ||
	    (c->smtp_user != NULL && (ml.user = strdup(c->smtp_user)) == NULL) ||
	    (c->smtp_password != NULL &&
	    (ml.password = strdup(c->smtp_password)) == NULL) ||
	    (c->smtp_ca_file != NULL &&
	    (ml.cafile = strdup(c->smtp_ca_file)) == NULL) ||
	    mail_list_copy(&ml.to, &c->mail_to) == -1 ||
	    mail_list_copy(&ml.kinds, &c->mail_kinds) == -1)
		fail = 1;
	at = strchr(c->mail_from, '@');
	if (!fail && (ml.domain = strdup(at != NULL ? at + 1 : "localhost")) ==
	    NULL)
		fail = 1;
	if (fail) {
		log_warnx("alert mail: out of memory");
		mail_disable(0);
		return 1;
	}
	ml.window = c->flap_window;
	ml.track = ml.window > 0 && mail_kind_listed("model.down");
	/* A password never crosses a network in clear: STARTTLS or nothing. */
	ml.require_tls = ml.user != NULL && strncmp(ml.url, "smtp://", 7) == 0 &&
	    !mail_loopback(ml.url);
	if (!ml.loaded) {
		mail_load_flaps();
		ml.loaded = 1;
	}
	ml.enabled = 1;
	mail_arm_due();
	return 0;
}

void
mail_abandon(void)
{
	if (ml.sending_now) {
		mailer_cancel();
		ml.sending_now = 0;
	}
	ml.sending = MS_NONE;
	free(ml.flap_model);
	ml.flap_model = NULL;
	if (ml.has_commit)
		free(ml.commit.model);
	ml.has_commit = 0;
}

void
mail_disable(int forget)
{
	mail_abandon();
	ml.enabled = 0;
	mail_free_str(&ml.url);
	mail_free_str(&ml.user);
	mail_free_str(&ml.password);
	mail_free_str(&ml.cafile);
	mail_free_str(&ml.from);
	mail_free_str(&ml.domain);
	mail_list_copy_free(&ml.to);
	mail_list_copy_free(&ml.kinds);
	if (ml.due != NULL) {
		evtimer_del(ml.due);
		if (forget) {
			event_free(ml.due);
			ml.due = NULL;
		}
	}
	/* Forgotten with the cursor; kept (and saved) at shutdown. */
	if (forget) {
		mail_flaps_free(ml.flaps, ml.nflaps);
		ml.flaps = NULL;
		ml.nflaps = 0;
		ml.loaded = 0;
	}
}

char *
mail_state_text(void)
{
	struct buf	 b = { 0 };

	if (ml.nflaps == 0)
		return NULL;
	if (mail_flaps_format(ml.flaps, ml.nflaps, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Hand one composed message to the SMTP server. */
static int
mail_send(const char *subject, const char *body, const char *msgid,
    const char *kind, char *err, size_t errlen)
{
	struct mail_head	 h;
	struct mailer_req	 req;
	struct buf		 m = { 0 };
	long			 ms;

	memset(&h, 0, sizeof(h));
	h.from = ml.from;
	h.to = ml.to.v;
	h.nto = ml.to.n;
	h.subject = subject;
	h.msgid = msgid;
	h.kind = kind;
	h.date = time(NULL);
	if (mail_compose(&m, &h, body) == -1) {
		buf_free(&m);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ms = (long)(md.cfg->alert_timeout > 0 ? md.cfg->alert_timeout : 30) *
	    1000;
	memset(&req, 0, sizeof(req));
	req.url = ml.url;
	req.user = ml.user;
	req.password = ml.password;
	req.require_tls = ml.require_tls;
	req.cafile = ml.cafile;
	req.from = ml.from;
	req.rcpt = ml.to.v;
	req.nrcpt = ml.to.n;
	req.msg = m.data;
	req.msg_len = m.len;
	req.timeout_ms = ms;
	req.connect_timeout_ms = ms < 10000 ? ms : 10000;
	if (mailer_start(md.base, &req, mail_done, NULL, err, errlen) == -1) {
		explicit_bzero(m.data, m.len);
		buf_free(&m);
		return -1;
	}
	ml.sending_now = 1;
	explicit_bzero(m.data, m.len);
	buf_free(&m);
	return 0;
}

/* The event being delivered, copied out of the statement. */
struct mail_event {
	int64_t	 want;
	int	 found;
	int64_t	 at;
	char	*kind, *model, *message, *details;
};

static int
mail_event_cb(const struct db_event *e, void *arg)
{
	struct mail_event	*me = arg;

	if (e->id != me->want)
		return 1;
	me->at = e->at;
	me->found = 1;
	if ((me->kind = strdup(e->kind)) == NULL ||
	    (e->model != NULL && (me->model = strdup(e->model)) == NULL) ||
	    (me->message = strdup(e->message)) == NULL ||
	    (me->details = strdup(e->details)) == NULL)
		me->found = -1;
	return 1;
}

static void
mail_event_free(struct mail_event *me)
{
	free(me->kind);
	free(me->model);
	free(me->message);
	free(me->details);
}

/* Send the summary of r, now due. */
static int
mail_send_summary(struct mail_flap *r, char *err, size_t errlen)
{
	struct buf	 s = { 0 }, b = { 0 }, id = { 0 };
	int		 rc = -1;

	/* Stable across retries and restarts: a resent summary is recognisably the same mail. */
	if (mail_flap_text(r, ml.window, &s, &b) == -1 ||
	    buf_printf(&id, "modelreg.flap.%lld.", (long long)r->last_mail) ==
	    -1)
		goto oom;
	mail_hex(&id, r->model);
	if (buf_printf(&id, "@%s", ml.domain) == -1)
		goto oom;
	/* A hex id can be long: bound it, keeping it unique enough with the time. */
	if (id.len > 200) {
		id.len = 0;
		buf_printf(&id, "modelreg.flap.%lld.%zu@%s",
		    (long long)r->last_mail, strlen(r->model), ml.domain);
	}
	if ((ml.flap_model = strdup(r->model)) == NULL)
		goto oom;
	ml.sending = MS_SUMMARY;
	if ((rc = mail_send(s.data, b.data, id.data, "model.flapping", err,
	    errlen)) == -1) {
		free(ml.flap_model);
		ml.flap_model = NULL;
		ml.sending = MS_NONE;
	}
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	buf_free(&s);
	buf_free(&b);
	buf_free(&id);
	return rc;
}

static int
mail_send_event(int64_t id, const struct mail_event *e, int resolves,
    char *err, size_t errlen)
{
	struct buf	 s = { 0 }, b = { 0 }, mid = { 0 };
	char		 t[32];
	int		 rc = -1;

	proto_fmt_time(e->at, t);
	if (buf_printf(&s, "[modelreg] %s%s%s: %s", e->kind,
	    e->model ? " " : "", e->model ? e->model : "", e->message) == -1 ||
	    buf_printf(&b, "%s\n\n", e->message) == -1 ||
	    (resolves && buf_printf(&b, "This resolves the model.down mail "
	    "about %s.\n\n", e->model) == -1) ||
	    buf_printf(&b, "Event:   %s (number %lld)\n", e->kind,
	    (long long)id) == -1 ||
	    (e->model && buf_printf(&b, "Model:   %s\n", e->model) == -1) ||
	    buf_printf(&b, "Time:    %s\nDetails: %s\n\n-- \nSent by "
	    "modelregd, the model registry: [alerts] mail_kinds lists %s.\n",
	    t, e->details, resolves ? "model.down" : e->kind) == -1 ||
	    buf_printf(&mid, "modelreg.event.%lld.%lld@%s", (long long)id,
	    (long long)e->at, ml.domain) == -1) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	ml.sending = MS_EVENT;
	if ((rc = mail_send(s.data, b.data, mid.data, e->kind, err, errlen)) ==
	    -1)
		ml.sending = MS_NONE;
done:
	buf_free(&s);
	buf_free(&b);
	buf_free(&mid);
	return rc;
}

/*
 * The next thing to send for the attempt: a summary due before the event
 * (so that a backlog after a restart is judged by the events' own
 * times), then the event itself, if its kind is mailed and the hold-down
 * lets it through. 0 sending, 1 nothing (left), -1 with err.
 */
static int
mail_step(char *err, size_t errlen)
{
	struct mail_event	 e;
	struct mail_flap	*r, copy;
	enum mail_verdict	 v;
	int64_t			 t;
	size_t			 i;
	int			 rc = 1, is_down;

	memset(&e, 0, sizeof(e));
	if (!ml.summaries_only) {
		e.want = ml.id;
		if (db_events_after(md.db, ml.id - 1, 1, mail_event_cb, &e) ==
		    -1 || e.found == -1) {
			mail_event_free(&e);
			snprintf(err, errlen, "cannot read event %lld",
			    (long long)ml.id);
			return -1;
		}
		if (!e.found) {
			snprintf(err, errlen, "event %lld is gone",
			    (long long)ml.id);
			return -1;
		}
		t = e.at;
	} else
		t = time(NULL);
	if (ml.track) {
		for (i = 0; i < ml.nflaps; i++)
			if (mail_flap_due(&ml.flaps[i], ml.window, t)) {
				rc = mail_send_summary(&ml.flaps[i], err,
				    errlen);
				goto done;
			}
		mail_flaps_gc(t);
	}
	if (ml.summaries_only)
		goto done;
	is_down = strcmp(e.kind, "model.down") == 0;
	if (ml.track && e.model != NULL && (is_down ||
	    strcmp(e.kind, "model.up") == 0)) {
		r = mail_flap_find(e.model);
		if (r == NULL && !is_down)
			goto done;	/* an up with nothing open */
		if (r != NULL)
			copy = *r;
		else {
			memset(&copy, 0, sizeof(copy));
			copy.model = e.model;
		}
		v = mail_flap_event(&copy, is_down, t, ml.window);
		if ((copy.model = strdup(e.model)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto done;
		}
		if (v != MAIL_SEND) {
			/* Nothing to send: the change is counted, saved with the cursor. */
			if (mail_flap_store(&copy) == -1) {
				log_warnx("alert mail: the hold-down follows "
				    "%d models already; mailing event %lld "
				    "as it is", MAIL_FLAPS_MAX,
				    (long long)ml.id);
				free(copy.model);
				if (v == MAIL_QUIET)
					rc = mail_send_event(ml.id, &e, !is_down,
					    err, errlen);
				goto done;
			}
			goto done;
		}
		ml.commit = copy;
		ml.has_commit = 1;
		rc = mail_send_event(ml.id, &e, !is_down, err, errlen);
		if (rc == -1) {
			free(ml.commit.model);
			ml.has_commit = 0;
		}
		goto done;
	}
	if (mail_kind_listed(e.kind))
		rc = mail_send_event(ml.id, &e, 0, err, errlen);
done:
	mail_event_free(&e);
	mail_arm_due();
	return rc;
}

int
mail_start(int64_t id, int summaries_only, char *err, size_t errlen)
{
	if (!ml.enabled) {
		snprintf(err, errlen, "mail is not configured");
		return -1;
	}
	mail_abandon();
	ml.id = id;
	ml.summaries_only = summaries_only;
	return mail_step(err, errlen);
}

static void
mail_done(int ok, const char *err, void *arg)
{
	struct mail_flap	*r;
	char			 why[300];
	enum mail_sending	 was = ml.sending;
	int			 rc;

	ml.sending_now = 0;
	ml.sending = MS_NONE;
	if (!ok) {
		snprintf(why, sizeof(why), "%s", err[0] ? err :
		    "the SMTP server refused the mail");
		if (was == MS_EVENT && ml.has_commit) {
			free(ml.commit.model);
			ml.has_commit = 0;
		}
		free(ml.flap_model);
		ml.flap_model = NULL;
		alerts_mail_done(why);
		return;
	}
	if (was == MS_SUMMARY) {
		log_info("alert mail: the hold-down's summary of a flapping "
		    "model was accepted");
		if ((r = mail_flap_find(ml.flap_model)) != NULL)
			mail_flap_summarised(r, ml.window);
		free(ml.flap_model);
		ml.flap_model = NULL;
		/* Saved at once: a crash now must not send it again. */
		alerts_mail_saved();
		rc = mail_step(why, sizeof(why));
		if (rc == 1)
			alerts_mail_done(NULL);
		else if (rc == -1)
			alerts_mail_done(why);
		return;
	}
	if (ml.has_commit) {
		ml.has_commit = 0;
		if (mail_flap_store(&ml.commit) == -1)
			free(ml.commit.model);
	}
	mail_arm_due();
	alerts_mail_done(NULL);
}
