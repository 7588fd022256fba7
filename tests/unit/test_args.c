/* test_args.c: the pure argument parsers of USAGE, KEY, CAP, BATCH, COLLECTION, RESOLVE, RELEASE, SPEND, TAG, IMPORT, HISTORY and UNDO (usage_args.c, key_args.c, cap_args.c, batch_args.c, coll_args.c, resolve_args.c, spend_args.c, tag_args.c, import_args.c, history_args.c) and what they share (args.c): what each accepts, each refusal word for word as the handlers replied it before they were moved out, and the command table's entries spelt as the parsers' headers spell them. */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "args.h"
#include "batch_args.h"
#include "buf.h"
#include "cap_args.h"
#include "cmd.h"
#include "coll_args.h"
#include "daemon.h"
#include "history_args.h"
#include "import_args.h"
#include "key_args.h"
#include "proto.h"
#include "registry.h"
#include "resolve_args.h"
#include "spend_args.h"
#include "tag_args.h"
#include "usage_args.h"
#include "tap.h"

/* The parsers are pure, but the rules files they share bounds with link the daemon's state. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

#define SECRET	"mr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static struct proto_req	 req;
static struct args_err	 e;

static void
tok(const char *line)
{
	const char	*err;

	if (proto_tokenize(line, strlen(line), &req, &err) == -1) {
		printf("# cannot tokenize %s: %s\n", line, err);
		memset(&req, 0, sizeof(req));
	}
}

/* The line refused with code and msg. */
static void
refused(int (*parse)(const char *), const char *line, const char *code,
    const char *msg)
{
	memset(&e, 0, sizeof(e));
	ok(parse(line) == -1, "%s: refused", line);
	is_str(e.code, code, "%s: ERR %s", line, code);
	is_str(e.msg, msg, "%s: the message", line);
}

static struct usage_args ua;
static struct key_args ka;
static struct cap_args ca;

static int
usage(const char *line)
{
	tok(line);
	return usage_parse_args(&req, &ua, &e);
}

static int
key(const char *line)
{
	tok(line);
	return key_parse_args(&req, &ka, &e);
}

static int
cap(const char *line)
{
	tok(line);
	return cap_parse_args(&req, &ca, &e);
}

static struct batch_args ba;
static struct coll_args cola;
static struct resolve_args ra;

static int
batch(const char *line)
{
	tok(line);
	return batch_parse_args(&req, &ba, &e);
}

static int
coll(const char *line)
{
	tok(line);
	return coll_parse_args(&req, &cola, &e);
}

static int
resolve(const char *line)
{
	tok(line);
	return resolve_parse_args(&req, &ra, &e);
}

static int
release(const char *line)
{
	tok(line);
	return release_parse_args(&req, &ra, &e);
}

static struct spend_args spa;
static struct tag_args ta;
static struct import_args ia;
static struct history_args ha;
static struct undo_args uda;

static int
spend(const char *line)
{
	tok(line);
	return spend_parse_args(&req, &spa, &e);
}

static int
tag(const char *line)
{
	tok(line);
	return tag_parse_args(&req, &ta, &e);
}

static int
import(const char *line)
{
	tok(line);
	return import_parse_args(&req, &ia, &e);
}

static int
history(const char *line)
{
	tok(line);
	return history_parse_args(&req, &ha, &e);
}

static int
undo(const char *line)
{
	tok(line);
	return undo_parse_args(&req, &uda, &e);
}

static void
test_word_in(void)
{
	ok(args_word_in("models all grace", "grace"), "a word at the end");
	ok(args_word_in("models all grace", "models"), "a word at the start");
	ok(!args_word_in("models all grace", "grac"), "not a prefix");
	ok(!args_word_in("models all grace", "all grace"), "not two words");
	ok(!args_word_in("gracefully", "grace"), "not inside a word");
	ok(!args_word_in("", "grace"), "nothing in an empty list");
	ok(!args_word_in("a b", ""), "the empty word in no list");
}

static void
test_usage(void)
{
	char	 line[600];

	ok(usage("USAGE m1 prompt_tokens=10 completion_tokens=0") == 0,
	    "USAGE: the two counts");
	is_str(ua.model, "m1", "USAGE: the model");
	ok(ua.prompt_tokens == 10 && ua.completion_tokens == 0 &&
	    ua.requests == 1 && !ua.has_session && ua.key == NULL,
	    "USAGE: requests 1 by default, no session, no key");
	ok(usage("USAGE m1 prompt_tokens=100000000 completion_tokens=5 "
	    "requests=1000000 session=a.b:c-d_e key=" SECRET) == 0,
	    "USAGE: every option at its maximum");
	ok(ua.prompt_tokens == 100000000 && ua.requests == 1000000 &&
	    ua.has_session && strcmp(ua.session, "a.b:c-d_e") == 0,
	    "USAGE: the counts and the session");
	is_str(ua.key, SECRET, "USAGE: the key as given, for the handler to hash");
	refused(usage, "USAGE m1 completion_tokens=1", "usage",
	    "USAGE needs prompt_tokens=N");
	refused(usage, "USAGE m1 prompt_tokens=1", "usage",
	    "USAGE needs completion_tokens=N");
	refused(usage, "USAGE m1 prompt_tokens=-1 completion_tokens=1", "usage",
	    "bad prompt_tokens \"-1\": expected a whole number from 0 to "
	    "100000000");
	refused(usage, "USAGE m1 prompt_tokens=100000001 completion_tokens=1",
	    "usage", "bad prompt_tokens \"100000001\": expected a whole number "
	    "from 0 to 100000000");
	refused(usage, "USAGE m1 prompt_tokens=99999999999 completion_tokens=1",
	    "usage", "bad prompt_tokens \"99999999999\": expected a whole "
	    "number from 0 to 100000000");
	refused(usage, "USAGE m1 prompt_tokens=1x completion_tokens=1", "usage",
	    "bad prompt_tokens \"1x\": expected a whole number from 0 to "
	    "100000000");
	refused(usage, "USAGE m1 prompt_tokens=1 completion_tokens=1 requests=0",
	    "usage", "bad requests \"0\": expected a whole number from 1 to "
	    "1000000");
	refused(usage, "USAGE m1 prompt_tokens=1 completion_tokens=1 "
	    "session=a/b", "usage", "bad session id: 1 to 128 letters, digits, "
	    "\".\", \"_\", \"-\" or \":\"");
	refused(usage, "USAGE m1 prompt_tokens=1 completion_tokens=1 key=mr_x",
	    "denied", "key= is not an API key (mr_ and 43 base64url "
	    "characters)");
	snprintf(line, sizeof(line), "USAGE %0256d prompt_tokens=1 "
	    "completion_tokens=1", 0);
	refused(usage, line, "usage", "a model name is at most 255 bytes");
	refused(usage, "USAGE", "usage", "usage: " USAGE_ARGS_USAGE);
}

static void
test_key(void)
{
	char	 line[4096];
	size_t	 n;
	int	 i;

	ok(key("KEY create app1 models=a,b,c all=yes expires=1h note=hi "
	    "collection=c1") == 0, "KEY create: every option");
	ok(ka.sub == KEY_SUB_CREATE && strcmp(ka.subname, "create") == 0 &&
	    strcmp(ka.name, "app1") == 0, "KEY create: the subverb and name");
	ok(ka.has_models && ka.nmodels == 3 && strcmp(ka.models[0], "a") == 0 &&
	    strcmp(ka.models[2], "c") == 0, "KEY create: models= split");
	ok(ka.all && ka.expires == 3600 && strcmp(ka.note, "hi") == 0 &&
	    strcmp(ka.collection, "c1") == 0, "KEY create: all, expires, note, "
	    "collection");
	ok(key("KEY Create app1") == 0 && ka.nmodels == 0 && !ka.has_models &&
	    ka.expires == 0, "KEY Create: the subverb in any case, no models");
	ok(key("KEY allow app1 m1 m2") == 0 && ka.sub == KEY_SUB_ALLOW &&
	    ka.nmodels == 2 && strcmp(ka.models[1], "m2") == 0,
	    "KEY allow: the operands are the models");
	ok(key("KEY rotate app1 grace=0") == 0 && ka.grace == 0,
	    "KEY rotate grace=0: the old secret ends now");
	ok(key("KEY rotate app1 grace=30d") == 0 && ka.grace == 30 * 86400,
	    "KEY rotate grace=30d");
	ok(key("KEY list") == 0 && ka.sub == KEY_SUB_LIST && ka.name == NULL,
	    "KEY list");
	refused(key, "KEY frob", "usage", "bad subverb \"frob\": create, list, "
	    "show, revoke, rotate, allow or deny");
	refused(key, "KEY list x", "usage", "usage: KEY LIST");
	refused(key, "KEY allow app1", "usage", "usage: KEY ALLOW NAME MODEL...");
	refused(key, "KEY show app1 grace=1h", "usage", "KEY show takes no "
	    "option \"grace\"; usage: KEY SHOW NAME");
	refused(key, "KEY create app1 grace=1h", "usage", "KEY create takes no "
	    "option \"grace\"; usage: KEY CREATE NAME [models=M,...] [all=yes] "
	    "[collection=C] [expires=DURATION] [note=TEXT]");
	refused(key, "KEY show -bad", "notfound", "no such key: a key name is 1 "
	    "to 64 letters, digits, '.', '_' or '-'");
	refused(key, "KEY create app1 models=a,,b", "usage", "bad models: a "
	    "comma list of model ids or aliases, without empty names");
	refused(key, "KEY create app1 all=no", "usage",
	    "bad all \"no\": all=yes or nothing");
	refused(key, "KEY create app1 expires=0", "usage", "bad expires \"0\": "
	    "expected a duration like 90s, 15m, 1h or 7d");
	refused(key, "KEY create app1 expires=4000d", "usage", "bad expires "
	    "\"4000d\": expected a duration like 90s, 15m, 1h or 7d");
	refused(key, "KEY rotate app1 grace=31d", "usage", "bad grace \"31d\": "
	    "expected a duration like 90s, 15m, 1h or 7d, at most 30d");
	n = (size_t)snprintf(line, sizeof(line), "KEY create app1 models=");
	for (i = 0; i < KEY_MODELS_MAX + 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%sm%d",
		    i > 0 ? "," : "", i);
	refused(key, line, "usage", "at most 128 models at once");
	snprintf(line, sizeof(line), "KEY deny app1 %0300d", 0);
	refused(key, line, "notfound", "no such model: a name of 300 bytes");
	refused(key, "KEY deny app1 m1 \"\"", "notfound",
	    "no such model: an empty name");
	snprintf(line, sizeof(line), "KEY create app1 models=a,%0300d", 0);
	refused(key, line, "notfound", "no such model: a name of 300 bytes");
}

static void
test_cap(void)
{
	char	 line[600];

	ok(cap("CAP set m1 12.5 period=day warn=50") == 0, "CAP set on a model");
	ok(ca.sub == CAP_SUB_SET && strcmp(ca.model, "m1") == 0 &&
	    ca.key == NULL && ca.amount == 12.5 &&
	    strcmp(ca.period, "day") == 0 && ca.warn == 50,
	    "CAP set: model, amount, period, warn");
	ok(cap("CAP SET 5 key=app1 period=10m") == 0 && ca.model == NULL &&
	    strcmp(ca.key, "app1") == 0 && strcmp(ca.period, "window") == 0 &&
	    ca.window == 600 && ca.warn == 80,
	    "CAP SET on a key: a window, warn 80 by default");
	ok(cap("CAP show key=app1") == 0 && ca.sub == CAP_SUB_SHOW &&
	    strcmp(ca.key, "app1") == 0, "CAP show key=");
	ok(cap("CAP remove m1") == 0 && ca.sub == CAP_SUB_REMOVE &&
	    strcmp(ca.model, "m1") == 0, "CAP remove MODEL");
	ok(cap("CAP list") == 0 && ca.sub == CAP_SUB_LIST && ca.model == NULL,
	    "CAP list");
	refused(cap, "CAP frob", "usage",
	    "bad subverb \"frob\": set, remove, list or show");
	refused(cap, "CAP set m1 5 key=app1 period=day", "usage", "usage: CAP "
	    "SET MODEL AMOUNT period=day|week|month|DURATION [warn=PERCENT] or "
	    "CAP SET AMOUNT key=NAME period=... [warn=PERCENT]");
	refused(cap, "CAP remove m1 period=day", "usage", "CAP remove takes no "
	    "option \"period\"; usage: CAP REMOVE MODEL or CAP REMOVE key=NAME");
	refused(cap, "CAP show key=" SECRET, "usage",
	    "key= takes the key's name, not its secret");
	refused(cap, "CAP show key=-x", "notfound", "no such key: a key name is "
	    "1 to 64 letters, digits, '.', '_' or '-'");
	refused(cap, "CAP set m1 0 period=day", "usage", "bad amount \"0\": USD "
	    "as a plain decimal above 0 and at most 1000000000, like 50 or 12.5");
	refused(cap, "CAP set m1 5", "usage", "a cap needs a period: "
	    "period=day, week, month or a duration like 10m");
	refused(cap, "CAP set m1 5 period=year", "usage", "bad period \"year\": "
	    "day, week, month (calendar periods in UTC) or a duration of 1s to "
	    "366d like 10m");
	refused(cap, "CAP set m1 5 period=day warn=100", "usage",
	    "bad warn \"100\": a percent of 0 (no warning) to 99");
	refused(cap, "CAP set m1 5 period=day warn=-1", "usage",
	    "bad warn \"-1\": a percent of 0 (no warning) to 99");
	snprintf(line, sizeof(line), "CAP show %0256d", 0);
	refused(cap, line, "notfound", "no such model: a name of 256 bytes");
}

/* args_verb, the command table's checks, and args_yes. */
static void
test_verb_yes(void)
{
	tok("PING x");
	ok(args_verb(&req, "PING", "", 0, 0, NULL, &e) == -1 &&
	    strcmp(e.code, "usage") == 0, "args_verb: too many operands");
	is_str(e.msg, "usage: PING", "args_verb: the usage of a verb without any");
	tok("SHOW a b=c");
	ok(args_verb(&req, "SHOW", "MODEL", 1, 1, NULL, &e) == -1,
	    "args_verb: an option where none are");
	is_str(e.msg, "SHOW takes no option \"b\"; usage: SHOW MODEL",
	    "args_verb: the option named");
	tok("LIST status=active");
	ok(args_verb(&req, "LIST", "[status=S]", 0, 0, "provider status", &e) ==
	    0, "args_verb: an option of the list");
	tok("X dry_run=yes");
	ok(args_yes(&req, "dry_run", &e) == 1, "args_yes: yes");
	ok(args_yes(&req, "skip_refused", &e) == 0, "args_yes: absent");
	tok("X dry_run=Yes");
	ok(args_yes(&req, "dry_run", &e) == -1, "args_yes: Yes is not yes");
	is_str(e.msg, "bad dry_run \"Yes\": use dry_run=yes", "args_yes: the message");
}

static void
test_batch(void)
{
	struct buf	 text = { 0 };

	ok(batch("BATCH activate m1 m2") == 0 && ba.action == BATCH_ACTIVATE &&
	    ba.nmodels == 2 && strcmp(ba.models[1], "m2") == 0 && !ba.sel.any &&
	    ba.unused == 0 && !ba.skip_refused && !ba.dry_run,
	    "BATCH activate: the operands are the models");
	ok(batch_selection_text(&ba, &text) == 0, "BATCH: a selection text");
	is_str(text.data, "models=2", "BATCH: models=N alone");
	buf_free(&text);
	ok(batch("BATCH DELETE tag=coding collection=prod provider=mistral "
	    "search=\"large x\" status=Inactive kind=CHAT unused=2h "
	    "skip_refused=yes dry_run=yes m1") == 0, "BATCH DELETE: every option");
	ok(ba.action == BATCH_DELETE && ba.sel.any &&
	    strcmp(ba.sel.q.tag, "coding") == 0 &&
	    strcmp(ba.sel.q.collection, "prod") == 0 &&
	    strcmp(ba.sel.q.provider, "mistral") == 0 &&
	    strcmp(ba.sel.q.search, "large x") == 0 &&
	    ba.sel.q.status == RS_INACTIVE && strcmp(ba.sel.q.kind, "chat") == 0,
	    "BATCH: the selectors, kind in its stored spelling");
	ok(ba.unused == 7200 && ba.skip_refused && ba.dry_run && ba.nmodels == 1,
	    "BATCH: unused in seconds, the flags, the model");
	ok(batch_selection_text(&ba, &text) == 0, "BATCH: every word's text");
	is_str(text.data, "tag=coding collection=prod provider=mistral "
	    "search=\"large x\" status=Inactive kind=CHAT unused=2h models=1",
	    "BATCH: the words as given, in their order, then models=N");
	buf_free(&text);
	ok(batch("BATCH deactivate unused=90d") == 0 && !ba.sel.any &&
	    ba.unused == 90 * 86400 && ba.nmodels == 0,
	    "BATCH: unused= alone selects");
	refused(batch, "BATCH frob m1", "usage",
	    "bad action \"frob\": use activate, deactivate or delete");
	refused(batch, "BATCH delete", "usage", "BATCH delete: name models or "
	    "give a selector (tag=, collection=, provider=, search=, status=, "
	    "kind=, unused=)");
	refused(batch, "BATCH activate status=all", "usage",
	    "bad status \"all\": use active or inactive");
	refused(batch, "BATCH activate kind=video", "usage", "bad kind \"video\": "
	    "use chat, embedding, moderation, ocr, image, audio or other");
	refused(batch, "BATCH activate tag=Coding", "usage",
	    "bad tag \"Coding\": one tag, in lower case");
	refused(batch, "BATCH activate tag=a,b", "usage",
	    "bad tag \"a,b\": one tag, in lower case");
	refused(batch, "BATCH activate unused=0", "usage", "bad unused \"0\": "
	    "expected a duration like 90s, 15m, 1h or 90d");
	refused(batch, "BATCH activate m1 skip_refused=1", "usage",
	    "bad skip_refused \"1\": use skip_refused=yes");
	refused(batch, "BATCH activate m1 dry_run=no", "usage",
	    "bad dry_run \"no\": use dry_run=yes");
	/* The first fault is the one named: the action before the selectors. */
	refused(batch, "BATCH frob status=all", "usage",
	    "bad action \"frob\": use activate, deactivate or delete");
	refused(batch, "BATCH activate m1 limit=3", "usage", "BATCH takes no "
	    "option \"limit\"; usage: BATCH " BATCH_ARGS_USAGE);
	refused(batch, "BATCH", "usage", "usage: BATCH " BATCH_ARGS_USAGE);
}

static void
test_collection(void)
{
	ok(coll("COLLECTION create prod m1 m2 tag=cheap") == 0 &&
	    cola.sub == COLL_SUB_CREATE && strcmp(cola.name, "prod") == 0 &&
	    cola.nmodels == 2 && strcmp(cola.models[0], "m1") == 0 &&
	    cola.from.any && strcmp(cola.from.q.tag, "cheap") == 0 &&
	    cola.role == ROLE_MEMBER, "COLLECTION create: name, models, selectors");
	ok(coll("COLLECTION Add prod status=active") == 0 &&
	    cola.sub == COLL_SUB_ADD && strcmp(cola.subname, "add") == 0 &&
	    cola.nmodels == 0 && cola.from.q.status == RS_ACTIVE,
	    "COLLECTION Add: selectors alone");
	ok(coll("COLLECTION remove prod m1") == 0 && cola.sub == COLL_SUB_REMOVE &&
	    cola.nmodels == 1 && !cola.from.any, "COLLECTION remove");
	ok(coll("COLLECTION delete prod") == 0 && cola.sub == COLL_SUB_DELETE &&
	    cola.nmodels == 0, "COLLECTION delete");
	ok(coll("COLLECTION list") == 0 && cola.sub == COLL_SUB_LIST &&
	    cola.name == NULL && cola.role == ROLE_VIEWER, "COLLECTION list");
	ok(coll("COLLECTION show prod") == 0 && cola.sub == COLL_SUB_SHOW &&
	    cola.role == ROLE_VIEWER, "COLLECTION show: a viewer's");
	ok(coll("COLLECTION switch prod default=m1 dry_run=yes") == 0 &&
	    cola.sub == COLL_SUB_SWITCH && strcmp(cola.default_model, "m1") == 0 &&
	    cola.dry_run, "COLLECTION switch: default= and dry_run=");
	ok(coll("COLLECTION switch prod") == 0 && cola.default_model == NULL &&
	    !cola.dry_run, "COLLECTION switch: neither");
	refused(coll, "COLLECTION frob", "usage", "bad subverb \"frob\": use "
	    "create, add, remove, delete, list, show or switch");
	ok(cola.subname == NULL, "COLLECTION frob: no subverb known");
	refused(coll, "COLLECTION create", "usage", "usage: COLLECTION CREATE "
	    "NAME [MODEL...] [tag=T] [collection=C] [provider=P] [search=TEXT] "
	    "[status=S] [kind=K]");
	ok(cola.subname != NULL && cola.role == ROLE_MEMBER,
	    "COLLECTION create: refused, the subverb and its role known");
	refused(coll, "COLLECTION remove prod", "usage",
	    "usage: COLLECTION REMOVE NAME MODEL...");
	refused(coll, "COLLECTION list prod", "usage", "usage: COLLECTION LIST");
	refused(coll, "COLLECTION add prod", "usage",
	    "usage: COLLECTION ADD NAME [MODEL...] [selectors]");
	refused(coll, "COLLECTION show prod tag=x", "usage", "COLLECTION show "
	    "takes no option \"tag\"; usage: COLLECTION SHOW NAME");
	refused(coll, "COLLECTION create prod default=m1", "usage",
	    "COLLECTION create takes no option \"default\"; usage: COLLECTION "
	    "CREATE NAME [MODEL...] [tag=T] [collection=C] [provider=P] "
	    "[search=TEXT] [status=S] [kind=K]");
	refused(coll, "COLLECTION create -bad", "usage", "bad collection name: 1 "
	    "to 64 letters, digits, '.', '_' or '-', a letter or digit first");
	refused(coll, "COLLECTION create prod status=all", "usage",
	    "bad status \"all\": use active or inactive");
	refused(coll, "COLLECTION switch prod dry_run=no", "usage",
	    "bad dry_run \"no\": use dry_run=yes");
	refused(coll, "COLLECTION list limit=1", "usage", "COLLECTION takes no "
	    "option \"limit\"; usage: COLLECTION " COLL_ARGS_USAGE);
}

static void
test_resolve(void)
{
	char	 line[300];

	ok(resolve("RESOLVE") == 0 && ra.model == NULL && ra.secret == NULL &&
	    ra.session == NULL, "RESOLVE: nothing, the default");
	ok(resolve("RESOLVE m1 key=" SECRET " session=conv:1") == 0 &&
	    strcmp(ra.model, "m1") == 0 && strcmp(ra.secret, SECRET) == 0 &&
	    strcmp(ra.session, "conv:1") == 0, "RESOLVE: model, key, session");
	ok(ra.model == req.argv[1] && ra.secret == proto_opt(&req, "key"),
	    "RESOLVE: pointers into the request, nothing copied");
	ok(resolve("RESOLVE key=mr_x") == 0 && strcmp(ra.secret, "mr_x") == 0,
	    "RESOLVE: the secret is the rules' to judge");
	refused(resolve, "RESOLVE m1 session=a/b", "usage", "bad session id: 1 "
	    "to 128 letters, digits, \".\", \"_\", \"-\" or \":\"");
	snprintf(line, sizeof(line), "RESOLVE session=%0129d", 0);
	refused(resolve, line, "usage", "bad session id: 1 to 128 letters, "
	    "digits, \".\", \"_\", \"-\" or \":\"");
	refused(resolve, "RESOLVE m1 session=\"\"", "usage", "bad session id: 1 "
	    "to 128 letters, digits, \".\", \"_\", \"-\" or \":\"");
	refused(resolve, "RESOLVE m1 m2", "usage",
	    "usage: RESOLVE [MODEL] [key=SECRET] [session=ID]");
	refused(resolve, "RESOLVE m1 default=x", "usage", "RESOLVE takes no "
	    "option \"default\"; usage: RESOLVE [MODEL] [key=SECRET] "
	    "[session=ID]");
	ok(release("RELEASE session=s1 key=" SECRET) == 0 &&
	    strcmp(ra.session, "s1") == 0 && strcmp(ra.secret, SECRET) == 0 &&
	    ra.model == NULL, "RELEASE: session and key");
	refused(release, "RELEASE", "usage",
	    "usage: RELEASE session=ID [key=SECRET]");
	refused(release, "RELEASE key=" SECRET, "usage",
	    "usage: RELEASE session=ID [key=SECRET]");
	refused(release, "RELEASE session=a/b", "usage", "bad session id: 1 to "
	    "128 letters, digits, \".\", \"_\", \"-\" or \":\"");
	refused(release, "RELEASE m1 session=s1", "usage",
	    "usage: RELEASE session=ID [key=SECRET]");
}

static void
test_count_duration(void)
{
	const char	*w;
	long		 secs;
	int		 n = 7;

	tok("X limit=10");
	ok(args_count(&req, "limit", 10, &n, &e) == 0 && n == 10,
	    "args_count: the most");
	tok("X");
	n = 7;
	ok(args_count(&req, "limit", 10, &n, &e) == 0 && n == 7,
	    "args_count: absent, n untouched");
	tok("X limit=11");
	ok(args_count(&req, "limit", 10, &n, &e) == -1, "args_count: past max");
	is_str(e.msg, "bad limit \"11\": expected a number from 1 to 10",
	    "args_count: cmd_opt_count's words");
	tok("X limit=0");
	ok(args_count(&req, "limit", 10, &n, &e) == -1, "args_count: 0");
	tok("X limit=+5");
	ok(args_count(&req, "limit", 10, &n, &e) == -1, "args_count: a sign");
	tok("X limit=9999999999");
	ok(args_count(&req, "limit", 10, &n, &e) == -1,
	    "args_count: ten digits");
	tok("X since=2h");
	ok(args_duration(&req, "since", &secs, &w, &e) == 0 && secs == 7200 &&
	    strcmp(w, "2h") == 0, "args_duration: 2h");
	tok("X");
	ok(args_duration(&req, "since", &secs, &w, &e) == 0 && secs == 0 &&
	    w == NULL, "args_duration: absent");
	tok("X since=0s");
	ok(args_duration(&req, "since", &secs, &w, &e) == -1,
	    "args_duration: 0s");
	is_str(e.msg, "bad since \"0s\": expected a duration like 90s, 15m, 1h "
	    "or 90d", "args_duration: the message");
}

static void
test_spend(void)
{
	ok(spend("SPEND") == 0 && spa.by == USAGE_BY_MODEL && spa.since == 0 &&
	    spa.unused == 0 && spa.model == NULL && spa.key == NULL &&
	    spa.limit == SPEND_LIMIT_DEFAULT, "SPEND: every default");
	ok(spend("SPEND by=day since=7d model=m1 key=ci limit=5") == 0 &&
	    spa.by == USAGE_BY_DAY && spa.since == 7 * 86400 &&
	    strcmp(spa.model, "m1") == 0 && strcmp(spa.key, "ci") == 0 &&
	    spa.limit == 5, "SPEND: a summary's every option");
	ok(spend("SPEND by=key") == 0 && spa.by == USAGE_BY_KEY, "SPEND by=key");
	ok(spend("SPEND unused=30d limit=2") == 0 && spa.unused == 30 * 86400 &&
	    spa.limit == 2, "SPEND unused=: with limit=");
	refused(spend, "SPEND by=week", "usage",
	    "bad by \"week\": expected model, key or day");
	refused(spend, "SPEND by=Model", "usage",
	    "bad by \"Model\": expected model, key or day");
	refused(spend, "SPEND since=yesterday", "usage", "bad since \"yesterday\": "
	    "expected a duration like 90s, 15m, 1h or 90d");
	refused(spend, "SPEND unused=0", "usage", "bad unused \"0\": expected a "
	    "duration like 90s, 15m, 1h or 90d");
	refused(spend, "SPEND limit=10001", "usage",
	    "bad limit \"10001\": expected a number from 1 to 10000");
	refused(spend, "SPEND unused=1d by=model", "usage",
	    "unused= takes only limit=");
	refused(spend, "SPEND unused=1d since=1d", "usage",
	    "unused= takes only limit=");
	refused(spend, "SPEND unused=1d key=ci", "usage",
	    "unused= takes only limit=");
	/* The first fault is the one named: limit= before since= before by=. */
	refused(spend, "SPEND by=week since=x limit=0", "usage",
	    "bad limit \"0\": expected a number from 1 to 10000");
	refused(spend, "SPEND by=week since=x", "usage", "bad since \"x\": "
	    "expected a duration like 90s, 15m, 1h or 90d");
	refused(spend, "SPEND m1", "usage", "usage: SPEND " SPEND_ARGS_USAGE);
	refused(spend, "SPEND tag=x", "usage", "SPEND takes no option \"tag\"; "
	    "usage: SPEND " SPEND_ARGS_USAGE);
}

static void
test_tag(void)
{
	char	 line[2600];
	size_t	 n;
	int	 i;

	ok(tag("TAG m1 add=Cheap,fast,cheap remove=old") == 0 &&
	    strcmp(ta.model, "m1") == 0 && ta.nadd == 2 &&
	    strcmp(ta.add[0], "cheap") == 0 && strcmp(ta.add[1], "fast") == 0 &&
	    ta.nremove == 1 && strcmp(ta.remove[0], "old") == 0,
	    "TAG: folded, without repeats");
	ok(tag("TAG m1 remove=x") == 0 && ta.nadd == 0 && ta.nremove == 1,
	    "TAG: remove= alone");
	ok(tag("TAG m1 add=x remove=x") == 0,
	    "TAG: a tag added and removed is the rule's to refuse");
	refused(tag, "TAG m1", "usage",
	    "usage: TAG MODEL [add=T,...] [remove=T,...]: give add= or remove=");
	refused(tag, "TAG m1 add=", "usage", "an empty list of tags");
	refused(tag, "TAG m1 add=a,,b", "usage", "bad tag \"\": 1 to 64 "
	    "lower-case letters, digits, '.', '_' or '-', a letter or digit "
	    "first");
	refused(tag, "TAG m1 remove=-x", "usage", "bad tag \"-x\": 1 to 64 "
	    "lower-case letters, digits, '.', '_' or '-', a letter or digit "
	    "first");
	n = (size_t)snprintf(line, sizeof(line), "TAG m1 add=t0");
	for (i = 1; i <= TAGS_PER_REQUEST; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",t%d", i);
	refused(tag, line, "usage", "at most 32 tags in one request");
	refused(tag, "TAG", "usage", "usage: TAG " TAG_ARGS_USAGE);
	refused(tag, "TAG m1 m2 add=x", "usage", "usage: TAG " TAG_ARGS_USAGE);
	refused(tag, "TAG m1 tags=x", "usage", "TAG takes no option \"tags\"; "
	    "usage: TAG " TAG_ARGS_USAGE);
}

static void
test_import(void)
{
	ok(import("IMPORT size=10") == 0 && ia.size == 10 && !ia.dry_run &&
	    !ia.strict, "IMPORT size=: no flags");
	ok(import("IMPORT size=67108864 dry_run=yes strict=no") == 0 &&
	    ia.size == 64u * 1024 * 1024 && ia.dry_run && !ia.strict,
	    "IMPORT: the most, dry_run=yes, strict=no");
	refused(import, "IMPORT", "usage", "IMPORT needs size=BYTES, the length "
	    "of the file that follows");
	refused(import, "IMPORT size=0", "usage", "bad size \"0\": expected the "
	    "file's length in bytes, from 1");
	refused(import, "IMPORT size=-1", "usage", "bad size \"-1\": expected "
	    "the file's length in bytes, from 1");
	refused(import, "IMPORT size=10k", "usage", "bad size \"10k\": expected "
	    "the file's length in bytes, from 1");
	refused(import, "IMPORT size=67108865", "usage", "the file is 67108865 "
	    "bytes: IMPORT takes at most 67108864 (64 MiB)");
	refused(import, "IMPORT size=99999999999999999999999", "usage",
	    "the file is 99999999999999999999999 bytes: IMPORT takes at most "
	    "67108864 (64 MiB)");
	refused(import, "IMPORT size=1 dry_run=1", "usage",
	    "bad dry_run \"1\": expected yes or no");
	refused(import, "IMPORT size=1 strict=YES", "usage",
	    "bad strict \"YES\": expected yes or no");
	/* size= first, as it always was. */
	refused(import, "IMPORT size=x dry_run=1", "usage", "bad size \"x\": "
	    "expected the file's length in bytes, from 1");
	refused(import, "IMPORT file size=1", "usage", "usage: IMPORT "
	    IMPORT_ARGS_USAGE);
	refused(import, "IMPORT size=1 force=yes", "usage", "IMPORT takes no "
	    "option \"force\"; usage: IMPORT " IMPORT_ARGS_USAGE);
}

static void
test_history(void)
{
	ok(history("HISTORY") == 0 && ha.id == 0 && ha.limit == HISTORY_LIMIT &&
	    ha.before == 0, "HISTORY: the newest 20");
	ok(history("HISTORY limit=5 before=12") == 0 && ha.id == 0 &&
	    ha.limit == 5 && ha.before == 12, "HISTORY: limit= and before=");
	ok(history("HISTORY 42") == 0 && ha.id == 42, "HISTORY ID");
	ok(history("HISTORY 999999999999999999") == 0 &&
	    ha.id == 999999999999999999LL, "HISTORY ID: 18 digits");
	refused(history, "HISTORY 1000000000000000000", "usage",
	    "bad id \"1000000000000000000\": a history id (a number from 1)");
	refused(history, "HISTORY 0", "usage",
	    "bad id \"0\": a history id (a number from 1)");
	refused(history, "HISTORY 01", "usage",
	    "bad id \"01\": a history id (a number from 1)");
	refused(history, "HISTORY 4x", "usage",
	    "bad id \"4x\": a history id (a number from 1)");
	refused(history, "HISTORY 4 limit=2", "usage", "usage: HISTORY ID (no "
	    "options), or HISTORY [limit=N] [before=ID]");
	refused(history, "HISTORY limit=0", "usage",
	    "bad limit \"0\": expected a number from 1 to 10000");
	refused(history, "HISTORY before=-3", "usage",
	    "bad before \"-3\": a history id (a number from 1)");
	refused(history, "HISTORY before=x limit=x", "usage",
	    "bad limit \"x\": expected a number from 1 to 10000");
	refused(history, "HISTORY 1 2", "usage", "usage: HISTORY "
	    HISTORY_ARGS_USAGE);
	refused(history, "HISTORY dry_run=yes", "usage", "HISTORY takes no "
	    "option \"dry_run\"; usage: HISTORY " HISTORY_ARGS_USAGE);
	ok(undo("UNDO 7") == 0 && uda.id == 7 && !uda.dry_run, "UNDO ID");
	ok(undo("UNDO 7 dry_run=yes") == 0 && uda.dry_run, "UNDO dry_run=yes");
	refused(undo, "UNDO x", "usage",
	    "bad id \"x\": a history id (a number from 1)");
	refused(undo, "UNDO 7 dry_run=no", "usage",
	    "bad dry_run \"no\": use dry_run=yes");
	refused(undo, "UNDO x dry_run=no", "usage",
	    "bad id \"x\": a history id (a number from 1)");
	refused(undo, "UNDO", "usage", "usage: UNDO " UNDO_ARGS_USAGE);
	refused(undo, "UNDO 7 limit=1", "usage", "UNDO takes no option "
	    "\"limit\"; usage: UNDO " UNDO_ARGS_USAGE);
}

/* The table's entry for verb. */
static const struct cmd *
table(const char *verb)
{
	size_t	 i;

	for (i = 0; i < cmd_count; i++)
		if (strcmp(cmd_table[i].verb, verb) == 0)
			return &cmd_table[i];
	return NULL;
}

/*
 * The parsers make the table's checks again (args_verb), with their
 * headers' copies of its strings: the two must say the same, or a
 * request would be refused in other words than the dispatcher's.
 */
static void
test_table(void)
{
	static const struct {
		const char	*verb, *usage, *opts;
		int		 minargs, maxargs;
	} v[] = {
		{ "SPEND", SPEND_ARGS_USAGE, SPEND_ARGS_OPTS, 0, 0 },
		{ "TAG", TAG_ARGS_USAGE, TAG_ARGS_OPTS, 1, 1 },
		{ "IMPORT", IMPORT_ARGS_USAGE, IMPORT_ARGS_OPTS, 0, 0 },
		{ "HISTORY", HISTORY_ARGS_USAGE, HISTORY_ARGS_OPTS, 0, 1 },
		{ "UNDO", UNDO_ARGS_USAGE, UNDO_ARGS_OPTS, 1, 1 },
		{ "BATCH", BATCH_ARGS_USAGE, BATCH_ARGS_OPTS, 1, PROTO_MAXARGS - 1 },
		{ "COLLECTION", COLL_ARGS_USAGE, COLL_ARGS_OPTS, 1,
		    PROTO_MAXARGS - 1 },
		{ "RESOLVE", RESOLVE_ARGS_USAGE, RESOLVE_ARGS_OPTS, 0, 1 },
		{ "RELEASE", RELEASE_ARGS_USAGE, RELEASE_ARGS_OPTS, 0, 0 },
	};
	const struct cmd	*c;
	size_t			 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if ((c = table(v[i].verb)) == NULL) {
			ok(0, "%s is in the table", v[i].verb);
			continue;
		}
		is_str(c->usage, v[i].usage, "%s: the table's usage", v[i].verb);
		is_str(c->opts, v[i].opts, "%s: the table's options", v[i].verb);
		ok(c->minargs == v[i].minargs && c->maxargs == v[i].maxargs,
		    "%s: the table's operand counts", v[i].verb);
	}
}

int
main(void)
{
	tap_run(test_word_in());
	tap_run(test_usage());
	tap_run(test_key());
	tap_run(test_cap());
	tap_run(test_verb_yes());
	tap_run(test_batch());
	tap_run(test_collection());
	tap_run(test_resolve());
	tap_run(test_count_duration());
	tap_run(test_spend());
	tap_run(test_tag());
	tap_run(test_import());
	tap_run(test_history());
	tap_run(test_table());
	return tap_done();
}
