/* daemon.h: modelregd's process-wide state, owned by modelregd.c. */
#ifndef MODELREG_DAEMON_H
#define MODELREG_DAEMON_H

#include <stdint.h>
#include <sqlite3.h>

struct event_base;
struct config;

struct modelregd {
	struct event_base	*base;
	struct config		*cfg;		/* current config; replaced whole on reload */
	sqlite3			*db;
	const char		*config_path;	/* -c, or NULL for the default */
	int64_t			 started;	/* unix time */
	int			 verbose;	/* -v count */
};

extern struct modelregd md;

/* Reload the config (SIGHUP and RELOAD). 0 ok; -1 and err set: old config kept. */
int	 daemon_reload(char *err, size_t errlen);
/* Ask the loop to stop (SIGTERM, SIGINT). */
void	 daemon_stop(void);
/* Tell systemd what we do, when NOTIFY_SOCKET is set: sd_notifyf(0, "STATUS=...") */
void	 daemon_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
