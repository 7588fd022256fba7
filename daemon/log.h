/* log.h: modelregd's logging API: stderr with sd-daemon <N> priority prefixes. */
#ifndef MODELREG_LOG_H
#define MODELREG_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* Levels are syslog priorities: LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7. */
void	 log_init(int level);
void	 log_setlevel(int level);
int	 log_getlevel(void);
int	 log_parse_level(const char *name);	/* "error" "warning" "info" "debug" -> level, or -1 */
const char *log_level_name(int level);

/* Copy src into dst (len bytes) as one line: control bytes become blanks. For messages from outside. */
void	 log_oneline(char *dst, size_t len, const char *src);

void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));	/* adds strerror(errno) */
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_err(const char *, ...) __attribute__((format(printf, 1, 2)));	/* error priority, no exit */
__attribute__((noreturn)) void fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
