/* help.c: modelregctl's help table: what each command does, its options, and what its operand completes to. */
#include <stddef.h>
#include <string.h>

#include "ctl.h"

/*
 * One entry per command of modelregctl.c's table, by name. The usage line
 * and the one-line summary stay in that table (they are printed in the
 * command list and in usage errors); this one adds what `help COMMAND`
 * shows beneath them, and the kind of operand bash completion offers.
 */
static const struct ctl_help helps[] = {
	{ "status", NULL,
	    "Show the daemon (version, pid, configuration, socket, models, the\n"
	    "default), its seed source, its periodic sources and alert channels.\n",
	    NULL },
	{ "list", NULL,
	    "List the registry's models as a table, or as a JSON array with -j.\n",
	    "  --status active|inactive|all  only models of that status (default all)\n"
	    "  --provider P                  only models of provider P\n"
	    "  --search TEXT                 only models whose id, name, provider,\n"
	    "                                description or alias contains TEXT\n"
	    "  --sort name|provider|context|price|status\n"
	    "                                sort key (default name)\n"
	    "  --desc                        sort in descending order\n"
	    "  --kind chat|embedding|moderation|ocr|image|audio|other\n"
	    "                                only models of that kind\n" },
	{ "show", "model",
	    "Show one model (MODEL: an id or an alias) with every field.\n",
	    NULL },
	{ "activate", "model",
	    "Make models available (member or admin). Each model's outcome is\n"
	    "printed on its own line; the exit status is the worst outcome.\n",
	    NULL },
	{ "deactivate", "model",
	    "Make models unavailable (member or admin). On a terminal, asks\n"
	    "first unless -y is given. The default cannot be deactivated.\n",
	    "  -y, --yes                     do not ask for confirmation\n" },
	{ "default", "model",
	    "Without MODEL, show the default model; with MODEL, make that active\n"
	    "model the default (member or admin).\n",
	    NULL },
	{ "delete", "model",
	    "Remove models and their settings from the registry (admin). On a\n"
	    "terminal, asks first unless -y is given. The default cannot be\n"
	    "deleted.\n",
	    "  -y, --yes                     do not ask for confirmation\n" },
	{ "catalog", NULL,
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
	    "  --kind K                      only models of kind K (as list)\n" },
	{ "sync", "catalog",
	    "Add catalog models (by id or alias) to the registry (member or\n"
	    "admin), each with the status the seed rules give it.\n",
	    NULL },
	{ "refresh", "source",
	    "Run a periodic source now and report its outcome (admin): catalog,\n"
	    "zdr, uptime, or all of those configured.\n",
	    "  --force                       apply the response that was held\n"
	    "  --no-wait                     start the run, do not wait for it\n" },
	{ "uptime", "model",
	    "Show the uptime history of every synced model, or of MODEL, over a\n"
	    "window. Exits 1 when no uptime source is configured.\n",
	    "  --window 1h|24h|7d|30d        the window (default 24h)\n" },
	{ "events", NULL,
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
	    "                                only --kind)\n" },
	{ "audit", NULL,
	    "Show the audit log: who changed what and when, newest last, with\n"
	    "the old and new values.\n",
	    "  --model M                     only rows of model M (an id or alias;\n"
	    "                                a deleted model by its id)\n"
	    "  --actor USER                  only changes made by USER\n"
	    "  --since DURATION              only rows younger than that (90s,\n"
	    "                                15m, 1h, 7d)\n"
	    "  --limit N                     the newest N rows (default 100,\n"
	    "                                at most 10000)\n" },
	{ "seed", NULL,
	    "Run the seed rules now (admin) and report what they changed.\n",
	    NULL },
	{ "reload", NULL,
	    "Reload the daemon's configuration (admin). A bad file is refused\n"
	    "and the running configuration kept.\n",
	    NULL },
	{ "whoami", NULL,
	    "Show the user, uid and role the daemon gives this connection.\n",
	    NULL },
	{ "ping", NULL,
	    "Check that the daemon answers: prints pong, exit status 0.\n",
	    NULL },
	{ "version", NULL,
	    "Show the daemon's version and modelregctl's.\n",
	    NULL },
	{ "help", "command",
	    "Without COMMAND, list the commands; with COMMAND, show its usage\n"
	    "and options (as COMMAND --help does).\n",
	    NULL },
};
#define NHELPS	(sizeof(helps) / sizeof(helps[0]))

const struct ctl_help *
help_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NHELPS; i++)
		if (strcmp(helps[i].name, name) == 0)
			return &helps[i];
	return NULL;
}
