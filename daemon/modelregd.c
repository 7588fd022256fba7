/* modelregd.c: the daemon's entry point: options, config, the event loop, signals, systemd notification. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "access.h"
#include "catalog_sync.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "expiry.h"
#include "caps.h"
#include "fetch.h"
#include "import.h"
#include "keysecret.h"
#include "log.h"
#include "metrics.h"
#include "reg_cursor.h"
#include "resolve_batch.h"
#include "usage.h"
#include "registry.h"
#include "seed.h"
#include "uptime.h"
#include "zdr.h"

struct modelregd md;

static struct event	*ev_sigterm, *ev_sigint, *ev_sighup, *ev_watchdog;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: modelregd [-tvVh] [-c file]\n"
	    "  -c file  configuration file (default %s;\n"
	    "           built-in defaults when it does not exist)\n"
	    "  -t       check the configuration and exit\n"
	    "  -v       more logging (debug)\n"
	    "  -V       print the version and exit\n"
	    "  -h       this help\n", MODELREG_CONFIG);
	exit(status);
}

void
daemon_status(const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", msg);
}

/*
 * Load the configuration: the -c file, else the default file if it
 * exists, else the built-in defaults. NULL and every problem in errs
 * when the file is bad.
 */
static struct config *
daemon_load_config(struct cfg_errors *errs)
{
	if (md.config_path != NULL)
		return cfg_load(md.config_path, errs);
	if (access(MODELREG_CONFIG, F_OK) == 0)
		return cfg_load(MODELREG_CONFIG, errs);
	return cfg_default();
}

/* Join a config's problems into one line for a reply or the log. */
static void
daemon_join_errors(const struct cfg_errors *errs, char *out, size_t len)
{
	size_t	 i, o = 0;

	out[0] = '\0';
	for (i = 0; i < errs->n && o + 1 < len; i++) {
		int n = snprintf(out + o, len - o, "%s%s", i ? "; " : "",
		    errs->msg[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/*
 * Warn about [access] entries that name no account on this machine: on
 * stderr as file:line lines for -t, else in the log. Not an error.
 */
static void
daemon_warn_accounts(const struct config *cfg, int checkonly)
{
	struct cfg_errors	 warn = { 0 };
	size_t			 i;

	if (access_check_accounts(cfg, &warn) == -1)
		log_warnx("checking the [access] accounts: out of memory");
	for (i = 0; i < warn.n; i++) {
		if (checkonly)
			fprintf(stderr, "%s\n", warn.msg[i]);
		else
			log_warnx("%s", warn.msg[i]);
	}
	cfg_errors_free(&warn);
}

/* Keep a string setting of the running daemon when a reload cannot change it. */
static void
daemon_keep(char **newv, const char *oldv, const char *what)
{
	if ((*newv == NULL && oldv == NULL) ||
	    (*newv != NULL && oldv != NULL && strcmp(*newv, oldv) == 0))
		return;
	log_warnx("reload: [daemon] %s changes only at restart; keeping %s",
	    what, oldv ? oldv : "(none)");
	free(*newv);
	*newv = oldv ? strdup(oldv) : NULL;
}

int
daemon_reload(char *err, size_t errlen)
{
	struct cfg_errors	 errs = { 0 };
	struct config		*ncfg, *old;
	size_t			 i;

	sd_notify(0, "RELOADING=1\nSTATUS=Reloading configuration");
	if ((ncfg = daemon_load_config(&errs)) == NULL) {
		daemon_join_errors(&errs, err, errlen);
		for (i = 0; i < errs.n; i++)
			log_warnx("reload refused: %s", errs.msg[i]);
		log_warnx("reload refused: the old configuration stays in "
		    "force");
		cfg_errors_free(&errs);
		sd_notify(0, "READY=1\nSTATUS=Reload refused; running with the "
		    "old configuration");
		return -1;
	}
	cfg_errors_free(&errs);
	daemon_warn_accounts(ncfg, 0);
	old = md.cfg;
	/* The socket and the database are held open: they need a restart. */
	daemon_keep(&ncfg->socket, old->socket, "socket");
	daemon_keep(&ncfg->database, old->database, "database");
	if (ncfg->socket_mode != old->socket_mode) {
		log_warnx("reload: [daemon] socket_mode changes only at "
		    "restart");
		ncfg->socket_mode = old->socket_mode;
	}
	if (ncfg->socket == NULL || ncfg->database == NULL) {
		snprintf(err, errlen, "out of memory");
		cfg_free(ncfg);
		sd_notify(0, "READY=1");
		return -1;
	}
	md.cfg = ncfg;
	log_setlevel(md.verbose ? LOG_DEBUG : ncfg->log_level);
	control_reconfigure();
	seed_reconfigure();
	events_reconfigure();
	catalog_sync_reconfigure();
	zdr_reconfigure();
	uptime_reconfigure();
	expiry_reconfigure();
	metrics_reconfigure();
	caps_reconfigure();	/* issue 10 */
	cfg_free(old);
	log_info("configuration reloaded from %s", md.cfg->path);
	sd_notify(0, "READY=1\nSTATUS=Serving; configuration reloaded");
	return 0;
}

void
daemon_stop(void)
{
	event_base_loopbreak(md.base);
}

static void
daemon_signal(evutil_socket_t sig, short ev, void *arg)
{
	char	 err[512];

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d, stopping", (int)sig);
		daemon_stop();
		break;
	case SIGHUP:
		log_info("received SIGHUP, reloading the configuration");
		(void)daemon_reload(err, sizeof(err));
		break;
	}
}

static void
daemon_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

/* The database's folder: made if missing (outside systemd's StateDirectory). */
static void
daemon_make_dbdir(const char *path)
{
	char	*copy, *dir;

	if (strcmp(path, ":memory:") == 0 || (copy = strdup(path)) == NULL)
		return;
	dir = dirname(copy);
	if (mkdir(dir, 0750) == 0)
		log_info("created %s", dir);
	free(copy);
}

int
main(int argc, char *argv[])
{
	struct cfg_errors	 errs = { 0 };
	struct reg_counts	 rc;
	struct timeval		 tv;
	uint64_t		 wd_usec;
	char			 err[512];
	int			 ch, checkonly = 0;
	size_t			 i;

	/* Before anything calls SQLite (issue 11: no memory statistics). */
	(void)db_library_init();
	while ((ch = getopt(argc, argv, "c:thvV")) != -1) {
		switch (ch) {
		case 'c':
			md.config_path = optarg;
			break;
		case 't':
			checkonly = 1;
			break;
		case 'v':
			md.verbose++;
			break;
		case 'V':
			printf("modelregd %s\n", MODELREG_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	log_init(md.verbose ? LOG_DEBUG : LOG_INFO);
	if ((md.cfg = daemon_load_config(&errs)) == NULL) {
		/* Plain file:line lines, as compilers print them. */
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		cfg_errors_free(&errs);
		if (!checkonly)
			fprintf(stderr, "modelregd: configuration invalid, "
			    "not starting\n");
		return 1;
	}
	cfg_errors_free(&errs);
	if (checkonly) {
		daemon_warn_accounts(md.cfg, 1);
		fprintf(stderr, "%s: configuration OK\n", md.cfg->path);
		cfg_free(md.cfg);
		return 0;
	}
	log_setlevel(md.verbose ? LOG_DEBUG : md.cfg->log_level);
	daemon_warn_accounts(md.cfg, 0);

	signal(SIGPIPE, SIG_IGN);
	md.started = (int64_t)time(NULL);
	if ((md.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");

	daemon_make_dbdir(md.cfg->database);
	if ((md.db = db_open(md.cfg->database)) == NULL)
		fatalx("cannot open the database %s", md.cfg->database);
	/* What a seed left when the daemon stopped before building it (db_import.c). */
	if (reg_seed_finish(md.db, err, sizeof(err)) != REG_OK)
		log_warnx("%s; searching reads every model until they are", err);
	if (fetch_init(md.base) == -1)
		fatalx("cannot initialise libcurl");
	if (control_init(md.cfg->socket, md.cfg->socket_mode, err,
	    sizeof(err)) == -1)
		fatalx("control socket: %s", err);
	if (control_listen() == -1)
		fatalx("cannot listen on the control socket");

	ev_sigterm = evsignal_new(md.base, SIGTERM, daemon_signal, NULL);
	ev_sigint = evsignal_new(md.base, SIGINT, daemon_signal, NULL);
	ev_sighup = evsignal_new(md.base, SIGHUP, daemon_signal, NULL);
	if (ev_sigterm == NULL || ev_sigint == NULL || ev_sighup == NULL ||
	    evsignal_add(ev_sigterm, NULL) == -1 ||
	    evsignal_add(ev_sigint, NULL) == -1 ||
	    evsignal_add(ev_sighup, NULL) == -1)
		fatalx("cannot install signal handlers");

	/* Ping the watchdog at half its interval, as sd_watchdog_enabled(3) advises. */
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		ev_watchdog = event_new(md.base, -1, EV_PERSIST, daemon_watchdog,
		    NULL);
		tv.tv_sec = (time_t)(wd_usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(wd_usec / 2 % 1000000);
		if (ev_watchdog == NULL || event_add(ev_watchdog, &tv) == -1)
			fatalx("cannot arm the watchdog timer");
		sd_notify(0, "WATCHDOG=1");
		log_debug("watchdog every %llu us",
		    (unsigned long long)(wd_usec / 2));
	}

	if (reg_counts(md.db, &rc) != REG_OK)
		fatalx("cannot read the registry");
	log_info("modelregd %s started: %s, %lld models, socket %s%s",
	    MODELREG_VERSION, md.cfg->database, (long long)rc.models,
	    control_path(), control_activated() ? " (from systemd)" : "");
	events_init();
	import_init();
	seed_init();
	catalog_sync_init();
	zdr_init();
	uptime_init();
	expiry_init();
	caps_init();	/* issue 10: periods that ended while the daemon was down */
	resolve_batch_init();	/* issue 9: sessions and counts read back */
	if (metrics_init() == -1)	/* issue 10: [metrics] listen */
		fatalx("cannot serve the metrics on %s", md.cfg->metrics_listen);
	usage_init();		/* issue 10: USAGE's group commit */
	sd_notifyf(0, "READY=1\nSTATUS=Serving %lld models on %s",
	    (long long)rc.models, control_path());

	event_base_dispatch(md.base);

	sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	metrics_shutdown();
	import_shutdown();	/* first: its job reports to the seeder */
	resolve_batch_shutdown();	/* the last batch, now that nothing holds the lock */
	usage_shutdown();	/* issue 10: commit and answer the queued reports */
	expiry_shutdown();
	caps_shutdown();
	uptime_shutdown();
	zdr_shutdown();
	catalog_sync_shutdown();
	seed_shutdown();
	events_shutdown();
	control_shutdown();	/* closes the connections' cursors */
	reg_readers_close();
	fetch_shutdown();
	keysecret_cleanup();
	db_close(md.db);
	if (ev_watchdog != NULL)
		event_free(ev_watchdog);
	event_free(ev_sigterm);
	event_free(ev_sigint);
	event_free(ev_sighup);
	event_base_free(md.base);
	log_info("stopped");
	cfg_free(md.cfg);
	return 0;
}
