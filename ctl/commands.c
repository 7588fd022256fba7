/* commands.c: modelregctl's command table: one entry a command (usage, options, help, how it runs) and its renderer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "ctl.h"

static int	render_status(const struct ctl *, struct record *, int);
static int	render_models(const struct ctl *, struct record *, int);
static int	render_show(const struct ctl *, struct record *, int);
static int	render_default(const struct ctl *, struct record *, int);
static int	render_catalog(const struct ctl *, struct record *, int);
static int	render_refresh(const struct ctl *, struct record *, int);
static int	render_uptime(const struct ctl *, struct record *, int);
static int	render_events(const struct ctl *, struct record *, int);
static int	render_audit(const struct ctl *, struct record *, int);
static int	render_record(const struct ctl *, struct record *, int);
static int	render_ping(const struct ctl *, struct record *, int);
static int	render_settings(const struct ctl *, struct record *, int);
static int	render_version(const struct ctl *, struct record *, int);
static int	render_key(const struct ctl *, struct record *, int);
static int	run_events(struct ctl *);
static int	run_key(struct ctl *);
static int	run_cap(struct ctl *);
static int	render_cap(const struct ctl *, struct record *, int);
static int	run_resolve(struct ctl *);
static int	render_resolve(const struct ctl *, struct record *, int);
static int	run_help(struct ctl *);
static int	run_usage(struct ctl *);
static int	render_usage(const struct ctl *, struct record *, int);

static const char *const refresh_sources[] = { "catalog", "zdr", "uptime",
    "all", NULL };

/*
 * A command is its entry here and its renderer below. The usage line and
 * the summary show in the command list and in usage errors; about and
 * options are what `help COMMAND` adds beneath the usage line; operand is
 * what bash completion offers for the command's operands.
 */
const struct command commands[] = {
	{ "status", "STATUS", 0, 0, 0, 0, NULL, NULL, "",
	    "show the daemon, its sources and alert channels",
	    "Show the daemon (version, pid, configuration, socket, models, the\n"
	    "default), its seed source, its periodic sources and alert channels.\n",
	    NULL, NULL, NULL, render_status },
	{ "list", "LIST", 0, 0, 0, OS_LIST, NULL, NULL,
	    "[--status S] [--provider P] [--search TEXT] [--kind K] [--tag T] "
	    "[--collection C] [--sort KEY] [--desc] [--limit N]", "list the models",
	    "List the registry's models as a table, or as a JSON array with -j.\n",
	    "  --status active|inactive|all  only models of that status (default all)\n"
	    "  --provider P                  only models of provider P\n"
	    "  --search TEXT                 only models whose id, name, provider,\n"
	    "                                description or alias contains TEXT\n"
	    "                                (the label and org aliases too)\n"
	    "  --sort name|provider|context|price|status\n"
	    "                                sort key (default name)\n"
	    "  --desc                        sort in descending order\n"
	    "  --kind chat|embedding|moderation|ocr|image|audio|other\n"
	    "                                only models of that kind\n"
	    "  --tag T                       only models with tag T\n"
	    "  --collection C                only models of collection C\n"
	    "  --limit N                     only the first N models (1 to 10000)\n",
	    NULL, run_paged, render_models },
	{ "show", "SHOW", 1, 1, 0, 0, "model", NULL, "MODEL", "show one model",
	    "Show one model (MODEL: an id or an alias) with every field.\n",
	    NULL, NULL, NULL, render_show },
	{ "activate", "ACTIVATE", 0, -1, CMD_MULTI, OS_SELECT, "model", NULL,
	    "[MODEL...] [--tag T] [--collection C] [--provider P] [--search TEXT] "
	    "[--status S] [--kind K] [--unused DURATION] [--skip-refused] "
	    "[--dry-run]",
	    "make models available",
	    "Make models available (member or admin). Each model's outcome is\n"
	    "printed on its own line; the exit status is the worst outcome.\n"
	    "With a selector (or --dry-run, --skip-refused) the models named and\n"
	    "those selected are one batch: one request, one transaction, all or\n"
	    "nothing (a refusal changes nothing and is listed with its reason).\n",
	    "  --tag T                       every model with tag T\n"
	    "  --collection C                every model of collection C\n"
	    "  --provider P                  every model of provider P\n"
	    "  --search TEXT                 every model matching TEXT (as list)\n"
	    "  --status active|inactive      every model of that status\n"
	    "  --kind K                      every model of kind K\n"
	    "  --unused DURATION             only models with no usage and no\n"
	    "                                resolve for that long (as usage\n"
	    "                                --unused; all models when alone)\n"
	    "  --skip-refused                apply the rest when some are refused\n"
	    "  --dry-run                     show each model's outcome, change\n"
	    "                                nothing\n",
	    "activated", run_change, NULL },
	{ "deactivate", "DEACTIVATE", 0, -1, CMD_MULTI | CMD_CONFIRM, OS_SELECT,
	    "model", NULL, "[MODEL...] [--tag T] [--collection C] [--provider P] "
	    "[--search TEXT] [--status S] [--kind K] [--unused DURATION] "
	    "[--skip-refused] [--dry-run]",
	    "make models unavailable",
	    "Make models unavailable (member or admin). On a terminal, asks\n"
	    "first unless -y is given. The default cannot be deactivated.\n"
	    "With a selector, one all-or-nothing batch, as activate.\n",
	    "  -y, --yes                     do not ask for confirmation\n"
	    "  --tag T                       every model with tag T\n"
	    "  --collection C                every model of collection C\n"
	    "  --provider P                  every model of provider P\n"
	    "  --search TEXT                 every model matching TEXT (as list)\n"
	    "  --status active|inactive      every model of that status\n"
	    "  --kind K                      every model of kind K\n"
	    "  --unused DURATION             only models with no usage and no\n"
	    "                                resolve for that long (as usage\n"
	    "                                --unused; all models when alone)\n"
	    "  --skip-refused                apply the rest when some are refused\n"
	    "  --dry-run                     show each model's outcome, change\n"
	    "                                nothing\n",
	    "deactivated", run_change, NULL },
	/* Without MODEL one request; with it, an outcome like activate's. */
	{ "default", "DEFAULT", 0, 1, CMD_MULTI, 0, "model", NULL, "[MODEL]",
	    "show or set the default model",
	    "Without MODEL, show the default model; with MODEL, make that active\n"
	    "model the default (member or admin).\n",
	    NULL, "set as default", NULL, render_default },
	{ "delete", "DELETE", 0, -1, CMD_MULTI | CMD_CONFIRM,
	    OS_DELETE | OS_SELECT, "model", NULL,
	    "[MODEL...] [--force] [--tag T] [--collection C] [--provider P] "
	    "[--search TEXT] [--status S] [--kind K] [--unused DURATION] "
	    "[--skip-refused] [--dry-run]",
	    "remove models from the registry",
	    "Remove models and their settings from the registry (admin). On a\n"
	    "terminal, asks first unless -y is given. The default cannot be\n"
	    "deleted, nor a model that live sessions use (deactivate it\n"
	    "instead) unless an admin gives --force.\n",
	    "  -y, --yes                     do not ask for confirmation\n"
	    "  --force                       delete even while sessions use it\n"
	    "                                (admin); they fall back to the default\n"
	    "                                (with model names only)\n"
	    "  --tag T                       every model with tag T\n"
	    "  --collection C                every model of collection C\n"
	    "  --provider P                  every model of provider P\n"
	    "  --search TEXT                 every model matching TEXT (as list)\n"
	    "  --status active|inactive      every model of that status\n"
	    "  --kind K                      every model of kind K\n"
	    "  --unused DURATION             only models with no usage and no\n"
	    "                                resolve for that long (as usage\n"
	    "                                --unused; all models when alone)\n"
	    "  --skip-refused                apply the rest when some are refused\n"
	    "  --dry-run                     show each model's outcome, change\n"
	    "                                nothing\n",
	    "deleted", run_change, NULL },
	/* Issue 11: tags and collections (tags.c). */
	{ "tag", "TAG", 1, -1, CMD_MULTI, OS_TAG, "model", NULL,
	    "MODEL... [--add T,...] [--remove T,...]",
	    "add or remove tags of models",
	    "Add or remove tags of models (member or admin). A tag is 1 to 64\n"
	    "lower-case letters, digits, '.', '_' or '-' (upper case is folded),\n"
	    "a letter or digit first; a model has at most 32. list --tag and\n"
	    "catalog --tag select by tag; --json model objects have \"tags\".\n",
	    "  --add T,...                   add these tags\n"
	    "  --remove T,...                remove these tags\n",
	    "tagged", NULL, NULL },
	{ "collection", "COLLECTION", 1, -1, 0, OS_COLL | OS_SWITCH, NULL, NULL,
	    "create|add|remove|delete|list|show|switch [NAME] [MODEL...] "
	    "[--from FILTER] [--tag T] [--default M] [--dry-run]",
	    "named sets of models; switch to one",
	    "Manage collections, named sets of models (member or admin; list and\n"
	    "show for everyone):\n"
	    "  collection create NAME [MODEL...] [--from FILTER] [selectors]\n"
	    "  collection add NAME [MODEL...] [--from FILTER] [selectors]\n"
	    "  collection remove NAME MODEL...\n"
	    "  collection delete NAME\n"
	    "  collection list\n"
	    "  collection show NAME\n"
	    "  collection switch NAME [--default M] [--dry-run]\n"
	    "switch makes exactly the collection's models active and every other\n"
	    "model inactive, in one transaction; the default becomes M, or stays\n"
	    "if it is in the collection, or is the collection's best model.\n",
	    "  --from FILTER                 KEY=VALUE[,KEY=VALUE...] of tag,\n"
	    "                                collection, provider, search, status,\n"
	    "                                kind: the models it selects\n"
	    "  --tag, --collection, --provider, --search, --status, --kind\n"
	    "                                the same, as options\n"
	    "  --default M                   switch: the new default (in NAME)\n"
	    "  --dry-run                     switch: show what would change\n",
	    NULL, run_collection, NULL },
	/* Issue 11 item 5: the history of batches and its undo. */
	{ "history", "HISTORY", 0, 2, 0, OS_HISTORY, NULL, NULL,
	    "[show ID] [--limit N]",
	    "the batches, switches and undos, newest first",
	    "List the batch operations (activate, deactivate, delete with\n"
	    "selectors), collection switches and undos, newest first: id, when,\n"
	    "who, action, how many models changed, the default before and after,\n"
	    "the selection, and whether it was undone. history show ID lists the\n"
	    "models one changed, each with its status before and after.\n",
	    "  --limit N                     at most N entries (default 20)\n",
	    NULL, run_history, NULL },
	{ "undo", "UNDO", 1, 1, 0, OS_UNDO, NULL, NULL, "ID [--dry-run]",
	    "reverse a batch or switch of the history",
	    "Reverse history entry ID in one transaction (member or admin): each\n"
	    "model back to its status before, a deleted model put back whole,\n"
	    "the default back. Refused, changing nothing, if any of its models\n"
	    "changed since; each such model is named with how. An undo is in the\n"
	    "history itself and can be undone; an entry is undone once.\n",
	    "  --dry-run                     show what would change, change\n"
	    "                                nothing\n",
	    NULL, NULL, render_undo },
	/* Issue 9: a model's settings. */
	{ "set", "SET", 1, 1, 0, OS_SET, "model", NULL,
	    "MODEL [--label TEXT] [--alias NAME[,NAME...]] [--temperature X] "
	    "[--top-p X] [--max-tokens N] [--frequency-penalty X] "
	    "[--presence-penalty X] [--enforce PARAM[,PARAM...]]",
	    "configure a model: label, aliases, default parameters",
	    "Configure a model (member or admin): the organisation's label for\n"
	    "it, extra names (aliases) every command accepts, and the default\n"
	    "parameters applications get with it, some of which may be enforced\n"
	    "(callers may not override them). Only what is given changes;\n"
	    "aliases and enforced parameters are added to those the model has.\n",
	    "  --label TEXT                  the display name (up to 64 characters)\n"
	    "  --alias NAME[,NAME...]        add names for the model (not an id or\n"
	    "                                an alias of another model)\n"
	    "  --temperature X               0 to 2\n"
	    "  --top-p X                     0 to 1\n"
	    "  --max-tokens N                1 to the model's context length\n"
	    "  --frequency-penalty X         -2 to 2\n"
	    "  --presence-penalty X          -2 to 2\n"
	    "  --enforce PARAM[,PARAM...]    callers may not override these (of\n"
	    "                                temperature, top_p, max_tokens,\n"
	    "                                frequency_penalty, presence_penalty;\n"
	    "                                each must be set)\n",
	    NULL, NULL, render_settings },
	{ "unset", "UNSET", 1, 9, 0, OS_UNSET, "model", NULL,
	    "MODEL [NAME...] [--alias NAME[,NAME...]] [--enforce PARAM[,PARAM...]]",
	    "remove settings of a model",
	    "Remove settings of a model (member or admin). Each NAME is label,\n"
	    "alias (every alias), enforce (enforce nothing), or a parameter\n"
	    "(temperature, top-p, max-tokens, frequency-penalty,\n"
	    "presence-penalty), which stops enforcing it too.\n",
	    "  --alias NAME[,NAME...]        remove these aliases only\n"
	    "  --enforce PARAM[,PARAM...]    stop enforcing these parameters\n",
	    NULL, run_unset, render_settings },
	{ "catalog", "CATALOG", 0, 0, 0, OS_CATALOG, NULL, NULL,
	    "[--search TEXT] [--provider P] [--zdr | --no-zdr] "
	    "[--synced | --unsynced] [--kind K] [--tag T] [--sort KEY] [--desc] "
	    "[--limit N]",
	    "list the discovery catalog",
	    "List the discovery catalog: every model of the daemon's last good\n"
	    "catalog refresh, synced into the registry or not. Exits 1 when no\n"
	    "catalog source is configured.\n",
	    "  --search TEXT                 only models matching TEXT\n"
	    "  --provider P                  only models of provider P\n"
	    "  --zdr                         only models with a ZDR endpoint\n"
	    "  --no-zdr                      only models without one, or unknown\n"
	    "  --synced                      only models in the registry\n"
	    "  --unsynced                    only models not in the registry\n"
	    "  --sort name|provider|context|price\n"
	    "                                sort key (default name)\n"
	    "  --desc                        sort in descending order\n"
	    "  --kind K                      only models of kind K (as list)\n"
	    "  --tag T                       only models synced into the registry\n"
	    "                                with tag T (tags are the registry's)\n"
	    "  --limit N                     only the first N models (1 to 10000)\n",
	    NULL, run_paged, render_catalog },
	{ "sync", "SYNC", 1, -1, CMD_MULTI, 0, "catalog", NULL, "MODEL...",
	    "add catalog models to the registry",
	    "Add catalog models (by id or alias) to the registry (member or\n"
	    "admin), each with the status the seed rules give it.\n",
	    NULL, "synced", NULL, NULL },
	{ "refresh", "REFRESH", 1, 1, 0, OS_REFRESH, "source", refresh_sources,
	    "catalog|zdr|uptime|all [--force] [--no-wait]",
	    "run a source now (admin)",
	    "Run a periodic source now and report its outcome (admin): catalog,\n"
	    "zdr, uptime, or all of those configured.\n",
	    "  --force                       apply the response that was held\n"
	    "  --no-wait                     start the run, do not wait for it\n",
	    NULL, NULL, render_refresh },
	{ "uptime", "UPTIME", 0, 1, 0, OS_UPTIME, "model", NULL,
	    "[MODEL] [--window 1h|24h|7d|30d]",
	    "show the models' uptime history",
	    "Show the uptime history of every synced model, or of MODEL, over a\n"
	    "window. Exits 1 when no uptime source is configured.\n",
	    "  --window 1h|24h|7d|30d        the window (default 24h)\n",
	    NULL, NULL, render_uptime },
	{ "events", "EVENTS", 0, 0, 0, OS_EVENTS, NULL, NULL,
	    "[--since DURATION] [--kind K] [--model M] [--limit N] [--follow]",
	    "show or follow the events",
	    "List the daemon's events, oldest first, or follow them as they\n"
	    "happen.\n",
	    "  --since DURATION              only events younger than that (90s,\n"
	    "                                15m, 1h, 7d)\n"
	    "  --kind K                      only events of kind K, or of a family\n"
	    "                                ('model.*')\n"
	    "  --model M                     only events of model M\n"
	    "  --limit N                     the newest N events (default 100,\n"
	    "                                at most 10000)\n"
	    "  --follow                      stream events as they happen (takes\n"
	    "                                only --kind)\n",
	    NULL, run_events, render_events },
	{ "audit", "AUDIT", 0, 0, 0, OS_AUDIT, NULL, NULL,
	    "[--model M] [--actor USER] [--since DURATION] [--limit N]",
	    "show the audit log: who changed what, newest last",
	    "Show the audit log: who changed what and when, newest last, with\n"
	    "the old and new values.\n",
	    "  --model M                     only rows of model M (an id or alias;\n"
	    "                                a deleted model by its id)\n"
	    "  --actor USER                  only changes made by USER\n"
	    "  --since DURATION              only rows younger than that (90s,\n"
	    "                                15m, 1h, 7d)\n"
	    "  --limit N                     the newest N rows (default 100,\n"
	    "                                at most 10000)\n",
	    NULL, NULL, render_audit },
	{ "resolve", "RESOLVE", 0, 1, 0, OS_RESOLVE, "model", NULL,
	    "[MODEL] [--key-file FILE] [--session ID]",
	    "the model an application should use now (service)",
	    "Ask which model to use now (service, member or admin): MODEL when it\n"
	    "is active and allowed (reason requested), else the default: asked\n"
	    "for (default), or standing in for a model that is inactive, expired\n"
	    "or removed (fallback). With an API key (from --key-file, else\n"
	    "$MODELREG_KEY; never on the command line) only a model the key may\n"
	    "use is answered. The record carries the model's label, parameters\n"
	    "and the enforced ones; with [resolve] failover = yes a red model is\n"
	    "replaced by a healthy alternative (failover); with [zdr] enforce =\n"
	    "yes a model without ZDR is never answered.\n",
	    "  --key-file FILE               read the key's secret from FILE (its\n"
	    "                                first line)\n"
	    "  --session ID                  open or renew session ID on the\n"
	    "                                answer; without MODEL, ask for the\n"
	    "                                session's model\n",
	    NULL, run_resolve, render_resolve },
	/* Issue 9 item 4: the key is read as resolve reads it. */
	{ "release", "RELEASE", 0, 0, 0, OS_RELEASE, NULL, NULL,
	    "--session ID [--key-file FILE]",
	    "end a session (service)",
	    "End a session opened by resolve --session (service, member or\n"
	    "admin), so that it no longer keeps its model in use. A session is\n"
	    "the key's: give the same key (--key-file, else $MODELREG_KEY).\n",
	    "  --session ID                  the session to end\n"
	    "  --key-file FILE               read the key's secret from FILE\n",
	    NULL, run_resolve, render_record },
	/* Issue 9: one command, its subcommand the first operand (run_key). */
	/* Issue 10 item 1: what applications reported with USAGE. */
	{ "usage", "SPEND", 0, 0, 0, OS_USAGE, NULL, NULL,
	    "[--by model|key|day] [--since DURATION] [--model M] [--key NAME] "
	    "[--limit N] | --unused DURATION",
	    "usage and cost by model, key or day; or the unused models (admin)",
	    "Show what applications reported with USAGE (admin): requests,\n"
	    "prompt and completion tokens and their cost in USD, summed by model,\n"
	    "key or day, most used (tokens) first. With --unused, the registry's\n"
	    "models that have had no usage for that long (and were there the\n"
	    "whole time): candidates for removal.\n",
	    "  --by model|key|day            what to sum by (default model)\n"
	    "  --since DURATION              only usage younger than that (1h,\n"
	    "                                7d, 30d)\n"
	    "  --model M                     only model M (an id or alias; a\n"
	    "                                deleted model by its id)\n"
	    "  --key NAME                    only usage reported with key NAME\n"
	    "  --limit N                     the first N rows (default 1000)\n"
	    "  --unused DURATION             the models with no usage for that\n"
	    "                                long (90d); takes only --limit\n",
	    NULL, run_usage, render_usage },
	/* Issue 11 item 4: export and import (export.c, doc/export.md). */
	{ "export", "EXPORT", 0, 0, 0, OS_EXPORT, NULL, NULL,
	    "[--output FILE]",
	    "every decision of the registry as versioned JSON (admin)",
	    "Print every decision the organisation made (admin) as versioned\n"
	    "JSON (doc/export.md): each synced model's status, the default,\n"
	    "labels, aliases, parameters, tags, collections, caps, and the keys'\n"
	    "names with their models and expiry, never a secret or its digest.\n"
	    "The order is stable: two exports of one registry are the same bytes\n"
	    "and diff cleanly in git.\n",
	    "  --output FILE                 write FILE (whole, or not at all)\n"
	    "                                instead of standard output\n",
	    NULL, run_export, NULL },
	{ "import", "IMPORT", 1, 1, 0, OS_IMPORT, NULL, NULL,
	    "FILE [--dry-run] [--strict]",
	    "apply an export's decisions in one transaction (admin)",
	    "Apply the decisions of FILE, an export (\"-\": standard input, at\n"
	    "most 64 MiB), in one transaction (admin), and print what changed,\n"
	    "per model and setting. Importing an export of the same registry\n"
	    "changes nothing. Models the registry lacks are synced from the\n"
	    "catalog when it lists them, else reported and skipped; keys the\n"
	    "registry lacks are reported and skipped (a secret cannot be\n"
	    "imported). A file that does not validate, or from a newer\n"
	    "modelreg, is refused with the place of the error, and nothing\n"
	    "changes.\n",
	    "  --dry-run                     show what would change; change nothing\n"
	    "  --strict                      refuse the whole file when a model is\n"
	    "                                neither in the registry nor the catalog\n",
	    NULL, run_import, NULL },
	{ "key", "KEY", 1, -1, 0, OS_KEY, NULL, NULL,
	    "create|list|show|revoke|rotate|allow|deny [NAME] [MODEL...] "
	    "[--models M,...] [--all] [--collection C] [--expires DURATION] "
	    "[--note TEXT] [--grace DURATION]",
	    "manage the applications' API keys (admin)",
	    "Manage API keys (admin):\n"
	    "  key create NAME [--models M,...] [--all] [--collection C]\n"
	    "             [--expires D] [--note T]\n"
	    "  key list\n"
	    "  key show NAME\n"
	    "  key revoke NAME\n"
	    "  key rotate NAME [--grace D]\n"
	    "  key allow NAME MODEL...\n"
	    "  key deny NAME MODEL...\n"
	    "create and rotate print the new secret on standard output, alone\n"
	    "on its line, and only then: the daemon keeps only its SHA-256. A key\n"
	    "with neither --models nor --all may use no model.\n",
	    "  --models M,...                the models the key may use (ids or\n"
	    "                                aliases, stored as ids)\n"
	    "  --all                         the key may use every model\n"
	    "  --collection C                the key may use the models of\n"
	    "                                collection C, as it changes\n"
	    "  --expires DURATION            the key stops working after that\n"
	    "                                (90s, 15m, 1h, 7d)\n"
	    "  --note TEXT                   a note for people (at most 256 bytes)\n"
	    "  --grace DURATION              rotate: the old secret keeps working\n"
	    "                                that long (default 0, at most 30d)\n",
	    NULL, run_key, render_key },
	/* Issue 10: spending caps, one command, its subcommand first (run_cap). */
	{ "cap", "CAP", 1, 3, 0, OS_CAP, NULL, NULL,
	    "set|remove|list|show [MODEL] [AMOUNT] [--key NAME] "
	    "[--period day|week|month|DURATION] [--warn PERCENT]",
	    "manage the spending caps of models and keys (admin)",
	    "Manage spending caps in USD (admin):\n"
	    "  cap set MODEL AMOUNT --period P [--warn PERCENT]\n"
	    "  cap set --key NAME AMOUNT --period P [--warn PERCENT]\n"
	    "  cap list\n"
	    "  cap show MODEL | --key NAME\n"
	    "  cap remove MODEL | --key NAME\n"
	    "At the warning share cap.warning is raised, once a period. At 100%\n"
	    "a model's cap deactivates the model until the period ends; a key's\n"
	    "cap makes RESOLVE and USAGE for that key answer ERR limit until\n"
	    "then. At the next period the model is reactivated, unless a person\n"
	    "changed its status since.\n",
	    "  --key NAME                    the cap of an API key, not a model\n"
	    "  --period day|week|month|DURATION\n"
	    "                                calendar periods in UTC, or windows of\n"
	    "                                that length from when the cap is set\n"
	    "                                (90s, 10m, 1h, 7d)\n"
	    "  --warn PERCENT                the warning share, 0 (none) to 99\n"
	    "                                (default 80)\n",
	    NULL, run_cap, render_cap },
	{ "seed", "SEED", 0, 0, 0, 0, NULL, NULL, "",
	    "run the seed rules now (admin)",
	    "Run the seed rules now (admin) and report what they changed.\n",
	    NULL, NULL, NULL, render_record },
	{ "reload", "RELOAD", 0, 0, 0, 0, NULL, NULL, "",
	    "reload the daemon's configuration (admin)",
	    "Reload the daemon's configuration (admin). A bad file is refused\n"
	    "and the running configuration kept.\n",
	    NULL, NULL, NULL, render_record },
	{ "whoami", "WHOAMI", 0, 0, 0, 0, NULL, NULL, "",
	    "show who the daemon thinks you are",
	    "Show the user, uid and role the daemon gives this connection.\n",
	    NULL, NULL, NULL, render_record },
	{ "ping", "PING", 0, 0, 0, 0, NULL, NULL, "",
	    "check that the daemon answers",
	    "Check that the daemon answers: prints pong, exit status 0.\n",
	    NULL, NULL, NULL, render_ping },
	{ "version", "VERSION", 0, 0, 0, 0, NULL, NULL, "",
	    "show the daemon's version",
	    "Show the daemon's version and modelregctl's.\n",
	    NULL, NULL, NULL, render_version },
	{ "help", NULL, 0, 1, 0, 0, "command", NULL, "[COMMAND]",
	    "show a command's usage and options",
	    "Without COMMAND, list the commands; with COMMAND, show its usage\n"
	    "and options (as COMMAND --help does).\n",
	    NULL, NULL, run_help, NULL },
};
const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < ncommands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
render_status(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_status_json(recs, n);
	else
		out_status_text(recs, n);
	return CTL_EXIT_OK;
}

static int
render_models(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_models_json(recs, n);
	else
		out_models_text(recs, n);
	return CTL_EXIT_OK;
}

static int
render_show(const struct ctl *ctl, struct record *recs, int n)
{
	if (n == 0) {
		ctl_warnx("%s: malformed reply: no model record", ctl->socket);
		return CTL_EXIT_CONN;
	}
	if (ctl->json)
		out_model_json(&recs[0]);
	else
		out_model_text(&recs[0]);
	return CTL_EXIT_OK;
}

/* default without MODEL: the default's record, or none. */
static int
render_default(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_model_json(n > 0 ? &recs[0] : NULL);
	else if (n > 0)
		out_model_text(&recs[0]);
	else
		printf("no default model\n");
	return CTL_EXIT_OK;
}

static int
render_catalog(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_catalog_json(recs, n);
	else
		out_catalog_text(recs, n);
	return CTL_EXIT_OK;
}

/*
 * REFRESH's exit code: 0 when every source's outcome is ok or started,
 * else 1 (failed, held, or an outcome we do not know).
 */
static int
render_refresh(const struct ctl *ctl, struct record *recs, int n)
{
	const char	*o;
	int		 i, rv = CTL_EXIT_OK;

	if (ctl->json)
		out_refresh_json(recs, n);
	else
		out_refresh_text(recs, n);
	out_refresh_notes(recs, n);
	if (n == 0) {
		ctl_warnx("the daemon reported no outcome");
		return CTL_EXIT_CONN;
	}
	for (i = 0; i < n; i++) {
		o = record_get(&recs[i], "outcome");
		if (o == NULL || (strcmp(o, "ok") != 0 &&
		    strcmp(o, "started") != 0))
			rv = CTL_EXIT_ERR;
	}
	return rv;
}

static int
render_uptime(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_uptime_json(recs, n);
	else
		out_uptime_text(recs, n);
	return CTL_EXIT_OK;
}

static int
render_events(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_events_json(recs, n);
	else
		out_events_text(recs, n);
	return CTL_EXIT_OK;
}

/* events --follow is a stream (WATCH); without it, one request. */
static int
run_events(struct ctl *ctl)
{
	if (ctl->opt[O_FOLLOW] == NULL)
		return run_single(ctl);
	if (ctl->opt[O_SINCE] != NULL || ctl->opt[O_MODEL] != NULL ||
	    ctl->opt[O_LIMIT] != NULL)
		usage_error(ctl->cmd, "--follow takes only --kind");
	return run_follow(ctl);
}

/* Issue 10: --unused takes only --limit; the daemon checks the same. */
static int
run_usage(struct ctl *ctl)
{
	if (ctl->opt[O_UNUSED] != NULL && (ctl->opt[O_BY] != NULL ||
	    ctl->opt[O_SINCE] != NULL || ctl->opt[O_MODEL] != NULL ||
	    ctl->opt[O_KEYNAME] != NULL))
		usage_error(ctl->cmd, "--unused takes only --limit");
	return run_single(ctl);
}

static int
render_usage(const struct ctl *ctl, struct record *recs, int n)
{
	const char	*by = ctl->opt[O_BY] != NULL ? ctl->opt[O_BY] : "model";

	if (ctl->opt[O_UNUSED] != NULL) {
		if (ctl->json)
			out_unused_json(recs, n);
		else
			out_unused_text(recs, n);
	} else if (ctl->json)
		out_usage_json(recs, n, by);
	else
		out_usage_text(recs, n, by);
	return CTL_EXIT_OK;
}

static int
render_audit(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_audit_json(recs, n);
	else
		out_audit_text(recs, n);
	return CTL_EXIT_OK;
}

/* seed, reload, whoami: the first record's key: value lines. */
static int
render_record(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_record_json(n > 0 ? &recs[0] : NULL);
	else if (n > 0)
		out_record_text(&recs[0], NULL, NULL);
	return CTL_EXIT_OK;
}

/* resolve: the record as key=value lines, or RESOLVE's object with -j. */
static int
render_resolve(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_resolve_json(n > 0 ? &recs[0] : NULL);
	else if (n > 0)
		out_record_text(&recs[0], NULL, NULL);
	return CTL_EXIT_OK;
}

static int
render_ping(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_record_json(n > 0 ? &recs[0] : NULL);
	else
		printf("pong\n");
	return CTL_EXIT_OK;
}

/* set and unset: the daemon's message, or the record with -j. */
static int
render_settings(const struct ctl *ctl, struct record *recs, int n)
{
	struct buf	 b = { 0 };
	const char	*m;

	if (ctl->json)
		out_record_json(n > 0 ? &recs[0] : NULL);
	else if (n > 0 && (m = record_get(&recs[0], "message")) != NULL) {
		out_sanitize(&b, m, strlen(m));
		buf_putc(&b, '\n');
		out_flush(&b);
	}
	return CTL_EXIT_OK;
}

/* The daemon's record, with our own version first. */
static int
render_version(const struct ctl *ctl, struct record *recs, int n)
{
	if (ctl->json)
		out_record_json(n > 0 ? &recs[0] : NULL);
	else if (n > 0)
		out_record_text(&recs[0], "client", MODELREG_VERSION);
	return CTL_EXIT_OK;
}

static int
run_help(struct ctl *ctl)
{
	const struct command	*c;

	if (ctl->argc == 0) {
		help();
		return CTL_EXIT_OK;
	}
	if ((c = command_find(ctl->argv[0])) == NULL)
		usage_error(NULL, "help: unknown command: %s", ctl->argv[0]);
	help_command(c);
	return CTL_EXIT_OK;
}

/* key: the subcommands, their operand counts and the options each takes. */
static const struct {
	const char	*name;
	int		 minargs, maxargs;	/* after the subcommand; -1 any */
	int		 opts[6];		/* O_* it takes, O_COUNT ends */
} key_subs[] = {
	{ "create", 1, 1, { O_MODELS, O_ALL, O_EXPIRES, O_NOTE, O_COLLECTION,
	    O_COUNT } },
	{ "list", 0, 0, { O_COUNT } },
	{ "show", 1, 1, { O_COUNT } },
	{ "revoke", 1, 1, { O_COUNT } },
	{ "rotate", 1, 1, { O_GRACE, O_COUNT } },
	{ "allow", 2, -1, { O_COUNT } },
	{ "deny", 2, -1, { O_COUNT } },
};

static int
run_key(struct ctl *ctl)
{
	size_t	 i, j;
	int	 o, k, n = ctl->argc - 1;

	for (i = 0; i < sizeof(key_subs) / sizeof(key_subs[0]); i++)
		if (strcmp(ctl->argv[0], key_subs[i].name) == 0)
			break;
	if (i == sizeof(key_subs) / sizeof(key_subs[0]))
		usage_error(ctl->cmd, "bad subcommand %s: create, list, show, "
		    "revoke, rotate, allow or deny", ctl->argv[0]);
	if (n < key_subs[i].minargs ||
	    (key_subs[i].maxargs >= 0 && n > key_subs[i].maxargs))
		usage_error(ctl->cmd, "key %s takes %s", key_subs[i].name,
		    key_subs[i].minargs == 0 ? "no operand" :
		    key_subs[i].maxargs == 1 ? "one NAME" : "NAME and MODEL...");
	for (o = O_MODELS; o < O_COUNT; o++) {
		if (ctl->opt[o] == NULL || (o > O_GRACE && o != O_COLLECTION))
			continue;
		for (k = 0, j = 0; key_subs[i].opts[j] != O_COUNT; j++)
			k |= key_subs[i].opts[j] == o;
		if (!k)
			usage_error(ctl->cmd, "key %s takes no option --%s",
			    key_subs[i].name, ctl->optname[o]);
	}
	if (strcmp(ctl->argv[0], "create") == 0 && ctl->opt[O_MODELS] != NULL &&
	    ctl->opt[O_ALL] != NULL)
		usage_error(ctl->cmd, "options --models and --all exclude each "
		    "other");
	return run_single(ctl);
}

/* Issue 10: cap's subcommands, their operands and options (--key stands for MODEL). */
static const struct {
	const char	*name;
	int		 minargs, maxargs;	/* with --key counted as one */
	int		 opts[4];		/* O_* it takes, O_COUNT ends */
	const char	*takes;
} cap_subs[] = {
	{ "set", 2, 2, { O_CAPKEY, O_PERIOD, O_WARN, O_COUNT },
	    "MODEL AMOUNT, or --key NAME and AMOUNT" },
	{ "remove", 1, 1, { O_CAPKEY, O_COUNT }, "MODEL or --key NAME" },
	{ "list", 0, 0, { O_COUNT }, "no operand" },
	{ "show", 1, 1, { O_CAPKEY, O_COUNT }, "MODEL or --key NAME" },
};

static int
run_cap(struct ctl *ctl)
{
	size_t	 i, j;
	int	 o, k, n = ctl->argc - 1 + (ctl->opt[O_CAPKEY] != NULL);

	for (i = 0; i < sizeof(cap_subs) / sizeof(cap_subs[0]); i++)
		if (strcmp(ctl->argv[0], cap_subs[i].name) == 0)
			break;
	if (i == sizeof(cap_subs) / sizeof(cap_subs[0]))
		usage_error(ctl->cmd, "bad subcommand %s: set, remove, list or "
		    "show", ctl->argv[0]);
	if (n < cap_subs[i].minargs || n > cap_subs[i].maxargs)
		usage_error(ctl->cmd, "cap %s takes %s", cap_subs[i].name,
		    cap_subs[i].takes);
	for (o = O_CAPKEY; o <= O_WARN; o++) {
		if (ctl->opt[o] == NULL)
			continue;
		for (k = 0, j = 0; cap_subs[i].opts[j] != O_COUNT; j++)
			k |= cap_subs[i].opts[j] == o;
		if (!k)
			usage_error(ctl->cmd, "cap %s takes no option --%s",
			    cap_subs[i].name, ctl->optname[o]);
	}
	if (strcmp(ctl->argv[0], "set") == 0 && ctl->opt[O_PERIOD] == NULL)
		usage_error(ctl->cmd, "cap set needs --period day, week, month "
		    "or a duration like 10m");
	return run_single(ctl);
}

/* list: a table (JSON array with -j); show and set: the cap; remove: the message. */
static int
render_cap(const struct ctl *ctl, struct record *recs, int n)
{
	const char	*sub = ctl->argv[0], *msg;
	struct buf	 b = { 0 };

	if (strcmp(sub, "list") == 0) {
		if (ctl->json)
			out_caps_json(recs, n);
		else
			out_caps_text(recs, n);
		return CTL_EXIT_OK;
	}
	if (n == 0) {
		ctl_warnx("%s: malformed reply: no cap record", ctl->socket);
		return CTL_EXIT_CONN;
	}
	if (ctl->json) {
		out_cap_json(&recs[0]);
		return CTL_EXIT_OK;
	}
	if ((msg = record_get(&recs[0], "message")) != NULL) {
		out_sanitize(&b, msg, strlen(msg));
		printf("%s\n", b.data != NULL ? b.data : "");
		buf_free(&b);
		return CTL_EXIT_OK;
	}
	out_record_text(&recs[0], NULL, NULL);
	return CTL_EXIT_OK;
}

/*
 * create and rotate: the secret alone on standard output (so that
 * `key create NAME > file` keeps just it), what happened on standard
 * error; with -j one object. list: a table; show: key: value lines.
 */
static int
render_key(const struct ctl *ctl, struct record *recs, int n)
{
	const char	*sub = ctl->argv[0], *secret, *msg;
	struct buf	 b = { 0 };

	if (strcmp(sub, "list") == 0) {
		if (ctl->json)
			out_keys_json(recs, n);
		else
			out_keys_text(recs, n);
		return CTL_EXIT_OK;
	}
	if (n == 0) {
		ctl_warnx("%s: malformed reply: no key record", ctl->socket);
		return CTL_EXIT_CONN;
	}
	if (ctl->json) {
		out_key_json(&recs[0]);
		return CTL_EXIT_OK;
	}
	if (strcmp(sub, "show") == 0) {
		out_record_text(&recs[0], NULL, NULL);
		return CTL_EXIT_OK;
	}
	secret = record_get(&recs[0], "secret");
	if ((msg = record_get(&recs[0], "message")) != NULL) {
		out_sanitize(&b, msg, strlen(msg));
		fprintf(secret != NULL ? stderr : stdout, "%s\n",
		    b.data != NULL ? b.data : "");
		buf_free(&b);
	}
	if (secret != NULL) {
		fprintf(stderr, "the secret follows; it is shown only now, "
		    "keep it safe:\n");
		out_sanitize(&b, secret, strlen(secret));
		printf("%s\n", b.data != NULL ? b.data : "");
		buf_free(&b);
	}
	return CTL_EXIT_OK;
}

/*
 * resolve: the key's secret from --key-file (its first line), else from
 * $MODELREG_KEY, sent as key=; never an argument, which ps(1) shows to
 * everyone. The secret is wiped once the request is sent.
 */
static int
run_resolve(struct ctl *ctl)
{
	const char	*path = ctl->opt[O_KEYFILE], *env;
	char		 secret[256];
	ssize_t		 n = 0, r;
	int		 fd, rv;

	if (path == NULL) {
		if ((env = getenv("MODELREG_KEY")) == NULL || env[0] == '\0')
			return run_single(ctl);
		if (strlen(env) >= sizeof(secret))
			usage_error(ctl->cmd, "$MODELREG_KEY is too long to be "
			    "a key");
		memcpy(secret, env, strlen(env) + 1);
	} else {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
			ctl_warn("%s", path);
			return CTL_EXIT_USAGE;
		}
		while (n < (ssize_t)sizeof(secret) - 1 &&
		    (r = read(fd, secret + n, sizeof(secret) - 1 - (size_t)n)) != 0) {
			if (r == -1) {
				if (errno == EINTR)
					continue;
				ctl_warn("%s", path);
				close(fd);
				explicit_bzero(secret, sizeof(secret));
				return CTL_EXIT_USAGE;
			}
			n += r;
		}
		close(fd);
		secret[n] = '\0';
		secret[strcspn(secret, "\r\n")] = '\0';
		if (secret[0] == '\0')
			usage_error(ctl->cmd, "%s holds no key", path);
	}
	rv = run_single_with(ctl, "key", secret);
	explicit_bzero(secret, sizeof(secret));
	return rv;
}
