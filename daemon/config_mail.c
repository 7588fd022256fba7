/* config_mail.c: the [alerts] mail keys of issue 10 item 3: smtp_url, addresses, event kinds, their whole-file rules, and the password file cfg_load reads. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "config_int.h"

#define MAIL_ADDR_MAX	254	/* RFC 5321's path limit, less the brackets */
#define MAIL_LOCAL_MAX	64
#define SMTP_URL_MAX	1024
#define PASSWORD_MAX	1024	/* bytes of smtp_password_file we accept */

/*
 * The kinds mail_kinds may name: the daemon's events (doc/protocol.md)
 * and issue 10's caps. A name outside this list is surely a typo, and a
 * typo here would silence an alert nobody notices is missing.
 */
static const char *const mail_known_kinds[] = {
	"model.down", "model.degraded", "model.up", "model.zdr_lost",
	"model.removed", "model.delisted", "model.price_increase",
	"model.expiring", "model.expired", "model.activated",
	"model.deactivated", "model.deleted", "model.synced",
	"model.configured", "default.changed", "sync.failed", "sync.held",
	"seed.done", "seed.failed", "alias.conflict", "key.created",
	"key.revoked", "key.rotated", "key.allowed", "key.denied",
	"cap.warning", "cap.exceeded", "cap.reset",
};

/* The issue's default: what someone must act on. */
static const char *const mail_default_kinds[] = {
	"model.down", "model.zdr_lost", "model.removed", "default.changed",
	"cap.exceeded",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 5322 atext, the characters of a dot-atom besides the dots. */
static int
mail_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * A bare address, local@domain: a dot-atom local part and a host name.
 * No display names, comments, quoted local parts or address literals:
 * what goes into MAIL FROM, RCPT TO and the headers is then plain text
 * that cannot carry anything else.
 */
static const char *
mail_check_addr(const char *a)
{
	const char	*at, *p, *label;
	size_t		 len = strlen(a);

	if (len > MAIL_ADDR_MAX)
		return "too long (at most 254 bytes)";
	if ((at = strchr(a, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return "expected one address, like alerts@example.org "
		    "(no display name)";
	if (at == a || (size_t)(at - a) > MAIL_LOCAL_MAX)
		return "the part before \"@\" must be 1 to 64 characters";
	for (p = a; p < at; p++)
		if (!mail_atext((unsigned char)*p) &&
		    !(*p == '.' && p > a && p + 1 < at && p[1] != '.'))
			return "the part before \"@\" may hold letters, digits, "
			    "single dots and !#$%&'*+-/=?^_`{|}~";
	label = at + 1;
	if (*label == '\0')
		return "a domain must follow \"@\"";
	for (p = label; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63 || label[0] == '-' ||
			    p[-1] == '-')
				return "the domain must be a host name, like "
				    "example.org";
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return "the domain must be a host name, like example.org";
	}
	return NULL;
}

static const char *
mail_check_kind(const char *w)
{
	size_t	 i;

	if (strcmp(w, "*") == 0)
		return NULL;
	for (i = 0; i < NELEM(mail_known_kinds); i++)
		if (strcmp(w, mail_known_kinds[i]) == 0)
			return NULL;
	return "not an event kind (see EVENTS in doc/protocol.md; \"*\" "
	    "mails every kind)";
}

const char *
cfg_check_mail_word(int flags, const char *w)
{
	return (flags & F_MAIL) ? mail_check_addr(w) : mail_check_kind(w);
}

/* smtp://host[:port][/domain] or smtps://...; empty: no mail. */
void
cfg_set_smtp_url(struct pctx *c, enum key k, const char *v, char **dst)
{
	const char	*host, *why = NULL, *p;

	if (v[0] == '\0') {
		cfg_set_string(c, dst, NULL);
		return;
	}
	if (strncmp(v, "smtp://", 7) == 0)
		host = v + 7;
	else if (strncmp(v, "smtps://", 8) == 0)
		host = v + 8;
	else {
		host = NULL;
		why = "expected smtp:// or smtps:// (or nothing, for no mail)";
	}
	for (p = v; why == NULL && *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			why = "a url cannot contain blanks or control bytes";
	if (why == NULL && strlen(v) > SMTP_URL_MAX)
		why = "too long (at most 1024 bytes)";
	if (why == NULL && (*host == '\0' || *host == '/' || *host == ':'))
		why = "a host must follow the scheme, like "
		    "smtp://mail.example.org:587";
	/* Userinfo is whatever precedes an "@" before the path. */
	if (why == NULL && (p = strchr(host, '@')) != NULL &&
	    (strchr(host, '/') == NULL || p < strchr(host, '/')))
		why = "no user or password in the url: use smtp_user and "
		    "smtp_password_file";
	if (why == NULL && strpbrk(host, "?#") != NULL)
		why = "no query or fragment in an SMTP url";
	if (why != NULL) {
		/* Not shown: it may hold a password pasted by mistake. */
		pctx_error(c, c->lineno, "bad %s: %s (the value is not shown, "
		    "in case it holds a secret)", cfg_keys[k].name, why);
		return;
	}
	cfg_set_string(c, dst, v);
}

void
cfg_set_mail_addr(struct pctx *c, enum key k, const char *v, char **dst)
{
	char		 shown[CFG_SHOW_MAX];
	const char	*why;

	if (v[0] == '\0') {
		cfg_set_string(c, dst, NULL);
		return;
	}
	if ((why = mail_check_addr(v)) != NULL) {
		pctx_error(c, c->lineno, "bad %s \"%s\": %s", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v), why);
		return;
	}
	cfg_set_string(c, dst, v);
}

/* One line of printable text (smtp_user): no control bytes. */
void
cfg_set_text(struct pctx *c, enum key k, const char *v, char **dst)
{
	char		 shown[CFG_SHOW_MAX];
	const char	*p;

	if (v[0] == '\0') {
		cfg_set_string(c, dst, NULL);
		return;
	}
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (*p != '\0' || strlen(v) > (size_t)cfg_keys[k].max) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected at most %ld "
		    "bytes of text without control characters",
		    cfg_keys[k].name, cfg_show(shown, sizeof(shown), v),
		    cfg_keys[k].max);
		return;
	}
	cfg_set_string(c, dst, v);
}

/*
 * The mail keys together: a server needs a sender and recipients, a user
 * its password and the reverse, and a key of mail without smtp_url is a
 * mistake (an explicitly empty smtp_url turns mail off and quiets this).
 */
void
cfg_check_mail(struct pctx *c)
{
	static const enum key	 needs_url[] = {
		K_AL_MAIL_FROM, K_AL_MAIL_TO, K_AL_SMTP_USER,
		K_AL_SMTP_PASSWORD_FILE, K_AL_SMTP_CA_FILE, K_AL_MAIL_KINDS,
		K_AL_FLAP_WINDOW,
	};
	struct config		*cfg = c->cfg;
	struct cfg_list		*l = &cfg->mail_kinds;
	size_t			 i;

	if (cfg->smtp_url == NULL) {
		if (c->seen[K_AL_SMTP_URL])
			return;
		for (i = 0; i < NELEM(needs_url); i++)
			if (c->seen[needs_url[i]])
				pctx_error(c, c->seen[needs_url[i]], "%s is set "
				    "but smtp_url is not: mail needs an SMTP "
				    "server", cfg_keys[needs_url[i]].name);
		return;
	}
	if (cfg->mail_from == NULL)
		pctx_error(c, c->seen[K_AL_SMTP_URL], "smtp_url is set but "
		    "mail_from is not: say which address the mail comes from");
	if (cfg->mail_to.n == 0)
		pctx_error(c, c->seen[K_AL_MAIL_TO] ? c->seen[K_AL_MAIL_TO] :
		    c->seen[K_AL_SMTP_URL], "smtp_url is set but mail_to "
		    "names nobody: list the addresses to mail");
	if ((cfg->smtp_user == NULL) != (cfg->smtp_password_file == NULL))
		pctx_error(c, cfg->smtp_user != NULL ? c->seen[K_AL_SMTP_USER] :
		    c->seen[K_AL_SMTP_PASSWORD_FILE], "smtp_user and "
		    "smtp_password_file go together: set both, or neither "
		    "for a server without AUTH");
	if (c->seen[K_AL_MAIL_KINDS]) {
		if (l->n == 0)
			pctx_error(c, c->seen[K_AL_MAIL_KINDS], "mail_kinds "
			    "is empty: list the kinds to mail (or \"*\"), or "
			    "remove smtp_url");
		return;
	}
	if ((l->v = calloc(NELEM(mail_default_kinds), sizeof(*l->v))) ==
	    NULL) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < NELEM(mail_default_kinds); i++) {
		if ((l->v[i] = strdup(mail_default_kinds[i])) == NULL) {
			c->oom = 1;
			return;
		}
		l->n++;
	}
}

static void
pw_error(struct cfg_errors *errs, const struct config *cfg, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
pw_error(struct cfg_errors *errs, const struct config *cfg, const char *fmt,
    ...)
{
	char	*m = NULL, why[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* The file's name is not shown: the password itself may be pasted there. */
	if (asprintf(&m, "%s:0: [alerts] smtp_password_file: %s", cfg->path,
	    why) == -1)
		m = NULL;
	if (m != NULL)
		cfg_errors_add(errs, m);
}

/*
 * The password, read as the configuration is loaded (start, SIGHUP,
 * modelregd -t), so that a bad file is refused like a bad key: the daemon
 * does not start, a reload keeps the old configuration. A file others
 * may read or change is refused (group read is fine: the daemon's group).
 */
int
cfg_read_smtp_password(struct config *cfg, struct cfg_errors *errs)
{
	struct stat	 st;
	char		 b[PASSWORD_MAX + 2], mode[16];
	ssize_t		 n;
	size_t		 len = 0, i;
	int		 fd, rv = -1;

	if (cfg->smtp_url == NULL || cfg->smtp_password_file == NULL)
		return 0;
	if ((fd = open(cfg->smtp_password_file, O_RDONLY | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK)) == -1) {
		pw_error(errs, cfg, "cannot open it: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		pw_error(errs, cfg, "%s", "not a regular file");
		goto done;
	}
	if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		snprintf(mode, sizeof(mode), "%04o",
		    (unsigned)(st.st_mode & 07777));
		pw_error(errs, cfg, "others may read or change it (mode %s): "
		    "chmod 600 or 640 it", mode);
		goto done;
	}
	while (len < sizeof(b) - 1) {
		n = read(fd, b + len, sizeof(b) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			pw_error(errs, cfg, "cannot read it: %s",
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > PASSWORD_MAX) {
		pw_error(errs, cfg, "%s", "larger than 1024 bytes");
		goto done;
	}
	if (len > 0 && b[len - 1] == '\n')
		len--;
	if (len > 0 && b[len - 1] == '\r')
		len--;
	b[len] = '\0';
	if (len == 0) {
		pw_error(errs, cfg, "%s", "empty");
		goto done;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f) {
			pw_error(errs, cfg, "%s", "holds control bytes or more "
			    "than one line");
			goto done;
		}
	if ((cfg->smtp_password = strdup(b)) == NULL) {
		pw_error(errs, cfg, "%s", "out of memory");
		goto done;
	}
	rv = 0;
done:
	explicit_bzero(b, sizeof(b));
	close(fd);
	return rv;
}
