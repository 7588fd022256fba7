/* test_config.c: unit tests of the modelregd.conf parser (config.c) and of the role mapping (access.c). */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "tap.h"
#include "url.h"

#ifndef TEST_DATADIR
#define TEST_DATADIR "tests/data"
#endif

#define NAME	"t.conf"

static struct cfg_errors errs;

/* Parse text as file "t.conf"; errs holds the problems until the next call. */
static struct config *
parse(const char *text)
{
	cfg_errors_free(&errs);
	return cfg_parse(text, strlen(text), NAME, &errs);
}

static const char *
first_err(void)
{
	return errs.n > 0 ? errs.msg[0] : "(no error)";
}

static void
dump_errs(void)
{
	size_t	 i;

	for (i = 0; i < errs.n; i++)
		printf("#   error: %s\n", errs.msg[i]);
}

/* text must be refused with exactly one problem, starting with want. */
static void
refused(const char *text, const char *want, const char *what)
{
	struct config	*cfg;
	int		 good;

	cfg = parse(text);
	good = cfg == NULL && errs.n == 1 &&
	    strncmp(errs.msg[0], want, strlen(want)) == 0;
	ok(good, "refused: %s", what);
	if (!good) {
		printf("#   want: %s...\n", want);
		dump_errs();
	}
	cfg_free(cfg);
}

/* text must parse cleanly. */
static struct config *
accepted(const char *text, const char *what)
{
	struct config	*cfg;

	cfg = parse(text);
	ok(cfg != NULL && errs.n == 0, "accepted: %s", what);
	if (cfg == NULL || errs.n != 0)
		dump_errs();
	return cfg;
}

static int
list_is(const struct cfg_list *l, const char *const *want, size_t n)
{
	size_t	 i;

	if (l->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(l->v[i], want[i]) != 0)
			return 0;
	return 1;
}

static int
lists_equal(const struct cfg_list *a, const struct cfg_list *b)
{
	return list_is(a, (const char *const *)b->v, b->n);
}

/* Everything but the path is equal. */
static int
same_settings(const struct config *a, const struct config *b)
{
#define STREQ(x, y) (((x) == NULL && (y) == NULL) || \
	((x) != NULL && (y) != NULL && strcmp((x), (y)) == 0))
	return STREQ(a->socket, b->socket) && a->socket_mode == b->socket_mode &&
	    STREQ(a->database, b->database) && a->log_level == b->log_level &&
	    a->have_access == b->have_access &&
	    lists_equal(&a->admin, &b->admin) &&
	    lists_equal(&a->member, &b->member) &&
	    lists_equal(&a->viewer, &b->viewer) &&
	    STREQ(a->seed.url, b->seed.url) && a->seed.format == b->seed.format &&
	    STREQ(a->seed.api_key_file, b->seed.api_key_file) &&
	    lists_equal(&a->always_active, &b->always_active) &&
	    lists_equal(&a->always_inactive, &b->always_inactive) &&
	    a->new_model_active == b->new_model_active &&
	    STREQ(a->default_model, b->default_model) &&
	    a->seed.timeout == b->seed.timeout &&
	    a->seed.retry_min == b->seed.retry_min &&
	    a->seed.retry_max == b->seed.retry_max &&
	    a->seed.max_bytes == b->seed.max_bytes &&
	    STREQ(a->catalog.url, b->catalog.url) &&
	    a->catalog.format == b->catalog.format &&
	    STREQ(a->catalog.api_key_file, b->catalog.api_key_file) &&
	    a->catalog.interval == b->catalog.interval &&
	    a->catalog.timeout == b->catalog.timeout &&
	    a->catalog.retry_min == b->catalog.retry_min &&
	    a->catalog.retry_max == b->catalog.retry_max &&
	    a->catalog.max_bytes == b->catalog.max_bytes &&
	    a->catalog_max_drop == b->catalog_max_drop &&
	    a->catalog_price_increase == b->catalog_price_increase &&
	    a->catalog_expiry_warning == b->catalog_expiry_warning &&
	    STREQ(a->zdr.url, b->zdr.url) &&
	    STREQ(a->zdr.api_key_file, b->zdr.api_key_file) &&
	    a->zdr.interval == b->zdr.interval &&
	    a->zdr.timeout == b->zdr.timeout &&
	    a->zdr.retry_min == b->zdr.retry_min &&
	    a->zdr.retry_max == b->zdr.retry_max &&
	    a->zdr.max_bytes == b->zdr.max_bytes &&
	    a->zdr_enforce == b->zdr_enforce &&
	    a->zdr_max_remove == b->zdr_max_remove &&
	    STREQ(a->uptime.url, b->uptime.url) &&
	    STREQ(a->uptime.api_key_file, b->uptime.api_key_file) &&
	    a->uptime.interval == b->uptime.interval &&
	    a->uptime.timeout == b->uptime.timeout &&
	    a->uptime_green == b->uptime_green &&
	    a->uptime_yellow == b->uptime_yellow &&
	    a->uptime_concurrency == b->uptime_concurrency &&
	    a->uptime_retention == b->uptime_retention &&
	    a->uptime.max_bytes == b->uptime.max_bytes &&
	    lists_equal(&a->alert_exec, &b->alert_exec) &&
	    STREQ(a->alert_webhook, b->alert_webhook) &&
	    a->alert_retries == b->alert_retries &&
	    a->alert_timeout == b->alert_timeout &&
	    lists_equal(&a->default_fallback, &b->default_fallback) &&
	    a->resolve_failover == b->resolve_failover &&
	    a->event_retention == b->event_retention;
#undef STREQ
}

static void
test_defaults(void)
{
	static const char *const aa[] = { "mistral-large-latest",
	    "mistral-medium-latest", "mistral-tiny-latest",
	    "open-mistral-nemo-2407", "pixtral-large-2411" };
	struct config	*d, *cfg;

	d = cfg_default();
	ok(d != NULL, "cfg_default");
	if (d == NULL)
		return;
	is_str(d->path, "(built-in)", "default path");
	ok(d->socket != NULL && d->socket[0] == '/' &&
	    strstr(d->socket, "modelreg/modelregd.sock") != NULL,
	    "default socket %s", d->socket);
	is_int(d->socket_mode, 0660, "default socket_mode");
	ok(d->database != NULL && strstr(d->database, "modelreg/registry.db") != NULL,
	    "default database %s", d->database);
	is_int(d->log_level, LOG_INFO, "default log_level");
	is_int(d->event_retention, 90 * 86400, "default event_retention");
	is_int(d->have_access, 0, "default: no [access]");
	is_int(d->admin.n + d->member.n + d->viewer.n, 0, "default: empty access lists");
	ok(d->seed.url != NULL && strncmp(d->seed.url, "file:///", 8) == 0 &&
	    strstr(d->seed.url, "seed/mistral-models.json") != NULL,
	    "default seed url %s", d->seed.url);
	is_int(d->seed.format, FMT_AUTO, "default format auto");
	ok(d->seed.api_key_file == NULL, "default: no api key file");
	ok(list_is(&d->always_active, aa, 5), "default always_active");
	is_int(d->always_inactive.n, 0, "default always_inactive empty");
	is_int(d->new_model_active, 0, "default new_model_status inactive");
	is_str(d->default_model, "mistral-medium-latest", "default default_model");
	is_int(d->seed.timeout, 30, "default timeout");
	is_int(d->seed.retry_min, 5, "default retry_min");
	is_int(d->seed.retry_max, 600, "default retry_max");
	is_int(d->seed.max_bytes, 32 * 1024 * 1024, "default max_size");

	ok(d->catalog.url == NULL, "default: no catalog");
	is_int(d->catalog.format, FMT_AUTO, "default catalog format auto");
	ok(d->catalog.api_key_file == NULL, "default: no catalog api key");
	is_int(d->catalog.interval, 3600, "default catalog interval");
	is_int(d->catalog.timeout, 30, "default catalog timeout");
	is_int(d->catalog.retry_min, 30, "default catalog retry_min");
	is_int(d->catalog.retry_max, 3600, "default catalog retry_max");
	is_int(d->catalog.max_bytes, 64 * 1024 * 1024, "default catalog max_size");
	is_int(d->catalog_max_drop, 50, "default catalog max_drop");
	is_int(d->catalog_price_increase, 10, "default catalog price_increase");
	is_int(d->catalog_expiry_warning, 14 * 86400, "default catalog expiry_warning 14d");
	ok(d->zdr.url == NULL, "default: no zdr");
	ok(d->zdr.api_key_file == NULL, "default: no zdr api key");
	is_int(d->zdr.interval, 3600, "default zdr interval");
	is_int(d->zdr.timeout, 30, "default zdr timeout");
	is_int(d->zdr.retry_min, 30, "default zdr retry_min");
	is_int(d->zdr.retry_max, 3600, "default zdr retry_max");
	is_int(d->zdr.max_bytes, 16 * 1024 * 1024, "default zdr max_size");
	is_int(d->zdr_enforce, 0, "default zdr enforce no");
	is_int(d->zdr_max_remove, 25, "default zdr max_remove");
	ok(d->uptime.url == NULL, "default: no uptime");
	ok(d->uptime.api_key_file == NULL, "default: no uptime api key");
	is_int(d->uptime.interval, 300, "default uptime interval");
	is_int(d->uptime.timeout, 20, "default uptime timeout");
	is_int(d->uptime_green, 95, "default uptime green");
	is_int(d->uptime_yellow, 80, "default uptime yellow");
	is_int(d->uptime_concurrency, 4, "default uptime concurrency");
	is_int(d->uptime_retention, 90 * 86400, "default uptime retention");
	is_int(d->uptime.max_bytes, 4 * 1024 * 1024, "default uptime max_size");
	ok(d->alert_exec.n == 0 && d->alert_exec.v == NULL, "default: no alert exec");
	ok(d->alert_webhook == NULL, "default: no webhook");
	is_int(d->alert_retries, 5, "default alert retries");
	is_int(d->alert_timeout, 30, "default alert timeout");
	is_int(d->default_fallback.n, 0, "default: empty fallback");
	is_int(d->resolve_failover, 0, "default: no [resolve] failover");

	cfg = accepted("", "empty file");
	ok(cfg != NULL && same_settings(cfg, d), "empty file gives the defaults");
	if (cfg != NULL)
		is_str(cfg->path, NAME, "path is the name given");
	cfg_free(cfg);
	cfg = accepted("# only a comment\n; another\n\n[daemon]\n[seed]\n",
	    "comments and empty sections");
	ok(cfg != NULL && same_settings(cfg, d), "empty sections keep the defaults");
	cfg_free(cfg);
	cfg = accepted("[daemon]\nlog_level = debug\n", "one key");
	ok(cfg != NULL && cfg->log_level == LOG_DEBUG &&
	    cfg->seed.timeout == 30 && cfg->default_model != NULL &&
	    d->always_active.n == cfg->always_active.n,
	    "keys not in the file keep their defaults");
	cfg_free(cfg);
	cfg_free(d);
	cfg_free(NULL);
}

static void
test_every_key(void)
{
	static const char *const admin[] = { "alice", "@wheel" };
	static const char *const member[] = { "bob", "carol", "@staff" };
	static const char *const viewer[] = { "*" };
	static const char *const aa[] = { "openai/gpt-4o",
	    "anthropic/claude-3.5-sonnet:beta" };
	static const char *const ai[] = { "meta-llama/llama-3.1-8b-instruct:free" };
	static const char *const argv[] = { "/usr/local/bin/modelreg-alert",
	    "--channel", "#ops room", "-v" };
	static const char *const fb[] = { "openai/gpt-4o",
	    "anthropic/claude-3.5-sonnet:beta", "mistral-large-latest" };
	struct config	*cfg;

	cfg = cfg_load(TEST_DATADIR "/config-full.conf", &errs);
	ok(cfg != NULL && errs.n == 0, "cfg_load config-full.conf");
	if (cfg == NULL) {
		dump_errs();
		cfg_errors_free(&errs);
		return;
	}
	is_str(cfg->path, TEST_DATADIR "/config-full.conf", "path");
	is_str(cfg->socket, "/tmp/modelreg-test/sock", "socket");
	is_int(cfg->socket_mode, 0600, "socket_mode");
	is_str(cfg->database, "/tmp/modelreg-test/registry.db", "database");
	is_int(cfg->log_level, LOG_DEBUG, "log_level");
	is_int(cfg->event_retention, 365 * 86400, "event_retention");
	is_int(cfg->have_access, 1, "have_access");
	ok(list_is(&cfg->admin, admin, 2), "admin list");
	ok(list_is(&cfg->member, member, 3), "member list over two lines");
	ok(list_is(&cfg->viewer, viewer, 1), "viewer list");
	is_str(cfg->seed.url, "https://models.example.org/v1/models", "url");
	is_int(cfg->seed.format, FMT_OPENROUTER, "format");
	is_str(cfg->seed.api_key_file, "/etc/modelreg/api-key", "api_key_file");
	ok(list_is(&cfg->always_active, aa, 2), "always_active replaces the default");
	ok(list_is(&cfg->always_inactive, ai, 1), "always_inactive");
	is_int(cfg->new_model_active, 1, "new_model_status");
	is_str(cfg->default_model, "openai/gpt-4o", "default_model");
	is_int(cfg->seed.timeout, 60, "timeout");
	is_int(cfg->seed.retry_min, 10, "retry_min");
	is_int(cfg->seed.retry_max, 7200, "retry_max");
	is_int(cfg->seed.max_bytes, 8 * 1024 * 1024, "max_size");

	is_str(cfg->catalog.url, "https://catalog.example.org/api/v1/models",
	    "[catalog] url");
	is_int(cfg->catalog.format, FMT_OPENAI, "[catalog] format");
	is_str(cfg->catalog.api_key_file, "/etc/modelreg/catalog-key",
	    "[catalog] api_key_file");
	is_int(cfg->catalog.interval, 2, "[catalog] interval in seconds");
	is_int(cfg->catalog.timeout, 45, "[catalog] timeout");
	is_int(cfg->catalog.retry_min, 60, "[catalog] retry_min");
	is_int(cfg->catalog.retry_max, 7200, "[catalog] retry_max");
	is_int(cfg->catalog.max_bytes, 128 * 1024 * 1024, "[catalog] max_size");
	is_int(cfg->catalog_max_drop, 30, "[catalog] max_drop with %%");
	is_int(cfg->catalog_price_increase, 0, "[catalog] price_increase 0");
	is_str(cfg->zdr.url, "file:///srv/modelreg/zdr.json", "[zdr] url");
	is_str(cfg->zdr.api_key_file, "/etc/modelreg/zdr-key", "[zdr] api_key_file");
	is_int(cfg->zdr.interval, 900, "[zdr] interval");
	is_int(cfg->zdr.timeout, 10, "[zdr] timeout");
	is_int(cfg->zdr.retry_min, 5, "[zdr] retry_min");
	is_int(cfg->zdr.retry_max, 1800, "[zdr] retry_max");
	is_int(cfg->zdr.max_bytes, 2 * 1024 * 1024, "[zdr] max_size");
	is_int(cfg->zdr_enforce, 1, "[zdr] enforce");
	is_int(cfg->zdr_max_remove, 10, "[zdr] max_remove");
	is_str(cfg->uptime.url,
	    "https://catalog.example.org/api/v1/models/{id}/endpoints",
	    "[uptime] url template");
	is_str(cfg->uptime.api_key_file, "/etc/modelreg/uptime-key",
	    "[uptime] api_key_file");
	is_int(cfg->uptime.interval, 60, "[uptime] interval");
	is_int(cfg->uptime.timeout, 5, "[uptime] timeout");
	is_int(cfg->uptime_green, 99, "[uptime] green");
	is_int(cfg->uptime_yellow, 90, "[uptime] yellow with %%");
	is_int(cfg->uptime_concurrency, 8, "[uptime] concurrency");
	is_int(cfg->uptime_retention, 30 * 86400, "[uptime] retention");
	is_int(cfg->uptime.max_bytes, 512 * 1024, "[uptime] max_size");
	ok(list_is(&cfg->alert_exec, argv, 4), "[alerts] exec split, quotes grouped");
	ok(cfg->alert_exec.v != NULL && cfg->alert_exec.v[4] == NULL,
	    "[alerts] exec argv NULL-terminated");
	is_str(cfg->alert_webhook, "https://hooks.example.org/modelreg",
	    "[alerts] webhook");
	is_int(cfg->alert_retries, 3, "[alerts] retries");
	is_int(cfg->alert_timeout, 10, "[alerts] timeout");
	ok(list_is(&cfg->default_fallback, fb, 3),
	    "[defaults] fallback over three lines, in order");
	cfg_free(cfg);
}

static void
test_values(void)
{
	struct config	*cfg;

	cfg = accepted("[daemon]\nsocket_mode = 660\nlog_level = error\n"
	    "[seed]\nformat = openai\nnew_model_status = inactive\n"
	    "max_size = 1024\ntimeout = 3600\nretry_min = 1d\nretry_max = 7d\n",
	    "more values");
	if (cfg != NULL) {
		is_int(cfg->socket_mode, 0660, "socket_mode without leading 0");
		is_int(cfg->log_level, LOG_ERR, "log_level error");
		is_int(cfg->seed.format, FMT_OPENAI, "format openai");
		is_int(cfg->new_model_active, 0, "new_model_status inactive");
		is_int(cfg->seed.max_bytes, 1024, "max_size in bytes");
		is_int(cfg->seed.timeout, 3600, "timeout at its bound");
		is_int(cfg->seed.retry_min, 86400, "retry_min 1d");
		is_int(cfg->seed.retry_max, 7 * 86400, "retry_max 7d");
	}
	cfg_free(cfg);
	cfg = accepted("[daemon]\nlog_level = warning\n[seed]\nmax_size = 512K\n",
	    "log_level warning, max_size K");
	if (cfg != NULL) {
		is_int(cfg->log_level, LOG_WARNING, "log_level warning");
		is_int(cfg->seed.max_bytes, 512 * 1024, "max_size 512K");
	}
	cfg_free(cfg);
	cfg = accepted("[daemon]\nlog_level = notice\n", "log_level notice");
	if (cfg != NULL)
		is_int(cfg->log_level, LOG_NOTICE, "log_level notice");
	cfg_free(cfg);

	cfg = accepted("[seed]\nurl =\napi_key_file =\ndefault_model =\n",
	    "empty url, api_key_file and default_model");
	if (cfg != NULL) {
		ok(cfg->seed.url == NULL, "url = disables seeding");
		ok(cfg->seed.api_key_file == NULL, "api_key_file = is none");
		ok(cfg->default_model == NULL, "default_model = is none");
	}
	cfg_free(cfg);
	cfg = accepted("[seed]\nurl = file:///srv/seed.json\n", "file:// url");
	if (cfg != NULL)
		is_str(cfg->seed.url, "file:///srv/seed.json", "file url kept");
	cfg_free(cfg);
	cfg = accepted("[seed]\nurl = http://127.0.0.1:8080/v1/models?x=1;y=2\n",
	    "http url with ; (not an inline comment without a blank before it)");
	if (cfg != NULL)
		is_str(cfg->seed.url, "http://127.0.0.1:8080/v1/models?x=1;y=2",
		    "http url kept whole");
	cfg_free(cfg);
	cfg = accepted("[seed]\nformat = mistral ; the default\n"
	    "default_model: pixtral-large-2411\n",
	    "inline comment, and name: value");
	if (cfg != NULL) {
		is_int(cfg->seed.format, FMT_MISTRAL, "inline comment stripped");
		is_str(cfg->default_model, "pixtral-large-2411", "name: value");
	}
	cfg_free(cfg);
	cfg = accepted("[access]\n", "an empty [access] section");
	if (cfg != NULL) {
		is_int(cfg->have_access, 1, "have_access set by an empty [access]");
		is_int(cfg->admin.n + cfg->member.n + cfg->viewer.n, 0,
		    "its lists are empty");
	}
	cfg_free(cfg);
	cfg = accepted("\xef\xbb\xbf[daemon]\r\nlog_level = debug\r\n"
	    "[ seed ]\r\ntimeout = 5\r\n",
	    "byte order mark, CR-LF, blanks inside the brackets");
	if (cfg != NULL) {
		is_int(cfg->log_level, LOG_DEBUG, "value before CR-LF");
		is_int(cfg->seed.timeout, 5, "[ seed ] is [seed]");
	}
	cfg_free(cfg);
	cfg = accepted("[seed]\ntimeout = 5", "last line without a newline");
	if (cfg != NULL)
		is_int(cfg->seed.timeout, 5, "last line read");
	cfg_free(cfg);
	cfg = accepted("[seed]\nretry_min = 10m\nretry_max = 10m\n",
	    "retry_min equal to retry_max");
	cfg_free(cfg);
}

static void
test_lists(void)
{
	static const char *const aa[] = { "a", "b", "c", "d", "e", "f", "g" };
	static const char *const two[] = { "x", "y" };
	struct config	*cfg;

	cfg = accepted("[seed]\n"
	    "always_active = a,b c ,  d,,\n"
	    "\te, f\n"
	    "  ; a comment between continuation lines\n"
	    "\n"
	    "   g ; an inline comment\n"
	    "timeout = 9\n",
	    "list with commas, blanks, continuation lines, comments");
	if (cfg != NULL) {
		ok(list_is(&cfg->always_active, aa, 7), "all seven entries");
		is_int(cfg->seed.timeout, 9, "next key after the list");
	}
	cfg_free(cfg);
	cfg = accepted("[seed]\nalways_active =\n  x\n  y\n",
	    "list starting on the continuation line");
	if (cfg != NULL)
		ok(list_is(&cfg->always_active, two, 2), "entries from continuations");
	cfg_free(cfg);
	cfg = accepted("[seed]\nalways_active = x, y, x\n", "an entry twice");
	if (cfg != NULL)
		ok(list_is(&cfg->always_active, two, 2), "listed once");
	cfg_free(cfg);
	cfg = accepted("[seed]\nalways_active =\n", "an empty list");
	if (cfg != NULL)
		is_int(cfg->always_active.n, 0, "always_active = clears the default");
	cfg_free(cfg);
	cfg = accepted("[access]\nadmin = root\nmember = @adm, @sudo\nviewer = *\n",
	    "access lists");
	if (cfg != NULL) {
		ok(cfg_list_has(&cfg->member, "@sudo"), "cfg_list_has finds @sudo");
		ok(!cfg_list_has(&cfg->member, "@sud"), "cfg_list_has exact match");
		ok(!cfg_list_has(NULL, "x"), "cfg_list_has(NULL)");
	}
	cfg_free(cfg);
}

static void
test_too_many_entries(void)
{
	struct config	*cfg;
	char		*text;
	size_t		 len, cap;
	int		 i, n;

	/* 1024 entries are fine; one more is refused. */
	for (n = 1024; n <= 1025; n++) {
		cap = 32 + (size_t)n * 16;
		if ((text = malloc(cap)) == NULL)
			return;
		len = (size_t)snprintf(text, cap, "[seed]\nalways_active =\n");
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, cap - len, " m%d\n", i);
		cfg = parse(text);
		if (n == 1024)
			ok(cfg != NULL && cfg->always_active.n == 1024,
			    "1024 list entries accepted");
		else
			ok(cfg == NULL && errs.n == 1 && strcmp(errs.msg[0],
			    "t.conf:1027: too many entries in always_active "
			    "(at most 1024)") == 0, "1025 list entries refused: %s",
			    first_err());
		cfg_free(cfg);
		free(text);
	}
}

static void
test_errors(void)
{
	static const char	 withnul[] = "[seed]\ntimeout = 3\0 junk\n";
	struct config		*cfg;

	refused("[daemon]\nlog_level = info\n\n[sources]\nurl = x\n",
	    "t.conf:4: unknown section [sources] (known sections: daemon, access, "
	    "seed, catalog, zdr, uptime, alerts, defaults, resolve, metrics, usage)",
	    "unknown section, its keys not reported again");
	refused("[alert]\n", "t.conf:1: unknown section [alert]", "[alert]");
	refused("[ZDR]\n", "t.conf:1: unknown section [ZDR]: did you mean [zdr]?",
	    "[ZDR] is lower case");
	refused("[Seed]\n", "t.conf:1: unknown section [Seed]: did you mean [seed]?",
	    "section names are lower case");
	refused("[daemon]\n\n# comment\nsocket_path = /x\n",
	    "t.conf:4: unknown key \"socket_path\" in [daemon] (known keys: socket, "
	    "socket_mode, database, log_level, event_retention, max_clients, "
	    "max_clients_per_uid, reserved_clients, request_timeout, "
	    "idle_timeout, reply_budget, cache_size)", "unknown key");
	refused("[seed]\nURL = http://x\n",
	    "t.conf:2: unknown key \"URL\" in [seed]: did you mean \"url\"?",
	    "key names are lower case");
	refused("[access]\nadmins = root\n",
	    "t.conf:2: unknown key \"admins\" in [access]", "unknown key in [access]");
	refused("[daemon]\nsocket = /a\n[seed]\nsocket = /b\n",
	    "t.conf:4: unknown key \"socket\" in [seed]", "key of another section");
	refused("log_level = debug\n[daemon]\n",
	    "t.conf:1: key \"log_level\" outside any section (put it under [daemon])",
	    "key before any section, its section named");
	refused("url = http://x/\n",
	    "t.conf:1: key \"url\" outside any section (put it under its [section] header)",
	    "key of several sections before any section");
	refused("[daemon]\n= x\n", "t.conf:2: missing key name", "empty key name");
	refused("[daemon]\nsocket_mode = 0644\nsocket_mode = 0600\n",
	    "t.conf:3: duplicate key socket_mode in [daemon] (first set at line 2",
	    "scalar key twice");
	refused("[seed]\nalways_active = a\ntimeout = 3\nalways_active = b\n",
	    "t.conf:4: duplicate key always_active in [seed] (first set at line 2",
	    "list key twice");
	refused("[seed]\ntimeout = 3\n[seed]\ntimeout = 4\n",
	    "t.conf:4: duplicate key timeout in [seed] (first set at line 2",
	    "key twice across repeated sections");
	refused("[seed]\ndefault_model = a\n   b\n",
	    "t.conf:3: default_model takes one value: it cannot be continued",
	    "scalar continued");
	refused("[seed]\nalways_active = a\n  always_inactive = b\n",
	    "t.conf:3: indented line continues always_active: a new key must start",
	    "indented key after a list");
	refused("[seed]\nalways_active = a\n  [daemon]\n",
	    "t.conf:3: indented line continues always_active: a [section] header",
	    "indented section header after a list");
	refused("[seed]\nalways_active = a\nthis is not a key\n",
	    "t.conf:3: syntax error: expected \"key = value\"", "line without =");
	refused("[seed\n", "t.conf:1: syntax error: section header without a closing",
	    "section without ]");
	refused("[daemon]\n[seed\nurl = x\n", "t.conf:2: syntax error: section header without",
	    "keys after a broken header are not reported again");
	refused("[seed]\ntimeout = 5\nalways_active = a\x01\n  b\n", "t.conf:3: control character",
	    "no follow-on error after a refused line");
	refused("[seed ; comment]\n", "t.conf:1: syntax error: section header without",
	    "inline comment inside a header");
	refused("[seed] junk\n", "t.conf:1: unexpected text after the section header",
	    "text after a header");
	refused("[seed]\ntimeout = 3\x01\n", "t.conf:2: control character 0x01",
	    "control character");
	cfg_errors_free(&errs);
	cfg = cfg_parse(withnul, sizeof(withnul) - 1, NAME, &errs);
	ok(cfg == NULL && errs.n == 1 &&
	    strcmp(errs.msg[0], "t.conf:2: control character 0x00 in line") == 0,
	    "NUL byte refused: %s", first_err());
	cfg_free(cfg);

	/* Bad values, each named with its line and the accepted values. */
	refused("[daemon]\nsocket = run/x.sock\n",
	    "t.conf:2: bad socket \"run/x.sock\": must be an absolute path",
	    "relative socket");
	refused("[daemon]\nsocket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "t.conf:2: bad socket \"/run/aaa", "socket path longer than sun_path");
	refused("[daemon]\nsocket_mode = 0660x\n",
	    "t.conf:2: bad socket_mode \"0660x\": expected an octal mode from 0000 to 0777",
	    "socket_mode junk");
	refused("[daemon]\nsocket_mode = 01777\n", "t.conf:2: bad socket_mode",
	    "socket_mode above 0777");
	refused("[daemon]\nsocket_mode = 0680\n", "t.conf:2: bad socket_mode",
	    "socket_mode not octal");
	refused("[daemon]\n\ndatabase = registry.db\n",
	    "t.conf:3: bad database \"registry.db\": must be an absolute path",
	    "relative database");
	refused("[daemon]\nlog_level = verbose\n",
	    "t.conf:2: bad log_level \"verbose\": expected error, warning, notice, info or debug",
	    "bad log_level");
	refused("[daemon]\nlog_level = DEBUG\n", "t.conf:2: bad log_level",
	    "log_level is lower case");
	refused("[seed]\nurl = ftp://x/y\n",
	    "t.conf:2: bad url \"ftp://x/y\": expected http://, https:// or file://",
	    "ftp url");
	refused("[seed]\nurl = https://\n", "t.conf:2: bad url", "url without a host");
	refused("[seed]\nurl = file://relative/x.json\n",
	    "t.conf:2: bad url \"file://relative/x.json\": a file:// url needs an absolute path",
	    "file url without an absolute path");
	refused("[seed]\nurl = http://a b\n", "t.conf:2: bad url \"http://a b\": a url cannot contain blanks",
	    "url with a blank");
	refused("[seed]\nformat = json\n",
	    "t.conf:2: bad format \"json\": expected auto, mistral, openrouter or openai",
	    "bad format");
	refused("[seed]\napi_key_file = sk-secret-123\n",
	    "t.conf:2: bad api_key_file: must be an absolute path (the value is not shown",
	    "relative api_key_file");
	ok(strstr(first_err(), "sk-secret") == NULL, "api_key_file value never shown");
	refused("[seed]\nnew_model_status = enabled\n",
	    "t.conf:2: bad new_model_status \"enabled\": expected active or inactive",
	    "bad new_model_status");
	refused("[seed]\ndefault_model = a b\n",
	    "t.conf:2: bad default_model \"a b\": expected one model id",
	    "two default models");
	refused("[seed]\ndefault_model = a\"b\n", "t.conf:2: bad default_model",
	    "default_model with a quote");
	refused("[seed]\ntimeout = 0\n",
	    "t.conf:2: bad timeout \"0\": expected a duration from 1s to 1h, like",
	    "timeout 0");
	refused("[seed]\ntimeout = 2h\n", "t.conf:2: bad timeout", "timeout above 1h");
	refused("[seed]\nretry_min = 5 m\n", "t.conf:2: bad retry_min", "duration with a blank");
	refused("[seed]\nretry_max = 8d\n", "t.conf:2: bad retry_max", "retry_max above 7d");
	refused("[seed]\nretry_min = 10m\nretry_max = 5m\n",
	    "t.conf:3: retry_min (600s) is greater than retry_max (300s) in [seed]",
	    "retry_min above retry_max");
	refused("[seed]\nretry_min = 20m\n",
	    "t.conf:2: retry_min (1200s) is greater than retry_max (600s)",
	    "retry_min above the default retry_max");
	refused("[seed]\nmax_size = 100\n",
	    "t.conf:2: bad max_size \"100\": expected bytes from 1K to 256M",
	    "max_size too small");
	refused("[seed]\nmax_size = 257M\n", "t.conf:2: bad max_size", "max_size too big");
	refused("[seed]\nmax_size = 1G\n", "t.conf:2: bad max_size", "max_size G");
	refused("[seed]\nmax_size = 99999999999999999999999M\n", "t.conf:2: bad max_size",
	    "max_size overflow");
	refused("[access]\nadmin = alice, @\n",
	    "t.conf:2: bad entry \"@\" in admin: \"@\" must be followed by a group name",
	    "@ without a group");
	refused("[access]\nviewer = al*ce\n", "t.conf:2: bad entry \"al*ce\" in viewer",
	    "* inside a name");
	refused("[access]\nmember = a\n\tuid:5\n", "t.conf:3: bad entry \"uid:5\" in member",
	    "uid:N is not a user name");
	refused("[seed]\nalways_inactive = x'y\n", "t.conf:2: bad entry \"x'y\" in always_inactive",
	    "model id with a quote");

	/* Rules across keys. */
	refused("[seed]\nalways_active = a, b\nalways_inactive = c,\n  b\n",
	    "t.conf:4: model \"b\" is in both always_active and always_inactive",
	    "a model in both lists");
	refused("[seed]\nalways_inactive = mistral-large-latest\n",
	    "t.conf:2: model \"mistral-large-latest\" is in both",
	    "a default always_active model made always_inactive");
	refused("[seed]\ndefault_model = x\nalways_inactive = x\n",
	    "t.conf:2: default_model \"x\" is in always_inactive",
	    "default_model always inactive");

	/* All problems, in line order. */
	cfg = parse("[daemon]\nsocket_mode = 8\nbogus = 2\n[seed]\nformat = x\n"
	    "retry_min = 20m\nnot a line\n[nope]\n");
	ok(cfg == NULL && errs.n == 6, "every problem collected (%zu)", errs.n);
	if (errs.n == 6) {
		ok(strncmp(errs.msg[0], "t.conf:2: bad socket_mode", 25) == 0 &&
		    strncmp(errs.msg[1], "t.conf:3: unknown key", 21) == 0 &&
		    strncmp(errs.msg[2], "t.conf:5: bad format", 20) == 0 &&
		    strncmp(errs.msg[3], "t.conf:6: retry_min", 19) == 0 &&
		    strncmp(errs.msg[4], "t.conf:7: syntax error", 22) == 0 &&
		    strncmp(errs.msg[5], "t.conf:8: unknown section", 25) == 0,
		    "in line order");
	} else
		dump_errs();
	cfg_free(cfg);
}

static void
test_too_many_errors(void)
{
	struct config	*cfg;
	char		*text;
	size_t		 i;

	/* 300 bad lines: 100 reported, then one line saying the rest are not. */
	if ((text = malloc(300 * 2 + 1)) == NULL)
		return;
	for (i = 0; i < 300; i++)
		memcpy(text + 2 * i, "x\n", 2);
	text[600] = '\0';
	cfg = parse(text);
	ok(cfg == NULL && errs.n == 101, "errors capped at 100 + 1 (%zu)", errs.n);
	if (errs.n == 101)
		is_str(errs.msg[100], "t.conf:101: too many errors, stopped here",
		    "the last message says so");
	cfg_free(cfg);
	free(text);
}

/* A line of exactly n characters: "default_model = xxx...". */
static char *
line_of(size_t n, const char *before, const char *after)
{
	const char	*key = "default_model = ";
	size_t		 i, klen = strlen(key);
	char		*s;

	if ((s = malloc(strlen(before) + n + strlen(after) + 1)) == NULL)
		return NULL;
	strcpy(s, before);
	strcat(s, key);
	for (i = klen; i < n; i++)
		s[strlen(before) + i] = 'm';
	s[strlen(before) + n] = '\0';
	strcat(s, after);
	return s;
}

static void
test_long_lines(void)
{
	struct config	*cfg;
	char		*t, *longv;
	size_t		 n;

	/* inih is handed 199 characters and our reader drops the terminator: 199 fits. */
	t = line_of(199, "[seed]\n", "\ntimeout = 7\n");
	cfg = t != NULL ? accepted(t, "a 199-character line") : NULL;
	if (cfg != NULL) {
		ok(cfg->default_model != NULL && strlen(cfg->default_model) == 199 - 16,
		    "its value is whole");
		is_int(cfg->seed.timeout, 7, "the next line is read");
	}
	cfg_free(cfg);
	free(t);
	t = line_of(199, "[seed]\r\n", "\r\ntimeout = 7\r\n");
	cfg = t != NULL ? accepted(t, "a 199-character line ending in CR-LF") : NULL;
	cfg_free(cfg);
	free(t);
	t = line_of(199, "[seed]\n", "");
	cfg = t != NULL ? accepted(t, "a 199-character last line without a newline") : NULL;
	cfg_free(cfg);
	free(t);

	t = line_of(200, "[seed]\n# two\n", "\ntimeout = 7\n");
	cfg = t != NULL ? parse(t) : NULL;
	ok(cfg == NULL && errs.n == 1, "a 200-character line is refused");
	is_str(first_err(), "t.conf:3: line too long (more than 199 characters)",
	    "with its line number");
	cfg_free(cfg);
	free(t);
	t = line_of(200, "[seed]\n", "");
	cfg = t != NULL ? parse(t) : NULL;
	is_str(first_err(), "t.conf:2: line too long (more than 199 characters)",
	    "a 200-character last line without a newline is refused");
	cfg_free(cfg);
	free(t);

	/*
	 * The rest of a long line must not be read as a line of its own:
	 * here it would be a valid "timeout = 9" at position 199.
	 */
	n = 199 - strlen("always_active = a");
	if ((longv = malloc(400)) != NULL) {
		snprintf(longv, 400, "[seed]\nalways_active = a%*s\ntimeout = 9\n"
		    "retry_min = 8\n", (int)(n + 12), "timeout = 9");
		cfg = parse(longv);
		ok(cfg == NULL && errs.n == 1 && strcmp(first_err(),
		    "t.conf:2: line too long (more than 199 characters)") == 0,
		    "the rest of a long line is skipped, not parsed: %s", first_err());
		cfg_free(cfg);
		free(longv);
	}

	/* A long continuation line, then good lines: the line numbers stay right. */
	t = line_of(300, "[seed]\nalways_active = a,\n", "\n  b\n[nope]\n");
	cfg = t != NULL ? parse(t) : NULL;
	ok(cfg == NULL && errs.n == 2 &&
	    strcmp(errs.msg[0], "t.conf:3: line too long (more than 199 characters)") == 0 &&
	    strncmp(errs.msg[1], "t.conf:5: unknown section [nope]", 32) == 0,
	    "line numbers after a long line");
	if (errs.n != 2)
		dump_errs();
	cfg_free(cfg);
	free(t);
}

static void
test_durations(void)
{
	is_int(cfg_parse_duration("0"), 0, "duration 0");
	is_int(cfg_parse_duration("90"), 90, "duration 90");
	is_int(cfg_parse_duration("90s"), 90, "duration 90s");
	is_int(cfg_parse_duration("5m"), 300, "duration 5m");
	is_int(cfg_parse_duration("1h"), 3600, "duration 1h");
	is_int(cfg_parse_duration("2d"), 172800, "duration 2d");
	is_int(cfg_parse_duration("3650d"), 3650L * 86400, "duration 10 years");
	is_int(cfg_parse_duration("3651d"), -1, "duration over 10 years");
	is_int(cfg_parse_duration("99999999999999999999"), -1, "duration overflow");
	is_int(cfg_parse_duration(""), -1, "duration empty");
	is_int(cfg_parse_duration("s"), -1, "duration without a number");
	is_int(cfg_parse_duration("-5"), -1, "negative duration");
	is_int(cfg_parse_duration("5x"), -1, "duration bad unit");
	is_int(cfg_parse_duration("5mm"), -1, "duration two units");
	is_int(cfg_parse_duration("5 m"), -1, "duration with a blank");
	is_int(cfg_parse_duration(" 5"), -1, "duration with a leading blank");
	is_int(cfg_parse_duration(NULL), -1, "duration NULL");
	is_str(cfg_format_name(FMT_MISTRAL), "mistral", "format name mistral");
	is_str(cfg_format_name(FMT_OPENROUTER), "openrouter", "format name openrouter");
	is_str(cfg_format_name(FMT_OPENAI), "openai", "format name openai");
	is_str(cfg_format_name(FMT_AUTO), "auto", "format name auto");
}

static void
test_load(void)
{
	struct config		*cfg, *d;
	struct cfg_errors	 e = { NULL, 0 };
	size_t			 i;

	cfg = cfg_load(TEST_DATADIR "/no-such-config.conf", &e);
	ok(cfg == NULL && e.n == 1, "cfg_load of a missing file fails");
	if (e.n == 1)
		is_str(e.msg[0], TEST_DATADIR "/no-such-config.conf:0: cannot "
		    "open: No such file or directory", "and says why");
	cfg_errors_free(&e);
	ok(e.n == 0 && e.msg == NULL, "cfg_errors_free empties");
	cfg = cfg_load(TEST_DATADIR, &e);
	ok(cfg == NULL && e.n == 1 && strstr(e.msg[0], ":0: not a regular file") != NULL,
	    "cfg_load of a directory fails");
	cfg_errors_free(&e);
	cfg = cfg_load("/dev/null", NULL);
	ok(cfg == NULL, "cfg_load of a device fails, errs NULL allowed");
	cfg_free(cfg);

	/* The installed example changes nothing: it parses to the defaults. */
	cfg = cfg_load(TEST_DATADIR "/../../etc/modelregd.conf", &e);
	ok(cfg != NULL && e.n == 0, "etc/modelregd.conf parses cleanly");
	for (i = 0; i < e.n; i++)
		printf("#   error: %s\n", e.msg[i]);
	d = cfg_default();
	ok(cfg != NULL && d != NULL && same_settings(cfg, d),
	    "etc/modelregd.conf sets only the built-in defaults");
	cfg_free(d);
	cfg_free(cfg);
	cfg_errors_free(&e);
}

static void
test_access(void)
{
	struct config	*d, *cfg;
	struct passwd	*pw;
	struct group	*gr;
	char		 user[64], small[4], want[32];
	uid_t		 fake = 3999999;
	gid_t		 fakegid = 3999999;
	enum role	 r;

	while (getpwuid(fake) != NULL)
		fake++;
	while (getgrgid(fakegid) != NULL)
		fakegid++;
	d = cfg_default();
	if (d == NULL)
		return;
	is_str(access_role_name(ROLE_ADMIN), "admin", "role name admin");
	is_str(access_role_name(ROLE_MEMBER), "member", "role name member");
	is_str(access_role_name(ROLE_VIEWER), "viewer", "role name viewer");
	is_str(access_role_name(ROLE_NONE), "none", "role name none");

	r = access_role(d, geteuid(), getegid(), user, sizeof(user));
	is_int(r, ROLE_ADMIN, "our own euid is admin");
	if ((pw = getpwuid(geteuid())) != NULL)
		is_str(user, pw->pw_name, "user name of our euid");
	r = access_role(d, 0, 0, user, sizeof(user));
	is_int(r, ROLE_ADMIN, "root is admin");
	is_str(user, "root", "root's name");
	r = access_role(d, 0, 0, small, sizeof(small));
	is_str(small, "roo", "user name truncated to the buffer");
	is_int(access_role(d, 0, 0, NULL, 0), ROLE_ADMIN, "user may be NULL");

	r = access_role(d, fake, fakegid, user, sizeof(user));
	is_int(r, ROLE_VIEWER, "without [access] an unknown uid is viewer");
	snprintf(want, sizeof(want), "uid:%lu", (unsigned long)fake);
	is_str(user, want, "a uid without a passwd entry is uid:N");
	is_int(access_role(NULL, fake, fakegid, NULL, 0), ROLE_VIEWER,
	    "a NULL config is like no [access]");

	cfg = accepted("[access]\n", "empty [access]");
	if (cfg != NULL) {
		is_int(access_role(cfg, fake, fakegid, NULL, 0), ROLE_NONE,
		    "with [access] a peer matching nothing is refused");
		is_int(access_role(cfg, 0, 0, NULL, 0), ROLE_ADMIN,
		    "root is admin whatever [access] says");
		is_int(access_role(cfg, geteuid(), getegid(), NULL, 0), ROLE_ADMIN,
		    "the daemon's euid is admin whatever [access] says");
	}
	cfg_free(cfg);
	cfg = accepted("[access]\nviewer = *\n", "viewer = *");
	if (cfg != NULL)
		is_int(access_role(cfg, fake, fakegid, NULL, 0), ROLE_VIEWER,
		    "* matches a uid without a passwd entry");
	cfg_free(cfg);
	cfg = accepted("[access]\nadmin = *\nviewer = *\n", "admin = *");
	if (cfg != NULL)
		is_int(access_role(cfg, fake, fakegid, NULL, 0), ROLE_ADMIN,
		    "the highest matching role wins");
	cfg_free(cfg);
	cfg = accepted("[access]\nmember = @root\nviewer = *\n", "member = @root");
	if (cfg != NULL) {
		is_int(access_role(cfg, fake, 0, NULL, 0), ROLE_MEMBER,
		    "@root matches an unknown uid through its gid 0");
		is_int(access_role(cfg, fake, fakegid, NULL, 0), ROLE_VIEWER,
		    "@root does not match another gid");
	}
	cfg_free(cfg);
	cfg = accepted("[access]\nmember = @no-such-group-here\n", "unknown group");
	if (cfg != NULL)
		is_int(access_role(cfg, fake, fakegid, NULL, 0), ROLE_NONE,
		    "a group that does not exist matches nobody");
	cfg_free(cfg);
	cfg = accepted("[access]\nadmin = uid\nviewer = @root\n", "names");
	if (cfg != NULL)
		is_int(access_role(cfg, fake, fakegid, NULL, 0), ROLE_NONE,
		    "an unknown uid never matches a user name");
	cfg_free(cfg);

	/* A real user other than root: nobody, whose primary group is nogroup on Debian. */
	pw = getpwnam("nobody");
	gr = pw != NULL ? getgrgid(pw->pw_gid) : NULL;
	if (pw != NULL && gr != NULL && pw->pw_uid != geteuid() && pw->pw_uid != 0) {
		uid_t	 nuid = pw->pw_uid;
		gid_t	 ngid = pw->pw_gid;
		char	 text[256];

		cfg = accepted("[access]\nmember = nobody\n", "member = nobody");
		if (cfg != NULL) {
			is_int(access_role(cfg, nuid, ngid, user, sizeof(user)),
			    ROLE_MEMBER, "a user name matches");
			is_str(user, "nobody", "its name");
		}
		cfg_free(cfg);
		snprintf(text, sizeof(text), "[access]\nadmin = @root\n"
		    "viewer = @%s\n", gr->gr_name);
		cfg = accepted(text, "viewer = @<nobody's primary group>");
		if (cfg != NULL) {
			is_int(access_role(cfg, nuid, fakegid, NULL, 0), ROLE_VIEWER,
			    "@group matches the primary group of the passwd entry");
			is_int(access_role(cfg, nuid, 0, NULL, 0), ROLE_ADMIN,
			    "@root matches the peer's gid 0");
		}
		cfg_free(cfg);
	} else
		skip("no user nobody");
	cfg_free(d);
}

static void
test_sources(void)
{
	struct config	*cfg;

	cfg = accepted("[catalog]\nurl = http://127.0.0.1:8080/api/v1/models\n"
	    "format = mistral\ninterval = 2s\nretry_min = 1\nretry_max = 1\n"
	    "[zdr]\nurl = https://openrouter.ai/api/v1/endpoints/zdr\n"
	    "enforce = no\ninterval = 30d\n"
	    "[uptime]\nurl = file:///srv/uptime/{id}.json\ninterval = 1\n"
	    "green = 100\nyellow = 0\nconcurrency = 1\nretention = 1h\n",
	    "sources with bounds and file:// template");
	if (cfg != NULL) {
		is_str(cfg->catalog.url, "http://127.0.0.1:8080/api/v1/models",
		    "catalog url");
		is_int(cfg->catalog.format, FMT_MISTRAL, "catalog format mistral");
		is_int(cfg->catalog.interval, 2, "interval 2s");
		is_int(cfg->catalog.retry_min, 1, "retry_min 1s");
		is_int(cfg->catalog.retry_max, 1, "retry_max 1s, equal to retry_min");
		is_int(cfg->zdr_enforce, 0, "enforce no");
		is_int(cfg->zdr.interval, 30 * 86400, "interval at its bound 30d");
		is_str(cfg->uptime.url, "file:///srv/uptime/{id}.json",
		    "file:// uptime template");
		is_int(cfg->uptime.interval, 1, "uptime interval 1s");
		is_int(cfg->uptime_green, 100, "green 100");
		is_int(cfg->uptime_yellow, 0, "yellow 0");
		is_int(cfg->uptime_concurrency, 1, "concurrency 1");
		is_int(cfg->uptime_retention, 3600, "retention at its bound 1h");
		is_int(cfg->seed.retry_min, 5, "[seed] keeps its own retry_min");
	}
	cfg_free(cfg);
	cfg = accepted("[catalog]\nurl =\napi_key_file =\n[zdr]\nurl =\n"
	    "[uptime]\nurl =\nconcurrency = 64\nretention = 3650d\n"
	    "[alerts]\nexec =\nwebhook =\nretries = 100\ntimeout = 1h\n"
	    "[defaults]\nfallback =\n", "empty values turn sources off");
	if (cfg != NULL) {
		ok(cfg->catalog.url == NULL && cfg->zdr.url == NULL &&
		    cfg->uptime.url == NULL, "url = is off");
		ok(cfg->catalog.api_key_file == NULL, "api_key_file = is none");
		ok(cfg->alert_exec.n == 0 && cfg->alert_webhook == NULL,
		    "exec = and webhook = are none");
		is_int(cfg->uptime_concurrency, 64, "concurrency 64");
		is_int(cfg->uptime_retention, 3650 * 86400, "retention 3650d");
		is_int(cfg->alert_retries, 100, "retries 100");
		is_int(cfg->alert_timeout, 3600, "alert timeout 1h");
		is_int(cfg->default_fallback.n, 0, "empty fallback");
	}
	cfg_free(cfg);
	cfg = accepted("[uptime]\ngreen = 80\nyellow = 80\n", "yellow equal to green");
	cfg_free(cfg);
	cfg = accepted("[catalog]\nurl = https://x.example/m ; comment\n"
	    "max_drop = 100%\n", "inline comment after a url; max_drop 100%");
	if (cfg != NULL) {
		is_str(cfg->catalog.url, "https://x.example/m", "comment stripped");
		is_int(cfg->catalog_max_drop, 100, "max_drop 100%%");
	}
	cfg_free(cfg);
	/* Every source section may be repeated; each key once. */
	cfg = accepted("[catalog]\ninterval = 5m\n[zdr]\ninterval = 6m\n"
	    "[catalog]\ntimeout = 7\n", "a section repeated with other keys");
	if (cfg != NULL) {
		is_int(cfg->catalog.interval, 300, "first part");
		is_int(cfg->zdr.interval, 360, "between");
		is_int(cfg->catalog.timeout, 7, "second part");
	}
	cfg_free(cfg);

	refused("[catalog]\nformat = OpenRouter\n",
	    "t.conf:2: bad format \"OpenRouter\": expected auto, mistral, openrouter or openai",
	    "catalog format is lower case");
	refused("[catalog]\n\nurl = ftp://x/y\n",
	    "t.conf:3: bad url \"ftp://x/y\": expected http://, https:// or file:// "
	    "(or nothing, to turn the catalog off)", "catalog ftp url");
	refused("[catalog]\nurl = http:///models\n", "t.conf:2: bad url",
	    "catalog url without a host");
	refused("[zdr]\nurl = file://zdr.json\n",
	    "t.conf:2: bad url \"file://zdr.json\": a file:// url needs an absolute path",
	    "zdr relative file url");
	refused("[zdr]\nurl = https://a b/\n",
	    "t.conf:2: bad url \"https://a b/\": a url cannot contain blanks",
	    "zdr url with a blank");
	refused("[catalog]\napi_key_file = sk-or-secret\n",
	    "t.conf:2: bad api_key_file: must be an absolute path (the value is not shown",
	    "catalog api_key_file relative");
	ok(strstr(first_err(), "sk-or") == NULL, "catalog api key never shown");
	refused("[catalog]\ninterval = 0\n",
	    "t.conf:2: bad interval \"0\": expected a duration from 1s to 30d, like",
	    "interval 0");
	refused("[catalog]\ninterval = 31d\n", "t.conf:2: bad interval \"31d\"",
	    "interval above 30d");
	refused("[zdr]\ninterval = 1w\n", "t.conf:2: bad interval \"1w\"",
	    "interval in weeks");
	refused("[uptime]\ninterval = -5\n", "t.conf:2: bad interval \"-5\"",
	    "negative interval");
	refused("[catalog]\ntimeout = 61m\n",
	    "t.conf:2: bad timeout \"61m\": expected a duration from 1s to 1h",
	    "catalog timeout above 1h");
	refused("[zdr]\nretry_min = 2d\n",
	    "t.conf:2: bad retry_min \"2d\": expected a duration from 1s to 1d",
	    "zdr retry_min above 1d");
	refused("[zdr]\nretry_max = 8d\n",
	    "t.conf:2: bad retry_max \"8d\": expected a duration from 1s to 7d",
	    "zdr retry_max above 7d");
	refused("[catalog]\nretry_min = 2h\n",
	    "t.conf:2: retry_min (7200s) is greater than retry_max (3600s) in [catalog]",
	    "catalog retry_min above the default retry_max");
	refused("[zdr]\nretry_max = 10\n\nretry_min = 20\n",
	    "t.conf:4: retry_min (20s) is greater than retry_max (10s) in [zdr]",
	    "zdr retry_min above retry_max, at the later line");
	refused("[catalog]\nmax_size = 512\n",
	    "t.conf:2: bad max_size \"512\": expected bytes from 1K to 256M",
	    "catalog max_size too small");
	refused("[uptime]\nmax_size = 1G\n", "t.conf:2: bad max_size \"1G\"",
	    "uptime max_size G");
	refused("[zdr]\nenforce = true\n",
	    "t.conf:2: bad enforce \"true\": expected yes or no", "enforce true");
	refused("[zdr]\nenforce = Yes\n", "t.conf:2: bad enforce \"Yes\"",
	    "enforce is lower case");
	refused("[zdr]\nenforce =\n", "t.conf:2: bad enforce \"\"", "enforce empty");
	refused("[uptime]\nconcurrency = 0\n",
	    "t.conf:2: bad concurrency \"0\": expected a number from 1 to 64",
	    "concurrency 0");
	refused("[uptime]\nconcurrency = 65\n", "t.conf:2: bad concurrency \"65\"",
	    "concurrency 65");
	refused("[uptime]\nconcurrency = 4x\n", "t.conf:2: bad concurrency \"4x\"",
	    "concurrency junk");
	refused("[uptime]\nconcurrency = 99999999999999999999\n",
	    "t.conf:2: bad concurrency", "concurrency overflow");
	refused("[uptime]\nretention = 59m\n",
	    "t.conf:2: bad retention \"59m\": expected a duration from 1h to 3650d",
	    "retention under 1h");
	refused("[uptime]\nretention = 3651d\n", "t.conf:2: bad retention",
	    "retention over 10 years");
	refused("[uptime]\ngreen = 90\nyellow = 95\n",
	    "t.conf:3: yellow (95%) is greater than green (90%) in [uptime]",
	    "yellow above green");
	refused("[uptime]\nyellow = 96\n",
	    "t.conf:2: yellow (96%) is greater than green (95%)",
	    "yellow above the default green");
	refused("[uptime]\ngreen = 50\n",
	    "t.conf:2: yellow (80%) is greater than green (50%)",
	    "green below the default yellow");
	refused("[alerts]\nretries = 0\n",
	    "t.conf:2: bad retries \"0\": expected a number from 1 to 100",
	    "retries 0");
	refused("[alerts]\nretries = 101\n", "t.conf:2: bad retries \"101\"",
	    "retries 101");
	refused("[alerts]\ntimeout = 0s\n", "t.conf:2: bad timeout \"0s\"",
	    "alert timeout 0");

	/* Keys in the wrong section, or unknown. */
	refused("[catalog]\nenforce = yes\n",
	    "t.conf:2: unknown key \"enforce\" in [catalog]: it belongs in [zdr]",
	    "a [zdr] key in [catalog]");
	refused("[seed]\ninterval = 1h\n",
	    "t.conf:2: unknown key \"interval\" in [seed] (known keys: url, format,",
	    "interval in [seed], a key of several other sections");
	refused("[uptime]\nred = 10\n",
	    "t.conf:2: unknown key \"red\" in [uptime] (known keys: url, "
	    "api_key_file, interval, timeout, green, yellow, concurrency, "
	    "retention, max_size)", "unknown [uptime] key, known keys listed");
	refused("[catalog]\nMax_Drop = 5\n",
	    "t.conf:2: unknown key \"Max_Drop\" in [catalog]: did you mean \"max_drop\"?",
	    "catalog key names are lower case");
	refused("[alerts]\nexec = /bin/true\nexec = /bin/false\n",
	    "t.conf:3: duplicate key exec in [alerts] (first set at line 2",
	    "exec twice");
	refused("[zdr]\nurl = file:///a\n[zdr]\nurl = file:///b\n",
	    "t.conf:4: duplicate key url in [zdr] (first set at line 2",
	    "zdr url twice across repeated sections");
	refused("[catalog]\nurl = https://x/\n  https://y/\n",
	    "t.conf:3: url takes one value: it cannot be continued",
	    "catalog url continued");
	refused("[alerts]\nexec = /bin/echo\n  more\n",
	    "t.conf:3: exec takes one value: it cannot be continued",
	    "exec continued");

	/* All problems of several sections, in line order. */
	cfg = parse("[catalog]\nmax_drop = 101\n[zdr]\nenforce = 1\n"
	    "[uptime]\nurl = https://x/models\n[alerts]\nwebhook = file:///x\n");
	ok(cfg == NULL && errs.n == 4, "every problem of the new sections (%zu)",
	    errs.n);
	if (errs.n == 4)
		ok(strncmp(errs.msg[0], "t.conf:2: bad max_drop", 22) == 0 &&
		    strncmp(errs.msg[1], "t.conf:4: bad enforce", 21) == 0 &&
		    strncmp(errs.msg[2], "t.conf:6: bad url", 17) == 0 &&
		    strncmp(errs.msg[3], "t.conf:8: bad webhook", 21) == 0,
		    "in line order");
	else
		dump_errs();
	cfg_free(cfg);
}

static void
test_percent(void)
{
	struct config	*cfg;

	cfg = accepted("[catalog]\nmax_drop = 0\nprice_increase = 100%\n"
	    "[zdr]\nmax_remove = 0%\n[uptime]\ngreen = 95%\nyellow = 7\n",
	    "percentages with and without %");
	if (cfg != NULL) {
		is_int(cfg->catalog_max_drop, 0, "max_drop 0");
		is_int(cfg->catalog_price_increase, 100, "price_increase 100%%");
		is_int(cfg->zdr_max_remove, 0, "max_remove 0%%");
		is_int(cfg->uptime_green, 95, "green 95%%");
		is_int(cfg->uptime_yellow, 7, "yellow 7");
	}
	cfg_free(cfg);
	cfg = accepted("[zdr]\nmax_remove = 007\n", "leading zeros");
	if (cfg != NULL)
		is_int(cfg->zdr_max_remove, 7, "max_remove 007");
	cfg_free(cfg);
	cfg = accepted("[catalog]\nexpiry_warning = 3d\n", "expiry_warning 3d");
	if (cfg != NULL)
		is_int(cfg->catalog_expiry_warning, 3 * 86400, "expiry_warning 3d");
	cfg_free(cfg);
	cfg = accepted("[catalog]\nexpiry_warning = 0\n", "expiry_warning 0 (off)");
	if (cfg != NULL)
		is_int(cfg->catalog_expiry_warning, 0, "expiry_warning 0");
	cfg_free(cfg);
	refused("[catalog]\nexpiry_warning = 400d\n",
	    "t.conf:2: bad expiry_warning \"400d\": expected a duration from 0s "
	    "to 365d", "expiry_warning above a year");
	refused("[catalog]\nmax_drop = 101\n",
	    "t.conf:2: bad max_drop \"101\": expected a percentage from 0 to 100, "
	    "like 50 or 50%", "max_drop 101");
	refused("[catalog]\nmax_drop = 50 %\n", "t.conf:2: bad max_drop \"50 %\"",
	    "a blank before %");
	refused("[catalog]\nprice_increase = 10%%\n",
	    "t.conf:2: bad price_increase \"10%%\"", "two %");
	refused("[catalog]\nprice_increase = %\n", "t.conf:2: bad price_increase \"%\"",
	    "% alone");
	refused("[zdr]\nmax_remove = 2.5\n", "t.conf:2: bad max_remove \"2.5\"",
	    "a fraction");
	refused("[zdr]\nmax_remove = -1\n", "t.conf:2: bad max_remove \"-1\"",
	    "negative");
	refused("[zdr]\nmax_remove =\n", "t.conf:2: bad max_remove \"\"", "empty");
	refused("[uptime]\ngreen = 99999999999999999999\n", "t.conf:2: bad green",
	    "overflow");
	refused("[uptime]\nyellow = 0.8\n", "t.conf:2: bad yellow \"0.8\"",
	    "a share as a fraction");
}

static void
test_uptime_template(void)
{
	struct config	*cfg;

	cfg = accepted("[uptime]\nurl = https://openrouter.ai/api/v1/models/{id}/endpoints\n",
	    "OpenRouter's endpoints url");
	if (cfg != NULL)
		is_str(cfg->uptime.url,
		    "https://openrouter.ai/api/v1/models/{id}/endpoints", "kept as is");
	cfg_free(cfg);
	cfg = accepted("[uptime]\nurl = http://127.0.0.1:9/u?model={id}\n",
	    "{id} in the query");
	cfg_free(cfg);
	refused("[uptime]\nurl = https://openrouter.ai/api/v1/models\n",
	    "t.conf:2: bad url \"https://openrouter.ai/api/v1/models\": the url "
	    "must contain \"{id}\" exactly once", "no {id}");
	refused("[uptime]\nurl = https://x/{id}/{id}\n",
	    "t.conf:2: bad url \"https://x/{id}/{id}\": the url must contain "
	    "\"{id}\" exactly once", "{id} twice");
	refused("[uptime]\nurl = https://x/{ID}\n", "t.conf:2: bad url \"https://x/{ID}\": "
	    "the url must contain", "{ID} is not {id}");
	refused("[uptime]\nurl = https://{id}.example.org/e\n",
	    "t.conf:2: bad url \"https://{id}.example.org/e\": \"{id}\" must be in "
	    "the path, after the host", "{id} in the host");
	refused("[uptime]\nurl = https://example.org{id}\n",
	    "t.conf:2: bad url \"https://example.org{id}\": \"{id}\" must be in the path",
	    "{id} without a path");
	refused("[uptime]\nurl = ftp://x/{id}\n",
	    "t.conf:2: bad url \"ftp://x/{id}\": expected http://, https:// or file://",
	    "ftp template");
	refused("[uptime]\nurl = file://x/{id}\n",
	    "t.conf:2: bad url \"file://x/{id}\": a file:// url needs an absolute path",
	    "relative file template");
}

static void
test_exec(void)
{
	static const char *const a1[] = { "/usr/bin/logger", "-t", "modelreg" };
	static const char *const a2[] = { "/opt/alert bin/run", "a b", "",
	    "x y z", "--msg=it's", "c\\d" };
	static const char *const a3[] = { "/bin/true" };
	struct config	*cfg;

	cfg = accepted("[alerts]\nexec =   /usr/bin/logger \t -t   modelreg  \n",
	    "exec split on blanks");
	if (cfg != NULL) {
		ok(list_is(&cfg->alert_exec, a1, 3), "three words");
		ok(cfg->alert_exec.v[3] == NULL, "NULL-terminated");
	}
	cfg_free(cfg);
	cfg = accepted("[alerts]\nexec = \"/opt/alert bin/run\" \"a b\" \"\" "
	    "x\" y \"z \"--msg=it's\" c\\d\n",
	    "double quotes group, join, may be empty; backslash is plain");
	if (cfg != NULL)
		ok(list_is(&cfg->alert_exec, a2, 6), "six words: %zu",
		    cfg->alert_exec.n);
	cfg_free(cfg);
	cfg = accepted("[alerts]\nexec = /bin/true ; no arguments\n",
	    "exec with an inline comment");
	if (cfg != NULL)
		ok(list_is(&cfg->alert_exec, a3, 1), "one word");
	cfg_free(cfg);
	cfg = accepted("[alerts]\nexec = /bin/echo a,b\n", "commas are plain in exec");
	if (cfg != NULL)
		ok(cfg->alert_exec.n == 2 && strcmp(cfg->alert_exec.v[1], "a,b") == 0,
		    "a,b is one word");
	cfg_free(cfg);

	refused("[alerts]\nexec = logger -t modelreg\n",
	    "t.conf:2: bad exec \"logger -t modelreg\": the program must be an "
	    "absolute path", "relative program");
	refused("[alerts]\nexec = \"\" /bin/true\n",
	    "t.conf:2: bad exec \"\"\" /bin/true\": the program must be an absolute path",
	    "empty program");
	refused("[alerts]\nexec = /bin/echo \"unclosed\n",
	    "t.conf:2: bad exec \"/bin/echo \"unclosed\": a double quote is not closed",
	    "unclosed quote");
	refused("[alerts]\nexec = /bin/sh -c 'echo hi'\n",
	    "t.conf:2: bad exec \"/bin/sh -c 'echo hi'\": a single quote does not "
	    "quote here: group words with double quotes", "single quotes");
	refused("[alerts]\nexec = /bin/echo \"a ; b\"\n",
	    "t.conf:2: bad exec \"/bin/echo \"a\": a double quote is not closed",
	    "\" ;\" starts a comment even inside quotes");
	refused("[alerts]\nexec = /bin/echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 "
	    "17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 "
	    "41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64\n",
	    "t.conf:2: bad exec \"/bin/echo 1 2 3", "65 words");
	ok(strstr(first_err(), "too many words (at most 64)") != NULL,
	    "says too many words: %s", first_err());
	cfg = accepted("[alerts]\nexec = /bin/echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 "
	    "17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 "
	    "41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63\n",
	    "64 words");
	if (cfg != NULL)
		ok(cfg->alert_exec.n == 64 && cfg->alert_exec.v[64] == NULL,
		    "64 words, NULL-terminated");
	cfg_free(cfg);

	/* The webhook may be the credential itself: never shown. */
	refused("[alerts]\nwebhook = file:///tmp/hook\n",
	    "t.conf:2: bad webhook: expected http:// or https:// (or nothing, for no "
	    "webhook) (the value is not shown, in case it holds a secret)",
	    "file webhook");
	refused("[alerts]\nwebhook = hooks.example/T0/SECRET\n",
	    "t.conf:2: bad webhook: expected http:// or https://", "webhook without a scheme");
	ok(strstr(first_err(), "SECRET") == NULL, "webhook value never shown");
	refused("[alerts]\nwebhook = https://\n", "t.conf:2: bad webhook",
	    "webhook without a host");
	cfg = accepted("[alerts]\nwebhook = http://127.0.0.1:9999/hook?t=1\n",
	    "http webhook");
	if (cfg != NULL)
		is_str(cfg->alert_webhook, "http://127.0.0.1:9999/hook?t=1", "webhook kept");
	cfg_free(cfg);
}

/* [daemon] event_retention: a duration from 1h to 3650d. */
static void
test_event_retention(void)
{
	struct config	*cfg;

	cfg = accepted("[daemon]\nevent_retention = 30d\n", "event_retention 30d");
	if (cfg != NULL)
		is_int(cfg->event_retention, 30 * 86400, "event_retention 30d");
	cfg_free(cfg);
	cfg = accepted("[daemon]\nevent_retention = 1h\n", "event_retention 1h");
	if (cfg != NULL)
		is_int(cfg->event_retention, 3600, "event_retention at its bound 1h");
	cfg_free(cfg);
	cfg = accepted("[daemon]\nevent_retention = 3650d\n",
	    "event_retention 3650d");
	if (cfg != NULL)
		is_int(cfg->event_retention, 3650 * 86400,
		    "event_retention at its bound 3650d");
	cfg_free(cfg);
	refused("[daemon]\nlog_level = info\n\nevent_retention = 59m\n",
	    "t.conf:4: bad event_retention \"59m\": expected a duration from 1h "
	    "to 3650d", "event_retention under 1h, with its line");
	refused("[daemon]\nevent_retention = 3651d\n",
	    "t.conf:2: bad event_retention \"3651d\"", "event_retention over 10 years");
	refused("[daemon]\nevent_retention = 90 days\n",
	    "t.conf:2: bad event_retention \"90 days\"", "event_retention junk");
	refused("[daemon]\nevent_retention =\n",
	    "t.conf:2: bad event_retention \"\"", "event_retention empty");
	refused("[daemon]\nevent_retention = 30d\nevent_retention = 60d\n",
	    "t.conf:3: duplicate key event_retention in [daemon] (first set at "
	    "line 2", "event_retention twice");
	refused("[uptime]\nevent_retention = 30d\n",
	    "t.conf:2: unknown key \"event_retention\" in [uptime]: it belongs "
	    "in [daemon]", "event_retention is a [daemon] key");
}

static void
test_fallback(void)
{
	static const char *const fb[] = { "b", "a", "c/d:free" };
	struct config	*cfg;

	cfg = accepted("[defaults]\nfallback = b a,\n  c/d:free, a\n",
	    "fallback over two lines");
	if (cfg != NULL)
		ok(list_is(&cfg->default_fallback, fb, 3),
		    "fallback in order, listed once");
	cfg_free(cfg);
	refused("[defaults]\nfallback = a\n  b\"c\n",
	    "t.conf:3: bad entry \"b\"c\" in fallback: a model id cannot contain quotes",
	    "fallback entry with a quote, on its line");
	refused("[defaults]\ndefault_model = x\n",
	    "t.conf:2: unknown key \"default_model\" in [defaults]: it belongs in [seed]",
	    "default_model is a [seed] key");
	refused("[defaults]\nfallback = a\nfallback = b\n",
	    "t.conf:3: duplicate key fallback in [defaults] (first set at line 2",
	    "fallback twice");
}

/* Issue 9: [resolve] failover, yes or no (one spelling, like [zdr] enforce). */
static void
test_resolve_failover(void)
{
	struct config	*cfg;

	cfg = accepted("[resolve]\nfailover = yes\n", "failover = yes");
	if (cfg != NULL)
		is_int(cfg->resolve_failover, 1, "failover = yes sets it");
	cfg_free(cfg);
	cfg = accepted("[resolve]\nfailover = no\n", "failover = no");
	if (cfg != NULL)
		is_int(cfg->resolve_failover, 0, "failover = no clears it");
	cfg_free(cfg);
	refused("[resolve]\nfailover = on\n", "t.conf:2: ",
	    "failover = on is refused");
}

/* Where the seed comes from, and which built-in lists hold, for each way of writing [seed] and [catalog]. */
static void
test_seed_defaults(void)
{
	static const char *const peerai[] = { "mistral-large-latest",
	    "mistral-medium-latest", "mistral-tiny-latest",
	    "open-mistral-nemo-2407", "pixtral-large-2411" };
	static const char *const own[] = { "a/x", "b/y" };
	struct config	*cfg;
	const char	*bundled = "file://" MODELREG_SEED_SNAPSHOT;

#define BUILTIN_LISTS(cfg) (list_is(&(cfg)->always_active, peerai, 5) && \
	(cfg)->always_inactive.n == 0 && (cfg)->default_model != NULL && \
	strcmp((cfg)->default_model, "mistral-medium-latest") == 0)
#define NO_LISTS(cfg) ((cfg)->always_active.n == 0 && \
	(cfg)->always_inactive.n == 0 && (cfg)->default_model == NULL)

	ok(cfg_is_bundled_seed(bundled), "the snapshot url is the bundled seed");
	ok(!cfg_is_bundled_seed("file:///srv/mistral-models.json") &&
	    !cfg_is_bundled_seed(NULL), "another file is not");

	/* No file at all: the built-in configuration. */
	cfg = cfg_default();
	ok(cfg != NULL && cfg_is_bundled_seed(cfg->seed.url) &&
	    BUILTIN_LISTS(cfg), "no file: the bundled snapshot and the PeerAI lists");
	cfg_free(cfg);

	cfg = accepted("[daemon]\nlog_level = info\n", "a file without [seed]");
	if (cfg != NULL)
		ok(cfg_is_bundled_seed(cfg->seed.url) && BUILTIN_LISTS(cfg),
		    "no [seed], no [catalog]: the bundled snapshot, PeerAI lists");
	cfg_free(cfg);

	cfg = accepted("[seed]\nnew_model_status = active\n",
	    "[seed] without url");
	if (cfg != NULL)
		ok(cfg_is_bundled_seed(cfg->seed.url) && BUILTIN_LISTS(cfg),
		    "[seed] without url, no catalog: the bundled snapshot");
	cfg_free(cfg);

	cfg = accepted("[seed]\nurl =\n", "url = (empty)");
	if (cfg != NULL)
		ok(cfg->seed.url == NULL && NO_LISTS(cfg),
		    "url = : no seed url and no built-in lists");
	cfg_free(cfg);

	cfg = accepted("[seed]\nurl = https://openrouter.ai/api/v1/models\n",
	    "url = X");
	if (cfg != NULL)
		ok(cfg->seed.url != NULL && strcmp(cfg->seed.url,
		    "https://openrouter.ai/api/v1/models") == 0 && NO_LISTS(cfg),
		    "url = X: seeds from X without the built-in lists");
	cfg_free(cfg);

	cfg = accepted("[catalog]\nurl = https://c.example/models\n",
	    "[catalog] url, no [seed]");
	if (cfg != NULL)
		ok(cfg->seed.url == NULL && NO_LISTS(cfg),
		    "no [seed] with a catalog: seeds from the catalog, no built-in lists");
	cfg_free(cfg);

	cfg = accepted("[seed]\nnew_model_status = active\n[catalog]\n"
	    "url = https://c.example/models\n", "[seed] without url, [catalog] url");
	if (cfg != NULL)
		ok(cfg->seed.url == NULL && NO_LISTS(cfg) &&
		    cfg->new_model_active == 1,
		    "[seed] without url with a catalog: seeds from the catalog");
	cfg_free(cfg);

	cfg = accepted("[catalog]\nurl = https://c.example/models\n[seed]\n"
	    "always_active = a/x b/y\n", "[seed] lists, [catalog] url");
	if (cfg != NULL)
		ok(cfg->seed.url == NULL && list_is(&cfg->always_active, own, 2) &&
		    cfg->default_model == NULL,
		    "the file's own lists stay when seeding from the catalog");
	cfg_free(cfg);

	cfg = accepted("[seed]\nurl =\n[catalog]\nurl = https://c.example/m\n",
	    "url = with a catalog");
	if (cfg != NULL)
		ok(cfg->seed.url == NULL && NO_LISTS(cfg),
		    "url = with a catalog: seeds from the catalog, as before");
	cfg_free(cfg);

	cfg = accepted("[seed]\nurl = https://s.example/m\n[catalog]\n"
	    "url = https://c.example/m\n", "url = X with a catalog");
	if (cfg != NULL)
		ok(cfg->seed.url != NULL &&
		    strcmp(cfg->seed.url, "https://s.example/m") == 0,
		    "url = X with a catalog: X wins");
	cfg_free(cfg);

	cfg = parse("[seed]\nurl = file://" MODELREG_SEED_SNAPSHOT "\n");
	ok(cfg != NULL && cfg_is_bundled_seed(cfg->seed.url) &&
	    BUILTIN_LISTS(cfg), "url = the bundled snapshot: the PeerAI lists hold");
	cfg_free(cfg);

	cfg = accepted("[seed]\nurl = https://s.example/m\n"
	    "always_active = a/x, b/y\ndefault_model = b/y\n", "own lists");
	if (cfg != NULL)
		ok(list_is(&cfg->always_active, own, 2) &&
		    strcmp(cfg->default_model, "b/y") == 0,
		    "url = X with lists of its own: they hold");
	cfg_free(cfg);

	/* The built-in default_model is not in play, so it cannot conflict. */
	cfg = accepted("[seed]\nurl = https://s.example/m\n"
	    "always_inactive = mistral-medium-latest\n",
	    "always_inactive names the built-in default, url = X");
	cfg_free(cfg);
	cfg = parse("[seed]\nalways_inactive = mistral-medium-latest\n");
	ok(cfg == NULL && errs.n == 2 && strstr(errs.msg[1],
	    "default_model \"mistral-medium-latest\" is in always_inactive") != NULL,
	    "with the bundled snapshot the built-in lists still conflict");
	cfg_free(cfg);

	cfg = accepted("[seed]\nformat = auto\n[catalog]\nformat = auto\n",
	    "format = auto");
	if (cfg != NULL)
		ok(cfg->seed.format == FMT_AUTO && cfg->catalog.format == FMT_AUTO,
		    "format = auto in both sections");
	cfg_free(cfg);
#undef BUILTIN_LISTS
#undef NO_LISTS
}

/* URLs as the daemon shows them. */
static void
test_url_redact(void)
{
	static const struct {
		const char	*in, *want;
	} t[] = {
		{ "https://openrouter.ai/api/v1/models",
		  "https://openrouter.ai/api/v1/models" },
		{ "https://h.example/m?key=SECRET", "https://h.example/m?key=***" },
		{ "https://h.example/m?key=SECRET&x=1", "https://h.example/m?key=***&x=***" },
		{ "https://user:pass@h.example/m", "https://***@h.example/m" },
		{ "https://user:p@ss@h.example:8443/m?a=b",
		  "https://***@h.example:8443/m?a=***" },
		{ "http://u@h.example", "http://***@h.example" },
		{ "https://h.example/m?SECRET", "https://h.example/m?***" },
		{ "https://h.example/m?a=&&b", "https://h.example/m?a=***&&***" },
		{ "https://h.example/m?", "https://h.example/m?" },
		{ "https://h.example/m#frag", "https://h.example/m#***" },
		{ "https://h.example/m?k=v#frag", "https://h.example/m?k=***#***" },
		{ "https://h.example/a@b/c", "https://h.example/a@b/c" },
		{ "file:///srv/models.json", "file:///srv/models.json" },
		{ "https://h.example/m?k=a\nb", "https://h.example/m?k=***" },
		{ "https://h.ex\tample/m", "https://h.ex ample/m" },
		{ "", "" },
	};
	static const struct {
		const char	*in, *want;
	} txt[] = {
		{ "Could not resolve host: h.example", "Could not resolve host: h.example" },
		{ "redirect refused (Protocol \"ftp\" for ftp://u:p@x/y?k=S)",
		  "redirect refused (Protocol \"ftp\" for ftp://***@x/y?k=***)" },
		{ "GET /v1/models?api_key=SECRET failed", "GET /v1/models?api_key=*** failed" },
		{ "'https://a:b@h/x?t=1;u=2' said no", "'https://***@h/x?t=***' said no" },
		{ "why? nobody=knows", "why? nobody=knows" },
	};
	char	 out[256], small[24];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(url_redact(t[i].in, out, sizeof(out)), t[i].want,
		    "url_redact %zu", i);
	for (i = 0; i < sizeof(txt) / sizeof(txt[0]); i++)
		is_str(url_redact_text(txt[i].in, out, sizeof(out)), txt[i].want,
		    "url_redact_text %zu", i);
	url_redact("https://h.example/a/very/long/path?key=SECRETSECRET", small,
	    sizeof(small));
	ok(strlen(small) == sizeof(small) - 1 &&
	    strcmp(small + strlen(small) - 3, "...") == 0 &&
	    strstr(small, "SECRET") == NULL, "a long URL is cut with ...: %s", small);
	url_redact("https://h/p?key=SECRETSECRETSECRET", small, sizeof(small));
	ok(strstr(small, "SECR") == NULL, "cutting never shows a value: %s", small);
}

/* socket_mode is always octal: "660" is 0660; only permission bits. */
static void
test_socket_mode(void)
{
	static const struct {
		const char	*v;
		int		 mode;
	} good[] = {
		{ "660", 0660 }, { "0660", 0660 }, { "00660", 0660 },
		{ "600", 0600 }, { "777", 0777 }, { "0777", 0777 },
		{ "0444", 0444 }, { "0", 0 }, { "0000", 0 }, { "7", 07 },
	};
	static const char *const bad[] = {
		"1777", "01777", "1000", "0680", "8", "0o660", "-660", "+660",
		"0x1b0", "66 0", "0660x", "9999999999999", "0000000000001",
	};
	struct config	*cfg;
	char		 text[128], what[64];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[daemon]\nsocket_mode = %s\n",
		    good[i].v);
		snprintf(what, sizeof(what), "socket_mode %s", good[i].v);
		if ((cfg = accepted(text, what)) != NULL)
			is_int(cfg->socket_mode, good[i].mode, "%s", what);
		cfg_free(cfg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[daemon]\n\nsocket_mode = %s\n",
		    bad[i]);
		snprintf(what, sizeof(what), "socket_mode %s refused with file:line",
		    bad[i]);
		refused(text, "t.conf:3: bad socket_mode", what);
	}
	refused("[daemon]\nsocket_mode = 1777\n", "t.conf:2: bad socket_mode "
	    "\"1777\": expected an octal mode from 0000 to 0777, like 0660 (or 660)",
	    "the socket_mode message names the range");
}

/* [access] names that no account has: warnings with file:line, not errors. */
static void
test_access_accounts(void)
{
	struct cfg_errors	 w = { 0 };
	struct config		*cfg;
	struct passwd		*pw;
	struct group		*gr;
	char			 text[512], want[256];
	int			 n;

	if ((pw = getpwuid(0)) == NULL || (gr = getgrgid(0)) == NULL) {
		ok(0, "root's passwd and group entries");
		return;
	}
	snprintf(text, sizeof(text), "[access]\n"
	    "admin = %s @%s\n"
	    "member = no-such-user-mr6 *\n"
	    "viewer = @%s\n"
	    "  @no-such-group-mr6\n", pw->pw_name, gr->gr_name, gr->gr_name);
	cfg = accepted(text, "unknown accounts are not parse errors");
	if (cfg == NULL)
		return;
	n = access_check_accounts(cfg, &w);
	is_int(n, 2, "two entries name no account");
	is_int((int)w.n, 2, "two warnings");
	if (w.n == 2) {
		is_str(w.msg[0], "t.conf:3: warning: user \"no-such-user-mr6\" in "
		    "[access] member does not exist on this machine",
		    "the unknown user, with file:line and its list");
		snprintf(want, sizeof(want), "t.conf:5: warning: group "
		    "\"no-such-group-mr6\" in [access] viewer does not exist on "
		    "this machine");
		is_str(w.msg[1], want, "the unknown @group, at its continuation line");
	}
	cfg_errors_free(&w);
	cfg_free(cfg);

	cfg = cfg_default();
	is_int(access_check_accounts(cfg, &w), 0, "the built-in config: no warning");
	is_int((int)w.n, 0, "and no message");
	cfg_free(cfg);
	cfg = accepted("[access]\nadmin = *\n", "only *");
	if (cfg != NULL)
		is_int(access_check_accounts(cfg, &w), 0, "\"*\" is never looked up");
	cfg_free(cfg);
	cfg_errors_free(&w);
}

int
main(void)
{
	tap_run(test_seed_defaults());
	tap_run(test_url_redact());
	tap_run(test_defaults());
	tap_run(test_every_key());
	tap_run(test_values());
	tap_run(test_lists());
	tap_run(test_too_many_entries());
	tap_run(test_errors());
	tap_run(test_too_many_errors());
	tap_run(test_long_lines());
	tap_run(test_durations());
	tap_run(test_sources());
	tap_run(test_percent());
	tap_run(test_uptime_template());
	tap_run(test_exec());
	tap_run(test_fallback());
	tap_run(test_resolve_failover());
	tap_run(test_event_retention());
	tap_run(test_load());
	tap_run(test_access());
	tap_run(test_socket_mode());
	tap_run(test_access_accounts());
	cfg_errors_free(&errs);
	return done_testing();
}
