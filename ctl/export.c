/* export.c: modelregctl's export and import (issue 11 item 4): EXPORT's lines to a file or stdout; a file sent as IMPORT's body, and its diff. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "ctl.h"

/* The largest file import sends; the daemon refuses more anyway (doc/export.md). */
#define IMPORT_MAX_BYTES	(64L * 1024 * 1024)

/* Write all of b to fd: 0, or -1 (errno). */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * export [--output FILE]: the records' json= values, a line each, are
 * the file. With --output it is written to FILE.XXXXXX next to FILE and
 * renamed over it once whole, so a failed export leaves FILE as it was.
 */
int
run_export(struct ctl *ctl)
{
	struct buf	 req = { 0 }, text = { 0 };
	struct reply	 r;
	struct record	*recs;
	const char	*out = ctl->opt[O_OUTPUT], *v;
	char		 tmp[PATH_MAX];
	int		 i, rv, fd = STDOUT_FILENO;

	if (buf_puts(&req, "EXPORT\n") == -1) {
		ctl_warn("building the request");
		return CTL_EXIT_USAGE;
	}
	rv = ctl_request(ctl, &req, &r);
	buf_free(&req);
	if (rv != CTL_EXIT_OK) {
		reply_free(&r);	/* ctl_request has said why */
		return rv;
	}
	if ((recs = records_parse(ctl, &r)) == NULL) {
		reply_free(&r);
		return CTL_EXIT_CONN;
	}
	for (i = 0; i < r.n; i++) {
		if ((v = record_get(&recs[i], "json")) == NULL) {
			ctl_warnx("%s: record %d of the export has no json=",
			    ctl->socket, i + 1);
			rv = CTL_EXIT_CONN;
			break;
		}
		if (buf_puts(&text, v) == -1 || buf_putc(&text, '\n') == -1) {
			ctl_warn("reading the export");
			rv = CTL_EXIT_CONN;
			break;
		}
	}
	for (i = 0; i < r.n; i++)
		record_free(&recs[i]);
	free(recs);
	reply_free(&r);
	if (rv != CTL_EXIT_OK) {
		buf_free(&text);
		return rv;
	}
	if (out != NULL) {
		if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >=
		    (int)sizeof(tmp)) {
			ctl_warnx("%s: name too long", out);
			buf_free(&text);
			return CTL_EXIT_USAGE;
		}
		if ((fd = mkstemp(tmp)) == -1) {
			ctl_warn("%s", tmp);
			buf_free(&text);
			return CTL_EXIT_ERR;
		}
		(void)fchmod(fd, 0644);
	}
	if (write_all(fd, text.data != NULL ? text.data : "", text.len) == -1 ||
	    (out != NULL && (fsync(fd) == -1 || close(fd) == -1))) {
		ctl_warn("%s", out != NULL ? out : "stdout");
		if (out != NULL)
			(void)unlink(tmp);
		buf_free(&text);
		return CTL_EXIT_ERR;
	}
	buf_free(&text);
	if (out != NULL && rename(tmp, out) == -1) {
		ctl_warn("%s", out);
		(void)unlink(tmp);
		return CTL_EXIT_ERR;
	}
	return CTL_EXIT_OK;
}

/* Read the whole file (at most IMPORT_MAX_BYTES) into b: 0, or -1 (printed). */
static int
read_file(const char *path, struct buf *b)
{
	struct stat	 sb;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ctl_warn("%s", path);
		return -1;
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size > IMPORT_MAX_BYTES) {
		ctl_warnx("%s: larger than 64 MiB (%lld bytes): the daemon takes "
		    "at most %ld", path, (long long)sb.st_size, IMPORT_MAX_BYTES);
		goto fail;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			ctl_warn("%s", path);
			goto fail;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > IMPORT_MAX_BYTES) {
			ctl_warnx("%s: larger than 64 MiB: the daemon takes at "
			    "most %ld bytes", path, IMPORT_MAX_BYTES);
			goto fail;
		}
		if (buf_append(b, chunk, (size_t)n) == -1) {
			ctl_warn("%s", path);
			goto fail;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (b->len == 0) {
		ctl_warnx("%s: empty file", path);
		return -1;
	}
	return 0;
 fail:
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}

static void
put_value(struct buf *b, const struct record *r, const char *key)
{
	const char	*v = record_get(r, key);

	if (v == NULL || v[0] == '\0')
		buf_puts(b, "(none)");
	else
		out_sanitize(b, v, strlen(v));
}

/* One change line: "model gpt-4o: status: inactive -> active". */
static void
import_item_text(struct buf *b, const struct record *r, int dry)
{
	const char	*outcome = record_get(r, "outcome");
	const char	*field = record_get(r, "field");

	put_value(b, r, "kind");
	buf_putc(b, ' ');
	put_value(b, r, "name");
	if (outcome != NULL && strcmp(outcome, "created") == 0)
		buf_printf(b, ": %s", dry ? "would be created" : "created");
	else if (outcome != NULL && strcmp(outcome, "synced") == 0)
		buf_printf(b, ": %s from the catalog", dry ? "would be synced" :
		    "synced");
	else if (outcome != NULL && strcmp(outcome, "skipped") == 0) {
		buf_puts(b, ": skipped: ");
		put_value(b, r, "reason");
	} else {
		buf_puts(b, ": ");
		if (field != NULL)
			out_sanitize(b, field, strlen(field));
		buf_puts(b, ": ");
		put_value(b, r, "old");
		buf_puts(b, " -> ");
		put_value(b, r, "new");
	}
	buf_putc(b, '\n');
}

static int
render_import(const struct ctl *ctl, struct record *recs, int n)
{
	struct buf	 b = { 0 };
	const char	*v;
	int		 i, dry, changed;

	if (n < 1 || record_get(&recs[0], "changed") == NULL) {
		ctl_warnx("%s: the import's reply has no summary", ctl->socket);
		return CTL_EXIT_CONN;
	}
	dry = (v = record_get(&recs[0], "dry_run")) != NULL &&
	    strcmp(v, "true") == 0;
	changed = atoi(record_get(&recs[0], "changed"));
	if (ctl->json) {
		buf_puts(&b, "{\"summary\": ");
		out_record_object(&b, &recs[0], NULL);
		buf_puts(&b, ", \"changes\": [");
		for (i = 1; i < n; i++) {
			buf_puts(&b, i > 1 ? ",\n  " : "\n  ");
			out_record_object(&b, &recs[i], NULL);
		}
		buf_puts(&b, n > 1 ? "\n]}\n" : "]}\n");
		out_flush(&b);
		return CTL_EXIT_OK;
	}
	for (i = 1; i < n; i++)
		import_item_text(&b, &recs[i], dry);
	if (changed == 0)
		buf_puts(&b, "nothing changed: the registry already holds these "
		    "decisions\n");
	else
		buf_printf(&b, "%d change%s%s\n", changed, changed == 1 ? "" : "s",
		    dry ? " (dry run: nothing was changed)" : "");
	/* Issue 11 item 5: the history row, digits only (what the daemon sends). */
	if ((v = record_get(&recs[0], "history")) != NULL && v[0] != '\0' &&
	    strspn(v, "0123456789") == strlen(v) && strlen(v) < 20)
		buf_printf(&b, "history entry %s: modelregctl undo %s reverses "
		    "it\n", v, v);
	if ((v = record_get(&recs[0], "skipped")) != NULL && atoi(v) > 0)
		buf_printf(&b, "%d item%s skipped\n", atoi(v),
		    atoi(v) == 1 ? "" : "s");
	out_flush(&b);
	return CTL_EXIT_OK;
}

/*
 * import FILE [--dry-run] [--strict]: "IMPORT size=N ..." on its own;
 * the daemon answers OK 0 when it will take the body (else ERR, and no
 * byte of it is sent), then the file's N bytes, then the diff.
 */
int
run_import(struct ctl *ctl)
{
	struct buf	 file = { 0 }, req = { 0 };
	struct conn	 c;
	struct reply	 r;
	struct record	*recs;
	char		 size[32];
	int		 i, rv;

	if (read_file(ctl->argv[0], &file) == -1)
		return CTL_EXIT_ERR;
	snprintf(size, sizeof(size), "%zu", file.len);
	if (buf_puts(&req, ctl->cmd->verb) == -1) {
		ctl_warn("building the request");
		buf_free(&file);
		return CTL_EXIT_USAGE;
	}
	req_word(&req, "size", size, ctl->cmd, 0);
	req_options(ctl, ctl->cmd, &req);
	req_end(&req);
	memset(&r, 0, sizeof(r));
	if ((rv = client_connect(&c, ctl->socket)) < 0) {
		buf_free(&file);
		buf_free(&req);
		return rv == -2 ? CTL_EXIT_DENIED : CTL_EXIT_CONN;
	}
	rv = CTL_EXIT_CONN;
	if (client_send(&c, req.data, req.len) == 0 &&
	    client_read_reply(&c, &r, 0) == 0) {
		if (!r.ok)
			rv = reply_error(&r);
		else {
			reply_free(&r);
			memset(&r, 0, sizeof(r));
			if (client_send(&c, file.data, file.len) == 0 &&
			    client_read_reply(&c, &r, 0) == 0)
				rv = r.ok ? CTL_EXIT_OK : reply_error(&r);
		}
	}
	client_close(&c);
	buf_free(&file);
	buf_free(&req);
	if (rv == CTL_EXIT_OK) {
		if ((recs = records_parse(ctl, &r)) == NULL)
			rv = CTL_EXIT_CONN;
		else {
			rv = render_import(ctl, recs, r.n);
			for (i = 0; i < r.n; i++)
				record_free(&recs[i]);
			free(recs);
		}
	}
	reply_free(&r);
	return rv;
}
