/* test_settings.c: unit tests of the per-model settings: the pure checks (settings.c) and the SET and UNSET rules (reg_settings.c) on an in-memory database. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon.h"
#include "db.h"
#include "registry.h"
#include "reg_settings.h"
#include "settings.h"
#include "tap.h"
#include "testdb.h"

/* The rules raise events (events.c), which link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

static const struct actor alice = { 1000, "alice", "manual" };

#define ADD_MODEL(id, aliases, ctx) \
	"INSERT INTO models(id, name, status, status_source, added_at," \
	" status_changed_at, aliases, context_length) VALUES ('" id "', '" id \
	"', 'inactive', 'seed', 1, 1, '" aliases "', " ctx ");"

static void
test_params(void)
{
	char	 err[300];
	double	 v;

	is_int(settings_param_find("temperature"), SP_TEMPERATURE, "temperature is a parameter");
	is_int(settings_param_find("top_p"), SP_TOP_P, "top_p is a parameter");
	is_int(settings_param_find("top-p"), -1, "top-p is not the wire spelling");
	is_int(settings_param_find("label"), -1, "label is not a parameter");

	ok(settings_parse_value(SP_TEMPERATURE, "0.3", &v, err, sizeof(err)) == 0 &&
	    v == 0.3, "0.3 reads as 0.3");
	ok(settings_parse_value(SP_FREQUENCY_PENALTY, "-1.5", &v, err,
	    sizeof(err)) == 0 && v == -1.5, "a penalty may be negative");
	ok(settings_parse_value(SP_MAX_TOKENS, "4096", &v, err, sizeof(err)) == 0 &&
	    v == 4096, "max_tokens 4096");
	ok(settings_parse_value(SP_MAX_TOKENS, "1.5", &v, err, sizeof(err)) == -1,
	    "max_tokens takes digits only");
	ok(settings_parse_value(SP_MAX_TOKENS, "-5", &v, err, sizeof(err)) == -1,
	    "max_tokens takes no sign");
	ok(settings_parse_value(SP_TEMPERATURE, "1e0", &v, err, sizeof(err)) == -1,
	    "no exponent");
	ok(settings_parse_value(SP_TEMPERATURE, "nan", &v, err, sizeof(err)) == -1,
	    "no nan");
	ok(settings_parse_value(SP_TEMPERATURE, "inf", &v, err, sizeof(err)) == -1,
	    "no inf");
	ok(settings_parse_value(SP_TEMPERATURE, " 1", &v, err, sizeof(err)) == -1,
	    "no blank");
	ok(settings_parse_value(SP_TEMPERATURE, "1.", &v, err, sizeof(err)) == -1,
	    "no dangling point");
	ok(settings_parse_value(SP_TEMPERATURE, "", &v, err, sizeof(err)) == -1,
	    "not empty");
	ok(settings_parse_value(SP_TEMPERATURE, "abc", &v, err, sizeof(err)) == -1,
	    "not a word");
	is_str(err, "bad temperature \"abc\": expected a number from 0 to 2",
	    "the message names the parameter and its range");
	ok(settings_parse_value(SP_TEMPERATURE,
	    "0.1111111111111111111111111111111111111", &v, err, sizeof(err)) == -1,
	    "a long value is refused");
	ok(strstr(err, "111") == NULL, "... and not echoed (no cut)");

	/* The ranges, at and past each end. */
	ok(settings_check_range(SP_TEMPERATURE, 0, 0, err, sizeof(err)) == 0 &&
	    settings_check_range(SP_TEMPERATURE, 2, 0, err, sizeof(err)) == 0,
	    "temperature 0 and 2 are in range");
	ok(settings_check_range(SP_TEMPERATURE, 2.01, 0, err, sizeof(err)) == -1,
	    "temperature 2.01 is not");
	is_str(err, "temperature 2.01 is out of range: expected a number from 0 to 2",
	    "the range message");
	ok(settings_check_range(SP_TEMPERATURE, -0.1, 0, err, sizeof(err)) == -1,
	    "temperature -0.1 is not");
	ok(settings_check_range(SP_TOP_P, 1, 0, err, sizeof(err)) == 0 &&
	    settings_check_range(SP_TOP_P, 1.1, 0, err, sizeof(err)) == -1,
	    "top_p 0 to 1");
	ok(settings_check_range(SP_PRESENCE_PENALTY, -2, 0, err, sizeof(err)) == 0 &&
	    settings_check_range(SP_PRESENCE_PENALTY, -2.5, 0, err, sizeof(err)) == -1 &&
	    settings_check_range(SP_FREQUENCY_PENALTY, 2.5, 0, err, sizeof(err)) == -1,
	    "penalties -2 to 2");
	ok(settings_check_range(SP_MAX_TOKENS, 0, 0, err, sizeof(err)) == -1,
	    "max_tokens 0 is not");
	ok(settings_check_range(SP_MAX_TOKENS, 128000, 128000, err, sizeof(err)) == 0,
	    "max_tokens up to the context");
	ok(settings_check_range(SP_MAX_TOKENS, 128001, 128000, err, sizeof(err)) == -1,
	    "max_tokens past the context is not");
	is_str(err, "max_tokens 128001 is out of range: expected a whole number "
	    "from 1 to 128000 (the model's context length)",
	    "the message names the context");
	ok(settings_check_range(SP_MAX_TOKENS, 1000000, 0, err, sizeof(err)) == 0,
	    "an unknown context does not bound max_tokens");
	ok(settings_check_range(SP_MAX_TOKENS, 3e9, 0, err, sizeof(err)) == -1,
	    "... but the integer range does");
}

static void
test_names(void)
{
	char		 err[300], list[64], big[300];
	const char	*items[4];
	unsigned	 bits;
	char		 s[64];

	ok(settings_check_label("Fast GPT-4", err, sizeof(err)) == 0, "a label");
	ok(settings_check_label("Schnell \xc3\xa4\xe2\x82\xac", err,
	    sizeof(err)) == 0, "a UTF-8 label");
	ok(settings_check_label("", err, sizeof(err)) == -1, "an empty label is refused");
	ok(settings_check_label("a\nb", err, sizeof(err)) == -1, "a newline is refused");
	ok(settings_check_label("a\tb", err, sizeof(err)) == -1, "a tab is refused");
	ok(settings_check_label("a\xc2\x85" "b", err, sizeof(err)) == -1,
	    "a C1 control is refused");
	ok(settings_check_label("a\xe2\x80\xa8" "b", err, sizeof(err)) == -1,
	    "a line separator is refused");
	ok(settings_check_label("a\xff", err, sizeof(err)) == -1, "bad UTF-8 is refused");
	ok(settings_check_label("\xc0\xaf", err, sizeof(err)) == -1, "an overlong form is refused");
	ok(settings_check_label(" x", err, sizeof(err)) == -1, "a leading blank is refused");
	memset(big, 'x', 64);
	big[64] = '\0';
	ok(settings_check_label(big, err, sizeof(err)) == 0, "64 characters");
	big[64] = 'x';
	big[65] = '\0';
	ok(settings_check_label(big, err, sizeof(err)) == -1, "65 characters are refused");

	ok(settings_check_alias("gpt4", err, sizeof(err)) == 0, "an alias");
	ok(settings_check_alias("acme/fast-1.5", err, sizeof(err)) == 0,
	    "an alias with / - .");
	ok(settings_check_alias("a b", err, sizeof(err)) == -1, "no blank");
	ok(settings_check_alias("a,b", err, sizeof(err)) == -1, "no comma");
	ok(settings_check_alias("a=b", err, sizeof(err)) == -1, "no =");
	ok(settings_check_alias("\"a", err, sizeof(err)) == -1, "no quote");
	ok(settings_check_alias("", err, sizeof(err)) == -1, "not empty");
	memset(big, 'a', 201);
	big[201] = '\0';
	ok(settings_check_alias(big, err, sizeof(err)) == -1, "at most 200 bytes");

	ok(settings_parse_params("temperature,top_p", &bits, err, sizeof(err)) == 0 &&
	    bits == ((1u << SP_TEMPERATURE) | (1u << SP_TOP_P)), "a parameter list");
	ok(settings_parse_params("temperature,bogus", &bits, err, sizeof(err)) == -1,
	    "an unknown parameter is refused");
	ok(strstr(err, "\"bogus\"") != NULL, "... by name");
	ok(settings_parse_params("temperature,", &bits, err, sizeof(err)) == -1,
	    "an empty item is refused");
	settings_params_list((1u << SP_MAX_TOKENS) | (1u << SP_TEMPERATURE), list,
	    sizeof(list));
	is_str(list, "temperature,max_tokens", "a bit set as a list, in order");
	settings_params_list(0, list, sizeof(list));
	is_str(list, "", "no bits, no names");

	snprintf(s, sizeof(s), "a,b,c");
	is_int(settings_split(s, items, 4), 3, "split: three items");
	is_str(items[2], "c", "split: the last");
	snprintf(s, sizeof(s), "a,,c");
	is_int(settings_split(s, items, 4), -1, "split: an empty item");
	snprintf(s, sizeof(s), "a,b,c,d,e");
	is_int(settings_split(s, items, 4), -1, "split: too many");
}

static struct reg_set_in
set_in(const char *model)
{
	struct reg_set_in	 in;

	memset(&in, 0, sizeof(in));
	in.model = model;
	in.actor = &alice;
	in.now = 1750000000;
	return in;
}

static int
audit_rows(sqlite3 *db)
{
	return (int)qint(db, "SELECT count(*) FROM audit WHERE action IN"
	    " ('set', 'unset')");
}

static void
test_rules(void)
{
	sqlite3			*db = db_open(":memory:");
	struct reg_set_in	 in;
	struct reg_unset_in	 un;
	struct reg_settings_out	 out;
	struct db_modelref	 ref;
	char			 msg[512], t[256];
	int			 rows;

	ok(db != NULL, "rules: open");
	if (db == NULL)
		return;
	ok(raw(db, ADD_MODEL("acme/big", "[\"big-latest\"]", "128000")
	    ADD_MODEL("acme/small", "[]", "NULL")
	    "INSERT INTO catalog(id, name, first_seen, last_seen, aliases)"
	    " VALUES ('acme/unsynced', 'u', 1, 1, '[\"unsynced-latest\"]');") == 0,
	    "rules: two models and a catalog entry");

	in = set_in("acme/big");
	in.label = "Big One";
	in.has[SP_TEMPERATURE] = 1;
	in.v[SP_TEMPERATURE] = 0.3;
	in.enforce = 1u << SP_TEMPERATURE;
	in.aliases[0] = "big";
	in.aliases[1] = "big";	/* twice: added once */
	in.naliases = 2;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "set label, temperature, enforce and an alias: %s", msg);
	is_int(out.changes, 4, "four fields changed");
	is_str(out.id, "acme/big", "the resolved id");
	is_str(qtext(db, "SELECT label || '|' || temperature || '|' || enforced"
	    " FROM model_settings WHERE model = 'acme/big'", t, sizeof(t)),
	    "Big One|0.3|1", "the row holds them");
	is_int(qint(db, "SELECT count(*) FROM model_org_aliases WHERE"
	    " model = 'acme/big'"), 1, "one organisation alias");
	is_int(audit_rows(db), 4, "an audit row per field");
	is_str(qtext(db, "SELECT actor || '|' || field || '|' || coalesce(old, 'null')"
	    " || '|' || new FROM audit WHERE field = 'temperature'", t, sizeof(t)),
	    "alice|temperature|null|0.3", "the audit row: who, old, new");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind = 'model.configured'"
	    " AND model = 'acme/big' AND json_extract(details, '$.actor') = 'alice'"),
	    1, "one model.configured event");

	/* The alias names the model everywhere names are resolved. */
	ok(db_model_resolve(db, "big", &ref) == 0 && strcmp(ref.id, "acme/big") == 0,
	    "the organisation alias resolves");

	/* The same again: nothing changes, nothing is written. */
	rows = audit_rows(db);
	in.naliases = 1;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "the same settings again");
	is_int(out.changes, 0, "... change nothing");
	is_int(audit_rows(db), rows, "... and write no audit row");

	/* Refusals change nothing. */
	in = set_in("acme/big");
	in.label = "Other";
	in.has[SP_MAX_TOKENS] = 1;
	in.v[SP_MAX_TOKENS] = 200000;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_USAGE,
	    "max_tokens past the context: usage");
	ok(strstr(msg, "128000") != NULL, "... naming the context: %s", msg);
	is_str(qtext(db, "SELECT label FROM model_settings WHERE model = 'acme/big'",
	    t, sizeof(t)), "Big One", "... and the label with it is not set");
	in = set_in("acme/small");
	in.has[SP_MAX_TOKENS] = 1;
	in.v[SP_MAX_TOKENS] = 1000000;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "an unknown context: max_tokens up to the integer range");
	in = set_in("acme/small");
	in.enforce = 1u << SP_TOP_P;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_USAGE,
	    "enforcing an unset parameter: usage");
	is_str(msg, "cannot enforce top_p: it is not set (set top_p=VALUE too)",
	    "... saying so");
	in.has[SP_TOP_P] = 1;
	in.v[SP_TOP_P] = 0.9;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "enforcing it with its value in the same SET");

	/* The one namespace. */
	rows = audit_rows(db);
	in = set_in("acme/small");
	in.aliases[0] = "big";
	in.naliases = 1;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "another model's organisation alias: conflict");
	is_str(msg, "alias big already names acme/big (organisation alias)",
	    "... naming the owner");
	in.aliases[0] = "acme/big";
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "a model id: conflict");
	is_str(msg, "alias acme/big already names acme/big (model id)", "... saying so");
	in.aliases[0] = "big-latest";
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "a registered model's catalog alias: conflict");
	is_str(msg, "alias big-latest already names acme/big (catalog alias)",
	    "... saying so");
	in.aliases[0] = "unsynced-latest";
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "a catalog entry's alias: conflict");
	in.aliases[0] = "acme/unsynced";
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "a catalog entry's id: conflict");
	in.aliases[0] = "fine";
	in.aliases[1] = "big";
	in.naliases = 2;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "one bad alias in a list: conflict");
	is_int(qint(db, "SELECT count(*) FROM model_org_aliases WHERE alias = 'fine'"),
	    0, "... and the good one is not added either");
	is_int(audit_rows(db), rows, "refusals write no audit row");

	/* A later source's model or alias does not take an alias over. */
	ok(raw(db, ADD_MODEL("big", "[]", "NULL")) == 0,
	    "a source adds a model whose id is an organisation alias");
	ok(db_model_resolve(db, "big", &ref) == 0 && strcmp(ref.id, "acme/big") == 0,
	    "the alias keeps naming its model");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind = 'alias.conflict'"
	    " AND model = 'acme/big' AND json_extract(details, '$.conflict') = 'id'"
	    " AND json_extract(details, '$.other') = 'big'"), 1,
	    "alias.conflict says so");
	ok(raw(db, "UPDATE models SET aliases = '[\"big\"]' WHERE id = 'acme/small'")
	    == 0, "a refresh gives another model the alias as a catalog alias");
	ok(db_model_resolve(db, "big", &ref) == 0 && strcmp(ref.id, "acme/big") == 0,
	    "the alias still names its model");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind = 'alias.conflict'"
	    " AND json_extract(details, '$.conflict') = 'catalog alias'"
	    " AND json_extract(details, '$.other') = 'acme/small'"), 1,
	    "alias.conflict for the catalog alias");

	/* UNSET. */
	memset(&un, 0, sizeof(un));
	un.model = "big";
	un.actor = &alice;
	un.params = 1u << SP_TEMPERATURE;
	is_int(reg_settings_unset(db, &un, &out, msg, sizeof(msg)), REG_OK,
	    "unset temperature (by the organisation alias)");
	is_int(out.changes, 2, "... which stops enforcing it too");
	is_int(qint(db, "SELECT enforced FROM model_settings WHERE model = 'acme/big'"),
	    0, "nothing enforced");
	memset(&un, 0, sizeof(un));
	un.model = "acme/big";
	un.actor = &alice;
	un.aliases[0] = "nope";
	un.naliases = 1;
	un.label = 1;
	is_int(reg_settings_unset(db, &un, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "removing an alias the model does not have: conflict");
	is_str(qtext(db, "SELECT label FROM model_settings WHERE model = 'acme/big'",
	    t, sizeof(t)), "Big One", "... and the label is kept");
	un.naliases = 0;
	un.all_aliases = 1;
	is_int(reg_settings_unset(db, &un, &out, msg, sizeof(msg)), REG_OK,
	    "unset label and every alias");
	is_int(qint(db, "SELECT count(*) FROM model_settings WHERE model = 'acme/big'"),
	    0, "an empty row is removed");
	is_int(qint(db, "SELECT count(*) FROM model_org_aliases"), 0,
	    "no alias left");
	ok(db_model_resolve(db, "big", &ref) == 0 && strcmp(ref.id, "big") == 0,
	    "the name now reaches the model with that id");
	is_int(reg_settings_unset(db, &un, &out, msg, sizeof(msg)), REG_OK,
	    "unsetting what is not set");
	is_int(out.changes, 0, "... changes nothing");

	/* A model with only an alias has a row (so its record reads the alias). */
	in = set_in("big");
	in.aliases[0] = "only-alias";
	in.naliases = 1;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "an alias and nothing else");
	is_int(qint(db, "SELECT count(*) FROM model_settings WHERE model = 'big'"),
	    1, "... keeps a settings row");
	memset(&un, 0, sizeof(un));
	un.model = "big";
	un.actor = &alice;
	un.all_aliases = 1;
	is_int(reg_settings_unset(db, &un, &out, msg, sizeof(msg)), REG_OK,
	    "... removed again");
	is_int(qint(db, "SELECT count(*) FROM model_settings WHERE model = 'big'"),
	    0, "... and the row with it");

	/* Settings go with the model. */
	in = set_in("acme/small");
	in.label = "Small";
	in.aliases[0] = "tiny";
	in.naliases = 1;
	is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "settings on acme/small");
	ok(db_model_delete(db, "acme/small", 1750000001, &alice) == 0,
	    "delete acme/small");
	is_int(qint(db, "SELECT count(*) FROM model_settings WHERE model = 'acme/small'")
	    + qint(db, "SELECT count(*) FROM model_org_aliases WHERE model = 'acme/small'"),
	    0, "its settings and aliases are gone");
	is_str(qtext(db, "SELECT json_extract(old, '$.settings.label') || '|' ||"
	    " json_extract(old, '$.org_aliases[0]') FROM audit WHERE action = 'delete'",
	    t, sizeof(t)), "Small|tiny", "the delete's audit row keeps them");
	ok(db_model_resolve(db, "tiny", &ref) == 1, "the alias names nothing now");
	is_int(qint(db, "PRAGMA foreign_key_check"), -999, "no dangling row");

	/* At most SETTINGS_MAX_ALIASES per model. */
	{
		static char	 names[SETTINGS_MAX_ALIASES][8];
		int		 i;

		in = set_in("acme/big");
		for (i = 0; i < SETTINGS_MAX_ALIASES; i++) {
			snprintf(names[i], sizeof(names[i]), "a%d", i);
			in.aliases[i] = names[i];
		}
		in.naliases = SETTINGS_MAX_ALIASES;
		is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_OK,
		    "%d aliases", SETTINGS_MAX_ALIASES);
		rows = audit_rows(db);
		in = set_in("acme/big");
		in.label = "More";
		in.aliases[0] = "one-more";
		in.naliases = 1;
		is_int(reg_settings_set(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
		    "one more: conflict");
		ok(strstr(msg, "more than 16 organisation aliases") != NULL,
		    "... saying why: %s", msg);
		is_int(audit_rows(db), rows, "... and the label with it is not set");
	}

	memset(&un, 0, sizeof(un));
	un.model = "nosuch";
	un.actor = &alice;
	un.label = 1;
	is_int(reg_settings_unset(db, &un, &out, msg, sizeof(msg)), REG_NOTFOUND,
	    "an unknown model: notfound");
	db_close(db);
}

int
main(void)
{
	tap_run(test_params());
	tap_run(test_names());
	tap_run(test_rules());
	done_testing();
}
