/* db_aliases.c: the alias tables' connection side: the log of an alias another model already has, and the count at start. */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "log.h"

/*
 * How many shadowed claims one connection logs per minute: a catalog that
 * gives a thousand models the same alias must not flood the log.
 */
#define DB_ALIAS_LOG_MAX	10

struct db_alias_log {
	time_t	 window;	/* start of the current minute */
	int	 logged;	/* lines logged in it */
	long	 suppressed;	/* lines not logged since the last one */
};

/*
 * modelreg_alias_shadowed(what, alias, claimant, holder): called by the
 * temp triggers below when a model (or catalog entry) lists an alias that
 * another already has. The holder keeps it; say so, within the budget.
 */
static void
db_alias_shadowed_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct db_alias_log	*l = sqlite3_user_data(ctx);
	const unsigned char	*what, *alias, *claimant, *holder;
	time_t			 now = time(NULL);

	if (argc != 4)
		return;
	if (now - l->window >= 60) {
		l->window = now;
		l->logged = 0;
	}
	if (l->logged >= DB_ALIAS_LOG_MAX) {
		l->suppressed++;
		return;
	}
	l->logged++;
	what = sqlite3_value_text(argv[0]);
	alias = sqlite3_value_text(argv[1]);
	claimant = sqlite3_value_text(argv[2]);
	holder = sqlite3_value_text(argv[3]);
	log_warnx("%s %.255s lists the alias %.255s, which %.255s already has: "
	    "the alias keeps naming %.255s%s", what != NULL ? (const char *)what :
	    "model", claimant != NULL ? (const char *)claimant : "?",
	    alias != NULL ? (const char *)alias : "?",
	    holder != NULL ? (const char *)holder : "?",
	    holder != NULL ? (const char *)holder : "?",
	    l->suppressed > 0 ? " (and earlier ones not logged)" : "");
	l->suppressed = 0;
}

/*
 * Temp triggers: they exist only on our connections, so the schema names
 * no function of ours and the sqlite3 shell can still write the tables.
 */
static const char db_alias_triggers[] =
	"CREATE TEMP TRIGGER IF NOT EXISTS model_aliases_shadowed_log"
	" AFTER INSERT ON main.model_aliases_shadowed BEGIN"
	" SELECT modelreg_alias_shadowed('model', NEW.alias, NEW.model,"
	"  (SELECT model FROM main.model_aliases WHERE alias = NEW.alias));"
	" END;"
	"CREATE TEMP TRIGGER IF NOT EXISTS catalog_aliases_shadowed_log"
	" AFTER INSERT ON main.catalog_aliases_shadowed BEGIN"
	" SELECT modelreg_alias_shadowed('catalog entry', NEW.alias,"
	"  NEW.entry, (SELECT entry FROM main.catalog_aliases"
	"  WHERE alias = NEW.alias));"
	" END;";

int
db_aliases_init(sqlite3 *db)
{
	struct db_alias_log	*l;
	int64_t			 nm, nc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("database: aliases");
		return -1;
	}
	/* SQLite frees l with the function, when the connection closes. */
	if (sqlite3_create_function_v2(db, "modelreg_alias_shadowed", 4,
	    SQLITE_UTF8, l, db_alias_shadowed_fn, NULL, NULL, free) !=
	    SQLITE_OK) {
		db_logerr(db, "register the alias log");
		return -1;
	}
	if (db_exec(db, db_alias_triggers) == -1)
		return -1;
	if (db_query_int(db, "SELECT count(*) FROM model_aliases_shadowed",
	    &nm) == -1 || db_query_int(db, "SELECT count(*) FROM"
	    " catalog_aliases_shadowed", &nc) == -1)
		return -1;
	if (nm > 0)
		log_info("database: %lld claims on model aliases wait behind "
		    "another model that listed the alias first", (long long)nm);
	if (nc > 0)
		log_info("database: %lld claims on catalog aliases wait behind "
		    "another entry that listed the alias first", (long long)nc);
	return 0;
}
