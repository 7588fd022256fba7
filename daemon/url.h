/* url.h: URLs as the daemon may show them: userinfo and query values redacted. */
#ifndef MODELREG_URL_H
#define MODELREG_URL_H

#include <stddef.h>

/*
 * Copy url into out (len bytes) as anything outside the config file may
 * show it: "user:password@" becomes "***@", every query value becomes
 * "***" with its name kept ("?key=***&x=***"), a query item without a
 * value becomes "***", and a fragment becomes "#***". Control bytes
 * become blanks. A result longer than len - 1 bytes is cut with "...".
 * Pure; returns out.
 */
char	*url_redact(const char *url, char *out, size_t len);

/*
 * The same for free text such as an error message: every word that holds
 * "://", or a "?" followed later by "=", is redacted as a URL; the rest
 * is copied (control bytes become blanks). Cut with "..." at a word
 * boundary when longer than len - 1 bytes. Pure; returns out.
 */
char	*url_redact_text(const char *text, char *out, size_t len);

#endif
