/* alerts.c: the [alerts] channels: a program run without a shell, a webhook POST and (alerts_mail.c) a mail, each a persisted cursor over the events table. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "alerts.h"
#include "alerts_mail.h"
#include "mailer.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_events.h"
#include "fetch.h"
#include "import.h"
#include "log.h"
#include "proto.h"

#define ALERT_BACKOFF_MAX	60	/* seconds between attempts, at most */
#define ALERT_WEBHOOK_REPLY_MAX	(1024 * 1024)	/* bytes of a webhook's answer we accept */
#define ALERT_CLOSE_FALLBACK	4096	/* fds closed one by one when close_range fails */
#define ALERT_ENV_PATH		"PATH=/usr/sbin:/usr/bin:/sbin:/bin"

enum alert_state {
	ALERT_IDLE = 0,		/* nothing to deliver, or waiting for an event */
	ALERT_DELIVERING,	/* an attempt is running */
	ALERT_RETRYING,		/* the backoff timer holds the next attempt */
};

struct channel;

/* What differs between channels: start an attempt, abandon one. */
struct channel_ops {
	/*
	 * Start delivering event id; -1 with err set when it cannot even
	 * start; 1 when there is nothing to send for it (mail: a kind not
	 * mailed, a change the hold-down counts), and the channel moves on.
	 */
	int	(*start)(struct channel *, int64_t id, char *err, size_t errlen);
	void	(*abandon)(struct channel *);
};

struct channel {
	const char		*name;		/* "exec", "webhook" */
	const char		*key;		/* the state key of its cursor */
	const struct channel_ops *ops;
	int			 enabled;
	int64_t			 cursor;	/* the last event delivered or given up */
	enum alert_state	 state;
	int64_t			 cur;		/* the event being delivered */
	int			 attempts;	/* made for cur */
	int64_t			 delivered, failed;
	char			 last_error[256];	/* "" after a delivery */
	struct event		*retry;		/* backoff timer */
	int			 state_wait;	/* 1 save, 2 forget: after the import (issue 8) */
	int			 state_queued;	/* import_after holds alert_state_after */

	/* exec: our copy of the argv (NULL-terminated), the child, its deadline. */
	char			**argv;
	pid_t			 pid;
	int			 killed;	/* we sent SIGKILL at the deadline */
	int			 abandoned;	/* reap it, but its outcome counts for nothing */
	int			 timeout;	/* seconds, of the attempt running */
	struct event		*deadline;

	/* webhook: our copy of the URL (a secret: never logged), the POST in flight. */
	char			*url;
	struct fetch		*fetch;
};

static int	 exec_start(struct channel *, int64_t, char *, size_t);
static void	 exec_abandon(struct channel *);
static int	 webhook_start(struct channel *, int64_t, char *, size_t);
static void	 webhook_abandon(struct channel *);

static const struct channel_ops exec_ops = { exec_start, exec_abandon };
static const struct channel_ops webhook_ops = { webhook_start, webhook_abandon };
static int	 mailch_start(struct channel *, int64_t, char *, size_t);
static void	 mailch_abandon(struct channel *);
static const struct channel_ops mail_ops = { mailch_start, mailch_abandon };

static struct channel ch_exec = {
	.name = "exec", .key = ALERTS_EXEC_CURSOR, .ops = &exec_ops,
};
static struct channel ch_webhook = {
	.name = "webhook", .key = ALERTS_WEBHOOK_CURSOR, .ops = &webhook_ops,
};
static struct channel ch_mail = {
	.name = "mail", .key = ALERTS_MAIL_CURSOR, .ops = &mail_ops,
};
static struct channel *const channels[] = { &ch_exec, &ch_webhook, &ch_mail };
#define NCHANNELS	(sizeof(channels) / sizeof(channels[0]))

static struct event	*ev_sigchld;

static void	 alert_next(struct channel *);
static void	 alert_state_write_mail(int);

/* Copy src as one line into the channel's last_error. */
static void
alert_set_error(struct channel *ch, const char *src)
{
	/* Cut at a word with "..." when it does not fit. */
	log_oneline(ch->last_error, sizeof(ch->last_error), src);
}

static int
alert_retries(void)
{
	return md.cfg->alert_retries > 0 ? md.cfg->alert_retries : 1;
}

static int
alert_timeout(void)
{
	return md.cfg->alert_timeout > 0 ? md.cfg->alert_timeout : 30;
}

/* Write the cursor's state key now: save it (op 1) or forget it (op 2). */
static void
alert_state_write(struct channel *ch, int op)
{
	char	 v[32], *old;

	if (ch == &ch_mail) {
		alert_state_write_mail(op);
		return;
	}
	if (op == 2) {
		/* Nothing saved: nothing to write (every reload asks). */
		if ((old = db_state_get(md.db, ch->key)) == NULL)
			return;
		free(old);
		if (db_state_set(md.db, ch->key, NULL) == -1)
			log_warnx("alert %s: cannot forget the cursor", ch->name);
		return;
	}
	snprintf(v, sizeof(v), "%lld", (long long)ch->cursor);
	if (db_state_set(md.db, ch->key, v) == -1)
		log_warnx("alert %s: cannot save the cursor at event %lld",
		    ch->name, (long long)ch->cursor);
}

/*
 * Issue 10 item 3: the mail channel's cursor and its hold-down's state
 * in one transaction, so that a crash never leaves one without the other.
 */
static void
alert_state_write_mail(int op)
{
	char	 v[32], *flaps = NULL;

	if (op == 1)
		flaps = mail_state_text();
	snprintf(v, sizeof(v), "%lld", (long long)ch_mail.cursor);
	if (db_begin(md.db) == -1 ||
	    db_state_set(md.db, ch_mail.key, op == 1 ? v : NULL) == -1 ||
	    db_state_set(md.db, ALERTS_MAIL_FLAPS, flaps) == -1 ||
	    db_commit(md.db) == -1) {
		db_rollback(md.db);
		log_warnx("alert mail: cannot %s the cursor", op == 1 ?
		    "save" : "forget");
	}
	free(flaps);
}

/* After the import that held the write lock: the last op asked for, with the cursor of now. */
static void
alert_state_after(void *arg, int cancelled)
{
	struct channel	*ch = arg;
	int		 op = ch->state_wait;

	ch->state_queued = 0;
	ch->state_wait = 0;
	/*
	 * Cancelled only at shutdown, after import_shutdown() joined the
	 * worker: nothing holds the lock, so the write is safe now, and
	 * dropping it made a clean stop deliver the last events again
	 * (issue 10: a mail sent twice across a restart under load).
	 */
	(void)cancelled;
	if (op != 0)
		alert_state_write(ch, op);
}

/*
 * While an import holds the write lock (issue 8) the write waits its
 * turn, rather than the loop in SQLite's busy handler: a crash before
 * it only delivers an event again, as a crash before any save does.
 */
static void
alert_state(struct channel *ch, int op)
{
	if (!import_busy()) {
		alert_state_write(ch, op);
		return;
	}
	ch->state_wait = op;
	if (!ch->state_queued && import_after("alerts: the channel's cursor",
	    alert_state_after, ch) == 0)
		ch->state_queued = 1;
	else if (!ch->state_queued) {
		ch->state_wait = 0;
		alert_state_write(ch, op);
	}
}

/* Persist the cursor: undelivered events survive a restart. */
static void
alert_save_cursor(struct channel *ch)
{
	alert_state(ch, 1);
}

/*
 * Move past the current event (delivered or given up) and go on, from
 * the loop: a program that cannot even start must not make us recurse
 * once per pending event.
 */
static void
alert_advance(struct channel *ch)
{
	static const struct timeval	 now = { 0, 0 };

	ch->cursor = ch->cur;
	ch->cur = 0;
	ch->attempts = 0;
	ch->state = ALERT_IDLE;
	alert_save_cursor(ch);
	if (evtimer_add(ch->retry, &now) == -1)
		log_warnx("alert %s: cannot arm a timer", ch->name);
}

static void
alert_delivered(struct channel *ch)
{
	log_debug("alert %s: event %lld delivered", ch->name,
	    (long long)ch->cur);
	ch->delivered++;
	ch->last_error[0] = '\0';
	alert_advance(ch);
}

/* An attempt failed: retry with backoff, or give the event up. */
static void
alert_failed(struct channel *ch, const char *why)
{
	struct timeval	 tv;
	long		 delay;
	int		 i;

	alert_set_error(ch, why);
	if (ch->attempts >= alert_retries()) {
		log_warnx("alert %s: event %lld given up after %d attempts: %s",
		    ch->name, (long long)ch->cur, ch->attempts, ch->last_error);
		ch->failed++;
		alert_advance(ch);
		return;
	}
	for (delay = 1, i = 1; i < ch->attempts && delay < ALERT_BACKOFF_MAX;
	    i++)
		delay *= 2;
	if (delay > ALERT_BACKOFF_MAX)
		delay = ALERT_BACKOFF_MAX;
	log_warnx("alert %s: event %lld, attempt %d of %d failed: %s; retry "
	    "in %ld s", ch->name, (long long)ch->cur, ch->attempts,
	    alert_retries(), ch->last_error, delay);
	tv.tv_sec = delay;
	tv.tv_usec = 0;
	ch->state = ALERT_RETRYING;
	if (evtimer_add(ch->retry, &tv) == -1) {
		/* Without a timer, retry at the next wake-up. */
		log_warnx("alert %s: cannot arm the retry timer", ch->name);
		ch->state = ALERT_IDLE;
	}
}

/* Make one attempt at the current event. */
static void
alert_attempt(struct channel *ch)
{
	char	 err[256];
	int	 rc;

	ch->attempts++;
	ch->state = ALERT_DELIVERING;
	err[0] = '\0';
	if ((rc = ch->ops->start(ch, ch->cur, err, sizeof(err))) == -1)
		alert_failed(ch, err[0] ? err : "cannot start");
	else if (rc == 1) {
		/* Nothing to send for it: on to the next, not counted. */
		ch->last_error[0] = '\0';
		alert_advance(ch);
	}
}

static int
alert_first_id(const struct db_event *e, void *arg)
{
	*(int64_t *)arg = e->id;
	return 1;
}

/* Idle and enabled: take the event after the cursor, if there is one. */
static void
alert_next(struct channel *ch)
{
	int64_t	 id = 0;

	if (!ch->enabled || ch->state != ALERT_IDLE)
		return;
	/* A program we abandoned is still running: wait for its reaping. */
	if (ch->pid != 0)
		return;
	if (db_events_after(md.db, ch->cursor, 1, alert_first_id, &id) == -1) {
		alert_set_error(ch, "database error reading the events");
		return;
	}
	if (id == 0)
		return;
	ch->cur = id;
	ch->attempts = 0;
	alert_attempt(ch);
}

static void
alert_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct channel	*ch = arg;

	if (ch->state == ALERT_RETRYING)
		alert_attempt(ch);
	else if (ch->state == ALERT_IDLE)
		alert_next(ch);
}

/* --- exec ------------------------------------------------------------ */

/* The environment of one run, made before fork (the child only calls async-signal-safe functions). */
struct exec_env {
	int64_t	 id;		/* the event wanted */
	char	*envp[8];
	int	 n;
	int	 found;
};

static int
exec_env_add(struct exec_env *env, const char *name, const char *value)
{
	struct buf	 b = { 0 };

	if (buf_printf(&b, "%s=%s", name, value) == -1)
		return -1;
	env->envp[env->n++] = b.data;
	return 0;
}

static int
exec_env_event(const struct db_event *e, void *arg)
{
	struct exec_env	*env = arg;
	char		 t[32], id[32];

	if (e->id != env->id)
		return 1;
	proto_fmt_time(e->at, t);
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	env->found = 1;
	if ((env->envp[env->n++] = strdup(ALERT_ENV_PATH)) == NULL ||
	    exec_env_add(env, "MODELREG_EVENT", e->kind) == -1 ||
	    exec_env_add(env, "MODELREG_MODEL", e->model ? e->model : "") ==
	    -1 ||
	    exec_env_add(env, "MODELREG_MESSAGE", e->message) == -1 ||
	    exec_env_add(env, "MODELREG_EVENT_ID", id) == -1 ||
	    exec_env_add(env, "MODELREG_TIME", t) == -1 ||
	    exec_env_add(env, "MODELREG_DETAILS", e->details) == -1)
		env->found = -1;
	return 1;
}

static void
exec_env_free(struct exec_env *env)
{
	int	 i;

	for (i = 0; i < env->n; i++)
		free(env->envp[i]);
	memset(env, 0, sizeof(*env));
}

/* In the child, between fork and execve: async-signal-safe calls only. */
static void __attribute__((noreturn))
exec_child(char *const argv[], char *const envp[], int devnull)
{
	sigset_t	 none;
	int		 fd;

	/* Its own process group, so that the deadline kills its children too. */
	(void)setpgid(0, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* We ignore SIGPIPE; the program should not inherit that. */
	(void)signal(SIGPIPE, SIG_DFL);
	if (dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(devnull, STDOUT_FILENO) == -1)
		_exit(126);
	/*
	 * stderr stays the daemon's (the journal). Every other descriptor,
	 * the control socket and the database among them, is closed: the
	 * program cannot touch them.
	 */
	if (close_range(3, ~0U, 0) == -1)
		for (fd = 3; fd < ALERT_CLOSE_FALLBACK; fd++)
			(void)close(fd);
	execve(argv[0], argv, envp);
	_exit(127);
}

static void
exec_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct channel	*ch = arg;

	if (ch->pid == 0)
		return;
	ch->killed = 1;
	/* The group first (its children), then the program itself. */
	(void)kill(-ch->pid, SIGKILL);
	(void)kill(ch->pid, SIGKILL);
}

static int
exec_start(struct channel *ch, int64_t id, char *err, size_t errlen)
{
	struct exec_env	 env;
	struct timeval	 tv;
	pid_t		 pid;
	int		 devnull, fd;

	if (ch->argv == NULL || ch->pid != 0) {
		snprintf(err, errlen, "no program to run");
		return -1;
	}
	/* Say plainly when the program cannot run, rather than "status 127" later. */
	if (access(ch->argv[0], X_OK) == -1) {
		snprintf(err, errlen, "cannot run %s: %s", ch->argv[0],
		    strerror(errno));
		return -1;
	}
	memset(&env, 0, sizeof(env));
	env.id = id;
	if (db_events_after(md.db, id - 1, 1, exec_env_event, &env) == -1 ||
	    env.found == -1) {
		exec_env_free(&env);
		snprintf(err, errlen, "cannot read event %lld", (long long)id);
		return -1;
	}
	if (!env.found) {
		snprintf(err, errlen, "event %lld is gone", (long long)id);
		return -1;
	}
	/* Above 2: dup2 onto 0 and 1 must drop O_CLOEXEC. */
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    (devnull = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		exec_env_free(&env);
		return -1;
	}
	close(fd);
	switch ((pid = fork())) {
	case -1:
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(devnull);
		exec_env_free(&env);
		return -1;
	case 0:
		exec_child(ch->argv, env.envp, devnull);
	default:
		break;
	}
	/* Both sides set the group, so that neither order races. */
	(void)setpgid(pid, pid);
	close(devnull);
	exec_env_free(&env);
	ch->pid = pid;
	ch->killed = 0;
	ch->abandoned = 0;
	ch->timeout = alert_timeout();
	tv.tv_sec = ch->timeout;
	tv.tv_usec = 0;
	if (evtimer_add(ch->deadline, &tv) == -1)
		log_warnx("alert exec: cannot arm the deadline of pid %ld",
		    (long)pid);
	log_debug("alert exec: event %lld: started %s (pid %ld), attempt %d",
	    (long long)id, ch->argv[0], (long)pid, ch->attempts);
	return 0;
}

/* SIGCHLD: reap our program, never blocking, and judge its exit. */
static void
exec_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct channel	*ch = &ch_exec;
	char		 why[128];
	pid_t		 r;
	int		 status;

	if (ch->pid == 0)
		return;
	while ((r = waitpid(ch->pid, &status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (r == 0)
		return;		/* another child of ours, or a spurious signal */
	evtimer_del(ch->deadline);
	ch->pid = 0;
	if (r == -1) {
		snprintf(why, sizeof(why), "waitpid: %s", strerror(errno));
		status = -1;
	} else if (ch->killed)
		snprintf(why, sizeof(why), "killed after the %d s timeout",
		    ch->timeout);
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "ended with wait status %d", status);
	if (ch->abandoned) {
		ch->abandoned = 0;
		alert_next(ch);
		return;
	}
	if (ch->state != ALERT_DELIVERING)
		return;
	if (r != -1 && !ch->killed && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		alert_delivered(ch);
	else
		alert_failed(ch, why);
}

/* Stop caring about a running program: kill it; the reaper forgets it. */
static void
exec_abandon(struct channel *ch)
{
	if (ch->pid == 0)
		return;
	ch->abandoned = 1;
	ch->killed = 1;
	evtimer_del(ch->deadline);
	(void)kill(-ch->pid, SIGKILL);
	(void)kill(ch->pid, SIGKILL);
}

/* Our own NULL-terminated copy of the configured argv. */
static char **
exec_argv_copy(const struct cfg_list *l)
{
	char	**v;
	size_t	 i;

	if ((v = calloc(l->n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		if ((v[i] = strdup(l->v[i])) == NULL) {
			while (i > 0)
				free(v[--i]);
			free(v);
			return NULL;
		}
	return v;
}

static void
exec_argv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* --- webhook --------------------------------------------------------- */

static void
webhook_done(const struct fetch_result *fr, void *arg)
{
	struct channel	*ch = arg;
	char		 why[300];

	ch->fetch = NULL;
	if (ch->state != ALERT_DELIVERING)
		return;
	if (fr->ok && !fr->not_modified && fr->http_status >= 200 &&
	    fr->http_status <= 299) {
		alert_delivered(ch);
		return;
	}
	if (fr->ok)
		snprintf(why, sizeof(why), "HTTP %ld", fr->http_status);
	else
		snprintf(why, sizeof(why), "%s", fr->err);
	alert_failed(ch, why);
}

static int
webhook_start(struct channel *ch, int64_t id, char *err, size_t errlen)
{
	struct fetch_req	 req;
	char			*body;
	long			 ms;
	int			 rc;

	if (ch->url == NULL) {
		snprintf(err, errlen, "no URL");
		return -1;
	}
	if ((rc = db_event_json(md.db, id, &body)) != 0) {
		snprintf(err, errlen, rc == 1 ? "event %lld is gone" :
		    "cannot read event %lld", (long long)id);
		return -1;
	}
	ms = (long)alert_timeout() * 1000;
	memset(&req, 0, sizeof(req));
	req.url = ch->url;
	req.timeout_ms = ms;
	req.connect_timeout_ms = ms < 10000 ? ms : 10000;
	req.max_bytes = ALERT_WEBHOOK_REPLY_MAX;
	req.post_body = body;
	req.post_len = strlen(body);
	req.content_type = "application/json";
	ch->fetch = fetch_start(&req, webhook_done, ch);
	free(body);
	if (ch->fetch == NULL) {
		snprintf(err, errlen, "cannot start the transfer");
		return -1;
	}
	log_debug("alert webhook: event %lld: POST, attempt %d",
	    (long long)id, ch->attempts);
	return 0;
}

static void
webhook_abandon(struct channel *ch)
{
	if (ch->fetch != NULL) {
		fetch_cancel(ch->fetch);
		ch->fetch = NULL;
	}
}

/* --- mail (alerts_mail.c) --------------------------------------------- */

/* The event after the cursor, or (cur == cursor) only the hold-down's summaries due now. */
static int
mailch_start(struct channel *ch, int64_t id, char *err, size_t errlen)
{
	return mail_start(id, id <= ch->cursor, err, errlen);
}

static void
mailch_abandon(struct channel *ch)
{
	mail_abandon();
}

void
alerts_mail_done(const char *err)
{
	if (ch_mail.state != ALERT_DELIVERING)
		return;
	if (err == NULL)
		alert_delivered(&ch_mail);
	else
		alert_failed(&ch_mail, err);
}

void
alerts_mail_saved(void)
{
	if (ch_mail.enabled)
		alert_save_cursor(&ch_mail);
}

/* A summary fell due: send it now unless the channel is busy (the attempt under way sends it first). */
void
alerts_mail_kick(void)
{
	struct channel	*ch = &ch_mail;

	if (!ch->enabled || ch->state != ALERT_IDLE)
		return;
	alert_next(ch);
	if (ch->state != ALERT_IDLE)
		return;
	ch->cur = ch->cursor;
	ch->attempts = 0;
	alert_attempt(ch);
}

/* --- configuration ---------------------------------------------------- */

/* Stop a channel: what runs is abandoned; its cursor is forgotten if forget. */
static void
alert_disable(struct channel *ch, int forget)
{
	ch->ops->abandon(ch);
	if (ch->retry != NULL)
		evtimer_del(ch->retry);
	ch->state = ALERT_IDLE;
	ch->cur = 0;
	ch->attempts = 0;
	if (ch->enabled)
		log_info("alert %s: stopped", ch->name);
	ch->enabled = 0;
	exec_argv_free(ch->argv);
	ch->argv = NULL;
	free(ch->url);
	ch->url = NULL;
	if (ch == &ch_mail)
		mail_disable(forget);
	/* A channel configured again later starts from the events of then. */
	if (forget)
		alert_state(ch, 2);
}

/* The cursor of a channel being enabled: the saved one, else the newest event. */
static int
alert_load_cursor(struct channel *ch)
{
	char		*v, *end;
	long long	 n;

	/* A forget that waits for an import has already happened, for us. */
	if (ch->state_wait != 2 &&
	    (v = db_state_get(md.db, ch->key)) != NULL) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == 0 && end != v && *end == '\0' && n >= 0) {
			free(v);
			ch->cursor = n;
			return 0;
		}
		log_warnx("alert %s: bad saved cursor; starting after the "
		    "newest event", ch->name);
		free(v);
	}
	/* First configured: history is not replayed. */
	if (db_event_max_id(md.db, &ch->cursor) == -1)
		return -1;
	alert_save_cursor(ch);
	return 0;
}

/* Follow md.cfg: argv and url copied (a reload frees the old config). */
static void
alert_configure(struct channel *ch)
{
	char	**argv = NULL, *url = NULL;
	int	 want;

	if (ch == &ch_mail)
		want = md.cfg->smtp_url != NULL;
	else if (ch == &ch_exec) {
		want = md.cfg->alert_exec.n > 0;
		if (want && (argv = exec_argv_copy(&md.cfg->alert_exec)) ==
		    NULL) {
			log_warnx("alert exec: out of memory");
			return;
		}
	} else {
		want = md.cfg->alert_webhook != NULL;
		if (want && (url = strdup(md.cfg->alert_webhook)) == NULL) {
			log_warnx("alert webhook: out of memory");
			return;
		}
	}
	if (!want) {
		alert_disable(ch, 1);
		return;
	}
	/* The mail channel's copies of [alerts] (the password among them) live in alerts_mail.c. */
	if (ch == &ch_mail && mail_configure() != 0)
		return;
	if (!ch->enabled) {
		if (alert_load_cursor(ch) == -1) {
			log_warnx("alert %s: cannot read the events; channel "
			    "off", ch->name);
			exec_argv_free(argv);
			free(url);
			return;
		}
		ch->enabled = 1;
		ch->state = ALERT_IDLE;
		ch->delivered = ch->failed = 0;
		ch->last_error[0] = '\0';
		log_info("alert %s: delivering events after %lld", ch->name,
		    (long long)ch->cursor);
	}
	/* A changed program or URL keeps the cursor; an attempt in flight ends as it began. */
	exec_argv_free(ch->argv);
	ch->argv = argv;
	free(ch->url);
	ch->url = url;
	alert_next(ch);
}

void
alerts_init(void)
{
	size_t	 i;

	for (i = 0; i < NCHANNELS; i++)
		if (channels[i]->retry == NULL && (channels[i]->retry =
		    evtimer_new(md.base, alert_retry_cb, channels[i])) == NULL)
			fatalx("alerts: cannot create a timer");
	if (ch_exec.deadline == NULL && (ch_exec.deadline =
	    evtimer_new(md.base, exec_deadline_cb, &ch_exec)) == NULL)
		fatalx("alerts: cannot create a timer");
	if (ev_sigchld == NULL) {
		if ((ev_sigchld = evsignal_new(md.base, SIGCHLD,
		    exec_sigchld_cb, NULL)) == NULL ||
		    evsignal_add(ev_sigchld, NULL) == -1)
			fatalx("alerts: cannot catch SIGCHLD");
	}
	for (i = 0; i < NCHANNELS; i++)
		alert_configure(channels[i]);
}

void
alerts_reconfigure(void)
{
	size_t	 i;

	for (i = 0; i < NCHANNELS; i++)
		alert_configure(channels[i]);
}

void
alerts_wake(void)
{
	size_t	 i;

	for (i = 0; i < NCHANNELS; i++)
		alert_next(channels[i]);
}

void
alerts_shutdown(void)
{
	struct channel	*ch;
	pid_t		 r;
	size_t		 i;

	/* The program is killed and reaped: it was SIGKILLed, so this wait is short. */
	if (ch_exec.pid != 0) {
		(void)kill(-ch_exec.pid, SIGKILL);
		(void)kill(ch_exec.pid, SIGKILL);
		while ((r = waitpid(ch_exec.pid, NULL, 0)) == -1 &&
		    errno == EINTR)
			;
		ch_exec.pid = 0;
	}
	for (i = 0; i < NCHANNELS; i++) {
		ch = channels[i];
		/* Keep the cursors: what is undelivered goes out after a restart. */
		alert_disable(ch, 0);
		if (ch->retry != NULL) {
			event_free(ch->retry);
			ch->retry = NULL;
		}
	}
	if (ch_exec.deadline != NULL) {
		event_free(ch_exec.deadline);
		ch_exec.deadline = NULL;
	}
	if (ev_sigchld != NULL) {
		event_free(ev_sigchld);
		ev_sigchld = NULL;
	}
	/* The mail's memory (its state is saved) and its thread, joined. */
	mail_disable(1);
	mailer_shutdown();
}

int
alerts_status_records(struct buf *b)
{
	struct channel	*ch;
	int64_t		 pending;
	size_t		 i;
	int		 n = 0;
	static const char *const states[] = {
		[ALERT_IDLE] = "idle",
		[ALERT_DELIVERING] = "delivering",
		[ALERT_RETRYING] = "retrying",
	};

	for (i = 0; i < NCHANNELS; i++) {
		ch = channels[i];
		if (!ch->enabled)
			continue;
		if (db_events_count_after(md.db, ch->cursor, &pending) == -1)
			pending = 0;
		lf_str(b, "alert", ch->name);
		lf_str(b, "state", states[ch->state]);
		lf_int(b, "delivered", ch->delivered);
		lf_int(b, "failed", ch->failed);
		lf_int(b, "pending", pending);
		lf_str(b, "last_error", ch->last_error);
		lf_end(b);
		n++;
	}
	return n;
}
