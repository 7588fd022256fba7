/* mailer.c: one SMTP transfer at a time on a thread of its own (libcurl waits for the answer to the end of DATA, and to QUIT, in a blocking poll), its end reported to the loop through a pipe. */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "log.h"
#include "mailer.h"
#include "url.h"

/*
 * Why a thread, and not fetch.c's multi handle: libcurl's SMTP (7.88,
 * Debian 12's) sends the end of the message and then waits for the
 * server's reply in smtp_done() with smtp_block_statemach(), a blocking
 * poll of up to the whole timeout, even under the multi interface; QUIT
 * is waited for the same way. A stalled server would freeze the loop.
 * The thread runs curl_easy_perform() on an easy handle nobody else
 * touches; the loop only reads one byte from the pipe and joins it.
 */
struct mailer_job {
	CURL			*easy;
	struct curl_slist	*rcpt;
	struct buf		 msg;		/* wiped before free */
	size_t			 off;
	char			*password;	/* wiped before free */
	atomic_int		 abort;		/* set by the loop: end now */
	int			 cancelled;	/* the loop no longer wants the result */
	mailer_cb		 cb;
	void			*arg;
	long			 timeout_ms;
	struct event		*deadline;	/* the loop's own bound on the thread */
	int			 timed_out;	/* the deadline set abort */
	CURLcode		 code;
	long			 reply;		/* the last SMTP reply code */
	char			 errbuf[CURL_ERROR_SIZE];
	pthread_t		 thread;
};

static struct {
	int			 pipe[2];
	struct event		*ev;
	struct mailer_job	*job;		/* the one running, cancelled or not */
} ml = { .pipe = { -1, -1 } };

static void
mailer_job_free(struct mailer_job *j)
{
	if (j == NULL)
		return;
	if (j->deadline != NULL)
		event_free(j->deadline);
	if (j->easy != NULL)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->rcpt);
	if (j->msg.data != NULL)
		explicit_bzero(j->msg.data, j->msg.len);
	buf_free(&j->msg);
	if (j->password != NULL) {
		explicit_bzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j);
}

static size_t
mailer_read_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct mailer_job	*j = arg;
	size_t			 n = size * nitems, left = j->msg.len - j->off;

	if (atomic_load(&j->abort))
		return CURL_READFUNC_ABORT;
	if (n > left)
		n = left;
	memcpy(ptr, j->msg.data + j->off, n);
	j->off += n;
	return n;
}

/* Also called from libcurl's blocking waits: the loop's cancel ends them within a second. */
static int
mailer_progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct mailer_job	*j = arg;

	return atomic_load(&j->abort) ? 1 : 0;
}

static void *
mailer_thread(void *arg)
{
	struct mailer_job	*j = arg;
	char			 c = 1;

	j->code = curl_easy_perform(j->easy);
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->reply);
	/* Here, not on the loop: closing the connection waits for QUIT's reply. */
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
	while (write(ml.pipe[1], &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

/* One line for STATUS and the log: curl's words, any URL in them redacted. */
static void
mailer_explain(struct mailer_job *j, char *err, size_t errlen)
{
	char	 raw[CURL_ERROR_SIZE + 64], t[32];
	size_t	 i;

	if (j->code == CURLE_OPERATION_TIMEDOUT || j->timed_out) {
		if (j->timeout_ms % 1000 == 0)
			snprintf(t, sizeof(t), "%ld s", j->timeout_ms / 1000);
		else
			snprintf(t, sizeof(t), "%ld ms", j->timeout_ms);
		snprintf(err, errlen, "timed out after %s", t);
		return;
	}
	snprintf(raw, sizeof(raw), "%s", j->errbuf[0] != '\0' ? j->errbuf :
	    curl_easy_strerror(j->code));
	for (i = 0; raw[i] != '\0'; i++)
		if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f)
			raw[i] = ' ';
	while (i > 0 && (raw[i - 1] == ' ' || raw[i - 1] == '.'))
		raw[--i] = '\0';
	/* curl's text does not always carry the server's code: add it. */
	if (j->reply >= 400 && j->reply <= 599) {
		snprintf(t, sizeof(t), "%ld", j->reply);
		if (strstr(raw, t) == NULL && i + strlen(t) + 12 < sizeof(raw))
			snprintf(raw + i, sizeof(raw) - i, " (SMTP %s)", t);
	}
	url_redact_text(raw, err, errlen);
}

/*
 * curl 7.88 bounds its wait for the reply to the end of DATA by the
 * server response timeout, not by CURLOPT_TIMEOUT: we set both, and this
 * makes sure. The thread sees abort at its next progress call (a second).
 */
static void
mailer_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailer_job	*j = arg;

	j->timed_out = 1;
	atomic_store(&j->abort, 1);
}

static void
mailer_pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailer_job	*j = ml.job;
	char			 c, err[256];

	while (read(ml.pipe[0], &c, 1) == -1 && errno == EINTR)
		;
	if (j == NULL)
		return;
	pthread_join(j->thread, NULL);
	ml.job = NULL;
	if (!j->cancelled) {
		err[0] = '\0';
		if (j->code != CURLE_OK)
			mailer_explain(j, err, sizeof(err));
		j->cb(j->code == CURLE_OK, err, j->arg);
	}
	mailer_job_free(j);
}

static int
mailer_init(struct event_base *base)
{
	if (ml.ev != NULL)
		return 0;
	if (pipe(ml.pipe) == -1)
		return -1;
	if (fcntl(ml.pipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(ml.pipe[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    (ml.ev = event_new(base, ml.pipe[0], EV_READ | EV_PERSIST,
	    mailer_pipe_cb, NULL)) == NULL || event_add(ml.ev, NULL) == -1) {
		if (ml.ev != NULL)
			event_free(ml.ev);
		ml.ev = NULL;
		close(ml.pipe[0]);
		close(ml.pipe[1]);
		ml.pipe[0] = ml.pipe[1] = -1;
		return -1;
	}
	return 0;
}

static int
mailer_setup(struct mailer_job *j, const struct mailer_req *req, char *err,
    size_t errlen)
{
	CURL			*e = j->easy;
	CURLcode		 rc, bad = CURLE_OK;
	struct curl_slist	*l;
	struct buf		 b = { 0 };
	size_t			 i;

	for (i = 0; i < req->nrcpt; i++) {
		buf_reset(&b);
		if (buf_printf(&b, "<%s>", req->rcpt[i]) == -1 ||
		    (l = curl_slist_append(j->rcpt, b.data)) == NULL)
			goto oom;
		j->rcpt = l;
	}
	buf_reset(&b);
	if (buf_printf(&b, "<%s>", req->from) == -1)
		goto oom;
#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(e, opt, val)) != CURLE_OK && bad == CURLE_OK) \
		bad = rc;						\
} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_ERRORBUFFER, j->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_VERBOSE, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SET(CURLOPT_TIMEOUT_MS, req->timeout_ms);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (req->timeout_ms + 999) / 1000);
	SET(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	/* A mail now and then: a fresh connection each time, closed with QUIT. */
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_MAIL_FROM, b.data);		/* curl copies it */
	SET(CURLOPT_MAIL_RCPT, j->rcpt);
	/* One mistyped address must not silence the alerts of everyone else. */
#if LIBCURL_VERSION_NUM >= 0x080200	/* 8.2.0 */
	SET(CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#elif LIBCURL_VERSION_NUM >= 0x074500	/* 7.69.0 */
	SET(CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, mailer_read_cb);
	SET(CURLOPT_READDATA, j);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->msg.len);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, mailer_progress_cb);
	SET(CURLOPT_XFERINFODATA, j);
	SET(CURLOPT_USE_SSL, req->require_tls ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_TRY);
	if (req->cafile != NULL)
		SET(CURLOPT_CAINFO, req->cafile);
	if (req->user != NULL) {
		SET(CURLOPT_USERNAME, req->user);
		SET(CURLOPT_PASSWORD, j->password != NULL ? j->password : "");
	}
#undef SET
	buf_free(&b);
	if (bad != CURLE_OK) {
		snprintf(err, errlen, "cannot set up the transfer: %s",
		    curl_easy_strerror(bad));
		return -1;
	}
	return 0;
oom:
	buf_free(&b);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
mailer_start(struct event_base *base, const struct mailer_req *req,
    mailer_cb cb, void *arg, char *err, size_t errlen)
{
	struct mailer_job	*j;
	struct timeval		 tv;
	sigset_t		 all, old;
	int			 rc;

	if (ml.job != NULL) {
		snprintf(err, errlen, "the previous transfer is still ending");
		return -1;
	}
	if (mailer_init(base) == -1) {
		snprintf(err, errlen, "cannot create a pipe: %s",
		    strerror(errno));
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->cb = cb;
	j->arg = arg;
	j->timeout_ms = req->timeout_ms;
	atomic_init(&j->abort, 0);
	if (buf_append(&j->msg, req->msg, req->msg_len) == -1 ||
	    (req->password != NULL &&
	    (j->password = strdup(req->password)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((j->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot create a transfer");
		goto fail;
	}
	if (mailer_setup(j, req, err, errlen) == -1)
		goto fail;
	tv.tv_sec = req->timeout_ms / 1000;
	tv.tv_usec = (req->timeout_ms % 1000) * 1000;
	if ((j->deadline = evtimer_new(base, mailer_deadline_cb, j)) == NULL ||
	    evtimer_add(j->deadline, &tv) == -1) {
		snprintf(err, errlen, "cannot arm a timer");
		goto fail;
	}
	/* Signals are the loop's: the thread is started with them all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&j->thread, NULL, mailer_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start a thread: %s",
		    strerror(rc));
		goto fail;
	}
	ml.job = j;
	return 0;
fail:
	mailer_job_free(j);
	return -1;
}

void
mailer_cancel(void)
{
	if (ml.job == NULL || ml.job->cancelled)
		return;
	ml.job->cancelled = 1;
	atomic_store(&ml.job->abort, 1);
}

void
mailer_shutdown(void)
{
	struct mailer_job	*j = ml.job;

	if (j != NULL) {
		j->cancelled = 1;
		atomic_store(&j->abort, 1);
		/* Within about a second: the progress callback ends curl's waits. */
		pthread_join(j->thread, NULL);
		mailer_job_free(j);
		ml.job = NULL;
	}
	if (ml.ev != NULL) {
		event_free(ml.ev);
		ml.ev = NULL;
		close(ml.pipe[0]);
		close(ml.pipe[1]);
		ml.pipe[0] = ml.pipe[1] = -1;
	}
}
