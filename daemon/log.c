/* log.c: modelregd's logging: one line per message on stderr, with sd-daemon <N> priority prefixes for journald. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "buf.h"
#include "log.h"

static int	 log_level = LOG_INFO;

void
log_init(int level)
{
	log_level = level;
	/* Line-buffered so that journald and tests see whole lines at once. */
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

int
log_parse_level(const char *name)
{
	if (strcasecmp(name, "error") == 0 || strcasecmp(name, "err") == 0)
		return LOG_ERR;
	if (strcasecmp(name, "warning") == 0 || strcasecmp(name, "warn") == 0)
		return LOG_WARNING;
	if (strcasecmp(name, "notice") == 0)
		return LOG_NOTICE;
	if (strcasecmp(name, "info") == 0)
		return LOG_INFO;
	if (strcasecmp(name, "debug") == 0)
		return LOG_DEBUG;
	return -1;
}

const char *
log_level_name(int level)
{
	switch (level) {
	case LOG_ERR:		return "error";
	case LOG_WARNING:	return "warning";
	case LOG_NOTICE:	return "notice";
	case LOG_INFO:		return "info";
	case LOG_DEBUG:		return "debug";
	default:		return "unknown";
	}
}

void
log_oneline(char *dst, size_t len, const char *src)
{
	size_t	 i, n;

	if (len == 0)
		return;
	/* What does not fit is cut at a word, with "...", by buf_fit. */
	if ((n = strlen(src)) >= len) {
		buf_fit(dst, len, "%s", src);
		n = strlen(dst);
	} else
		memcpy(dst, src, n + 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] == 0x7f)
			dst[i] = ' ';
}

/*
 * One write per message: "<N>text\n". Control characters from outside
 * (catalog names, peer input) are shown as '?', so a log line stays one line.
 */
static void
vlog(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char	 msg[2048];
	size_t	 i;

	if (pri > log_level)
		return;
	buf_vfit(msg, sizeof(msg), fmt, ap);
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (errstr != NULL)
		fprintf(stderr, "<%d>%s: %s\n", pri, msg, errstr);
	else
		fprintf(stderr, "<%d>%s\n", pri, msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 e[128];

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_WARNING, e, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 e[128];

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_CRIT, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
