/* parser.c: modelregctl's argv into one struct ctl (command, operands, options), checked against the tables; usage and help. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "ctl.h"

static const char *const list_statuses[] = { "active", "inactive", "all", NULL };
static const char *const list_sorts[] = { "name", "provider", "context",
    "price", "status", NULL };
static const char *const catalog_sorts[] = { "name", "provider", "context",
    "price", NULL };
static const char *const model_kinds[] = { "chat", "embedding", "moderation",
    "ocr", "image", "audio", "other", NULL };
static const char *const uptime_windows[] = { "1h", "24h", "7d", "30d", NULL };
static const char *const batch_statuses[] = { "active", "inactive", NULL };
static const char *const usage_bys[] = { "model", "key", "day", NULL };

/*
 * The command options: the request key each becomes, the value it stands
 * for when it takes none, the commands (option sets) that take it, how its
 * value is checked and what completion offers. An option may have a row
 * per set when its values differ (--sort, --kind); requests carry the
 * options in this order.
 */
const struct optdef optdefs[] = {
	{ "status",	O_STATUS,	"status",	NULL,	OS_LIST,
	    V_SET,	list_statuses,	C_VALUES },
	/* Issue 11: a selection is of active or inactive models. */
	{ "status",	O_STATUS,	"status",	NULL,	OS_SELECT | OS_COLL,
	    V_SET,	batch_statuses,	C_VALUES },
	{ "provider",	O_PROVIDER,	"provider",	NULL,
	    OS_LIST | OS_CATALOG | OS_SELECT | OS_COLL,	V_ANY,	NULL,	C_NONE },
	{ "search",	O_SEARCH,	"search",	NULL,
	    OS_LIST | OS_CATALOG | OS_SELECT | OS_COLL,	V_ANY,	NULL,	C_NONE },
	{ "sort",	O_SORT,		"sort",		NULL,	OS_LIST,
	    V_SET,	list_sorts,	C_VALUES },
	{ "sort",	O_SORT,		"sort",		NULL,	OS_CATALOG,
	    V_SET,	catalog_sorts,	C_VALUES },
	{ "desc",	O_DESC,		"order",	"desc",
	    OS_LIST | OS_CATALOG,	V_ANY,	NULL,	C_NONE },
	{ "zdr",	O_ZDR,		"zdr",		"yes",	OS_CATALOG,
	    V_ANY,	NULL,		C_NONE },
	{ "no-zdr",	O_ZDR,		"zdr",		"no",	OS_CATALOG,
	    V_ANY,	NULL,		C_NONE },
	{ "synced",	O_SYNCED,	"synced",	"yes",	OS_CATALOG,
	    V_ANY,	NULL,		C_NONE },
	{ "unsynced",	O_SYNCED,	"synced",	"no",	OS_CATALOG,
	    V_ANY,	NULL,		C_NONE },
	{ "window",	O_WINDOW,	"window",	NULL,	OS_UPTIME,
	    V_SET,	uptime_windows,	C_VALUES },
	{ "since",	O_SINCE,	"since",	NULL,	OS_EVENTS | OS_AUDIT | OS_USAGE,
	    V_DURATION,	NULL,		C_NONE },
	/* An event's kind for events; a model's kind for list and catalog. */
	{ "kind",	O_KIND,		"kind",		NULL,	OS_EVENTS,
	    V_ANY,	NULL,		C_NONE },
	{ "kind",	O_KIND,		"kind",		NULL,
	    OS_LIST | OS_CATALOG | OS_SELECT | OS_COLL,
	    V_SET,	model_kinds,	C_NONE },
	{ "model",	O_MODEL,	"model",	NULL,	OS_EVENTS | OS_AUDIT | OS_USAGE,
	    V_ANY,	NULL,		C_MODELS },
	{ "limit",	O_LIMIT,	"limit",	NULL,	OS_EVENTS | OS_AUDIT | OS_USAGE |
	    OS_HISTORY, V_COUNT,	NULL,		C_NONE },
	/* list and catalog: the rows wanted; run_paged sends its own limit=. */
	{ "limit",	O_LIMIT,	NULL,		NULL,	OS_LIST | OS_CATALOG,
	    V_COUNT,	NULL,		C_NONE },
	{ "actor",	O_ACTOR,	"actor",	NULL,	OS_AUDIT,
	    V_USER,	NULL,		C_NONE },
	{ "follow",	O_FOLLOW,	NULL,		"yes",	OS_EVENTS,
	    V_ANY,	NULL,		C_NONE },
	{ "force",	O_FORCE,	"force",	"yes",	OS_REFRESH,
	    V_ANY,	NULL,		C_NONE },
	{ "no-wait",	O_NOWAIT,	"wait",		"no",	OS_REFRESH,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 9: a model's settings; the daemon checks the ranges. */
	{ "label",	O_LABEL,	"label",	NULL,	OS_SET,
	    V_ANY,	NULL,		C_NONE },
	{ "alias",	O_ALIAS,	"alias",	NULL,	OS_SET | OS_UNSET,
	    V_ANY,	NULL,		C_NONE },
	{ "temperature", O_TEMPERATURE,	"temperature",	NULL,	OS_SET,
	    V_DECIMAL,	NULL,		C_NONE },
	{ "top-p",	O_TOP_P,	"top_p",	NULL,	OS_SET,
	    V_DECIMAL,	NULL,		C_NONE },
	{ "max-tokens",	O_MAX_TOKENS,	"max_tokens",	NULL,	OS_SET,
	    V_INTEGER,	NULL,		C_NONE },
	{ "frequency-penalty", O_FREQ_PENALTY, "frequency_penalty", NULL, OS_SET,
	    V_DECIMAL,	NULL,		C_NONE },
	{ "presence-penalty", O_PRES_PENALTY, "presence_penalty", NULL, OS_SET,
	    V_DECIMAL,	NULL,		C_NONE },
	{ "enforce",	O_ENFORCE,	"enforce",	NULL,	OS_SET | OS_UNSET,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 9: key; run_key checks which subcommand takes which. */
	{ "models",	O_MODELS,	"models",	NULL,	OS_KEY,
	    V_ANY,	NULL,		C_MODELS },
	{ "all",	O_ALL,		"all",		"yes",	OS_KEY,
	    V_ANY,	NULL,		C_NONE },
	{ "expires",	O_EXPIRES,	"expires",	NULL,	OS_KEY,
	    V_DURATION,	NULL,		C_NONE },
	{ "note",	O_NOTE,		"note",		NULL,	OS_KEY,
	    V_ANY,	NULL,		C_NONE },
	{ "grace",	O_GRACE,	"grace",	NULL,	OS_KEY,
	    V_DURATION,	NULL,		C_NONE },
	/* resolve: a file the secret is read from; never the secret itself. */
	{ "key-file",	O_KEYFILE,	NULL,		NULL,	OS_RESOLVE | OS_RELEASE,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 9 item 4: sessions, and a delete that ends them. */
	{ "session",	O_SESSION,	"session",	NULL,	OS_RESOLVE | OS_RELEASE,
	    V_ANY,	NULL,		C_NONE },
	{ "force",	O_FORCE,	"force",	"yes",	OS_DELETE,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 10: cap; the daemon checks the amount, period and share. */
	{ "key",	O_CAPKEY,	"key",		NULL,	OS_CAP,
	    V_ANY,	NULL,		C_NONE },
	{ "period",	O_PERIOD,	"period",	NULL,	OS_CAP,
	    V_ANY,	NULL,		C_NONE },
	{ "warn",	O_WARN,		"warn",		NULL,	OS_CAP,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 11: tags, collections, selectors; the daemon checks the names. */
	{ "add",	O_ADD,		"add",		NULL,	OS_TAG,
	    V_ANY,	NULL,		C_NONE },
	{ "remove",	O_REMOVE,	"remove",	NULL,	OS_TAG,
	    V_ANY,	NULL,		C_NONE },
	{ "tag",	O_TAG,		"tag",		NULL,
	    OS_LIST | OS_CATALOG | OS_SELECT | OS_COLL,	V_ANY,	NULL,	C_NONE },
	{ "collection",	O_COLLECTION,	"collection",	NULL,
	    OS_LIST | OS_SELECT | OS_COLL | OS_KEY,	V_ANY,	NULL,	C_NONE },
	{ "skip-refused", O_SKIP,	"skip_refused",	"yes",	OS_SELECT,
	    V_ANY,	NULL,		C_NONE },
	{ "dry-run",	O_DRYRUN,	"dry_run",	"yes",	OS_SELECT | OS_SWITCH |
	    OS_UNDO,
	    V_ANY,	NULL,		C_NONE },
	{ "default",	O_DEFAULT,	"default",	NULL,	OS_SWITCH,
	    V_ANY,	NULL,		C_MODELS },
	/* collection create and add: FILTER is KEY=VALUE[,KEY=VALUE...] (tags.c). */
	{ "from",	O_FROM,		NULL,		NULL,	OS_COLL,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 10: usage; --key is a key's name here, never a secret. */
	{ "by",		O_BY,		"by",		NULL,	OS_USAGE,
	    V_SET,	usage_bys,	C_VALUES },
	{ "key",	O_KEYNAME,	"key",		NULL,	OS_USAGE,
	    V_ANY,	NULL,		C_NONE },
	/* Issue 11 item 3: also a selector of activate, deactivate and delete. */
	{ "unused",	O_UNUSED,	"unused",	NULL,	OS_USAGE | OS_SELECT,
	    V_DURATION,	NULL,		C_NONE },
	/* Issue 11 item 4: export's file is written here, never sent. */
	{ "output",	O_OUTPUT,	NULL,		NULL,	OS_EXPORT,
	    V_ANY,	NULL,		C_NONE },
	{ "dry-run",	O_DRYRUN,	"dry_run",	"yes",	OS_IMPORT,
	    V_ANY,	NULL,		C_NONE },
	{ "strict",	O_STRICT,	"strict",	"yes",	OS_IMPORT,
	    V_ANY,	NULL,		C_NONE },
};
const size_t noptdefs = sizeof(optdefs) / sizeof(optdefs[0]);

static void
usage_line(FILE *f, const struct command *cmd)
{
	if (cmd != NULL)
		fprintf(f, "usage: modelregctl [-jy] [-s socket] %s%s%s\n",
		    cmd->name, cmd->args[0] != '\0' ? " " : "", cmd->args);
	else
		fprintf(f, "usage: modelregctl [-jy] [-s socket] command [args]\n");
}

static void
usage_commands(FILE *f)
{
	size_t		 i;
	const char	*args, *opts;
	int		 len;

	fprintf(f, "commands:\n");
	for (i = 0; i < ncommands; i++) {
		/* Long option lists show as "[options]", after any operand. */
		args = commands[i].args;
		len = (int)strlen(args);
		if (len > 32) {
			opts = strstr(args, "[--");
			len = opts != NULL ? (int)(opts - args) : 0;
		}
		fprintf(f, "  %-10s %.*s%-*s %s\n", commands[i].name, len, args,
		    32 - len, (int)strlen(args) > 32 ? "[options]" : "",
		    commands[i].summary);
	}
}

void
help(void)
{
	usage_line(stdout, NULL);
	printf("options:\n"
	    "  -s, --socket PATH  the daemon's socket (default $MODELREG_SOCKET,\n"
	    "                     else %s)\n"
	    "  -j, --json         print JSON\n"
	    "  -y, --yes          do not ask before deactivate and delete\n"
	    "  -h, --help         print this help\n"
	    "  -V, --version      print modelregctl's version\n", MODELREG_SOCKET);
	usage_commands(stdout);
	printf("Run 'modelregctl help COMMAND' (or 'modelregctl COMMAND --help') "
	    "for a command's\noptions.\n");
}

/* help COMMAND, COMMAND --help: its usage line, what it does, its options. */
void
help_command(const struct command *cmd)
{
	usage_line(stdout, cmd);
	if (cmd->about != NULL)
		printf("\n%s", cmd->about);
	else
		printf("\n%c%s.\n", toupper((unsigned char)cmd->summary[0]),
		    cmd->summary + 1);
	if (cmd->options != NULL)
		printf("\noptions:\n%s", cmd->options);
	else if (cmd->opts != 0)
		printf("\noptions: see modelregctl(1)\n");
	printf("\nglobal options: -s SOCKET, -j (JSON), -y (do not ask), "
	    "-h (help)\n");
}

void
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctl_vwarn(0, fmt, ap);
	va_end(ap);
	usage_line(stderr, cmd);
	if (cmd == NULL)
		usage_commands(stderr);
	exit(CTL_EXIT_USAGE);
}

int
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

/* A set's values for a message: "a, b or c". */
static void
set_text(char *s, size_t len, const char *const *set)
{
	size_t	 i, used = 0;
	int	 w;

	s[0] = '\0';
	for (i = 0; set[i] != NULL; i++) {
		w = snprintf(s + used, len - used, "%s%s", i == 0 ? "" :
		    set[i + 1] == NULL ? " or " : ", ", set[i]);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

/* "90s", "15m", "1h", "7d": digits, then a unit. */
static int
valid_duration(const char *v)
{
	size_t	 n = strspn(v, "0123456789");

	return n > 0 && n <= 9 && v[n] != '\0' && strchr("smhd", v[n]) != NULL &&
	    v[n + 1] == '\0';
}

/* A positive count of at most max, in decimal. */
static int
valid_count(const char *v, long max)
{
	char	*end;
	long	 n;

	if (v[0] < '0' || v[0] > '9')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno == 0 && *end == '\0' && n >= 1 && n <= max;
}

/* [-]digits[.digits], or (integer) digits only: what the daemon reads as a value. */
static int
valid_decimal(const char *v, int integer)
{
	size_t	 n = strlen(v);

	if (n == 0 || n > 32)
		return 0;
	if (*v == '-' && !integer)
		v++;
	if (*v < '0' || *v > '9')
		return 0;
	v += strspn(v, "0123456789");
	if (*v == '.' && !integer) {
		v++;
		if (*v < '0' || *v > '9')
			return 0;
		v += strspn(v, "0123456789");
	}
	return *v == '\0';
}

/* The option row of cmd called name, or NULL. */
static const struct optdef *
option_find(const struct command *cmd, const char *name)
{
	const struct optdef	*o = NULL;
	size_t			 i;

	for (i = 0; i < noptdefs; i++)
		if (strcmp(optdefs[i].name, name) == 0 &&
		    (optdefs[i].sets & cmd->opts))
			o = &optdefs[i];
	return o;
}

/* A command option (--status S, --zdr ...); 1 when it was one, 0 when not. */
static int
parse_option(struct ctl *ctl, const struct command *cmd, const char *name,
    const char *value, int *used, char *next)
{
	const struct optdef	*o;
	char			 set[256];

	if ((o = option_find(cmd, name)) == NULL)
		return 0;
	if (o->fixed != NULL) {
		if (value != NULL)
			usage_error(cmd, "option --%s takes no value", name);
		if (ctl->opt[o->id] != NULL &&
		    strcmp(ctl->optname[o->id], o->name) != 0)
			usage_error(cmd, "options --%s and --%s exclude each "
			    "other", ctl->optname[o->id], o->name);
		ctl->opt[o->id] = o->fixed;
		ctl->optname[o->id] = o->name;
		return 1;
	}
	if (value == NULL) {
		if (next == NULL)
			usage_error(cmd, "option --%s needs a value", name);
		value = next;
		*used = 1;
	}
	/* Issue 9: set's options are sent once; several names are one list. */
	if ((o->sets & (OS_SET | OS_UNSET)) && ctl->opt[o->id] != NULL)
		usage_error(cmd, "option --%s given twice%s", name,
		    o->id == O_ALIAS || o->id == O_ENFORCE ?
		    ": give several as one comma-separated list" : "");
	switch (o->check) {
	case V_SET:
		if (!one_of(value, o->values)) {
			set_text(set, sizeof(set), o->values);
			usage_error(cmd, "bad --%s %s: %s", name, value, set);
		}
		break;
	case V_DURATION:
		if (!valid_duration(value))
			usage_error(cmd, "bad --%s %s: a number and s, m, h "
			    "or d (90s, 15m, 1h, 7d)", name, value);
		break;
	case V_COUNT:
		if (!valid_count(value, OPT_MAXCOUNT))
			usage_error(cmd, "bad --%s %s: 1 to %d", name, value,
			    OPT_MAXCOUNT);
		break;
	case V_USER:
		/* Not echoed: it may be long. */
		if (value[0] == '\0' || strlen(value) > 64)
			usage_error(cmd, "bad --%s: a user name of 1 to 64 "
			    "bytes", name);
		break;
	case V_ANY:
		if (value[0] == '\0')
			usage_error(cmd, "option --%s needs a value", name);
		break;
	case V_DECIMAL:
	case V_INTEGER:
		if (!valid_decimal(value, o->check == V_INTEGER))
			usage_error(cmd, "bad --%s%s%s: %s", name,
			    strlen(value) <= 32 ? " " : "",
			    strlen(value) <= 32 ? value : "",
			    o->check == V_INTEGER ? "a whole number (digits)" :
			    "a number such as 0.7 or -1.5");
		break;
	}
	ctl->opt[o->id] = value;
	ctl->optname[o->id] = o->name;
	return 1;
}

/* The operands against the command's set of values (refresh's sources). */
static void
parse_operands(const struct ctl *ctl)
{
	const struct command	*cmd = ctl->cmd;
	char			 set[256];
	int			 i;

	for (i = 0; cmd->operands != NULL && i < ctl->argc; i++)
		if (!one_of(ctl->argv[i], cmd->operands)) {
			set_text(set, sizeof(set), cmd->operands);
			usage_error(cmd, "bad %s %s: %s", cmd->operand,
			    ctl->argv[i], set);
		}
}

static void
parse_socket(struct ctl *ctl)
{
	const char	*env;

	if (ctl->socket == NULL) {
		env = getenv("MODELREG_SOCKET");
		ctl->socket = env != NULL && env[0] != '\0' ? env :
		    MODELREG_SOCKET;
	}
}

/*
 * Global options go anywhere; a command's options after its name; "--"
 * ends the options. The first word that is not an option is the command,
 * the others its operands (ctl->argv, which the caller frees). Usage
 * errors are reported in the order they are met, and exit 2.
 */
enum parse_action
parse_args(struct ctl *ctl, int argc, char **argv)
{
	const struct command	*cmd = NULL;
	char			**words, *a, *eq, *next, name[32];
	const char		*value;
	int			 nw = 0, i, used, dashdash = 0, wanthelp = 0;
	size_t			 k;

	memset(ctl, 0, sizeof(*ctl));
	if ((words = calloc((size_t)argc + 1, sizeof(*words))) == NULL) {
		ctl_warn("starting");
		exit(CTL_EXIT_USAGE);
	}
	ctl->argv = words;
	for (i = 1; i < argc; i++) {
		a = argv[i];
		next = i + 1 < argc ? argv[i + 1] : NULL;
		used = 0;
		if (nw == 0 && strcmp(a, "__complete") == 0) {
			parse_socket(ctl);
			ctl->argc = argc - (i + 1);
			memcpy(words, argv + i + 1, (size_t)ctl->argc *
			    sizeof(*words));
			return PARSE_COMPLETE;
		}
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (nw++ == 0) {
				if ((cmd = command_find(a)) == NULL)
					usage_error(NULL, "unknown command: %s", a);
			} else
				words[ctl->argc++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (a[1] == '-') {
			value = NULL;
			if ((eq = strchr(a, '=')) != NULL) {
				value = eq + 1;
				if ((size_t)(eq - a - 2) >= sizeof(name))
					usage_error(cmd, "unknown option %s", a);
				memcpy(name, a + 2, (size_t)(eq - a - 2));
				name[eq - a - 2] = '\0';
			} else if (strlen(a + 2) >= sizeof(name))
				usage_error(cmd, "unknown option %s", a);
			else
				strcpy(name, a + 2);
			if (strcmp(name, "json") == 0 || strcmp(name, "yes") == 0 ||
			    strcmp(name, "help") == 0 ||
			    strcmp(name, "version") == 0) {
				if (value != NULL)
					usage_error(cmd, "option --%s takes no "
					    "value", name);
				if (name[0] == 'j')
					ctl->json = 1;
				else if (name[0] == 'y')
					ctl->yes = 1;
				else if (name[0] == 'h')
					wanthelp = 1;
				else
					return PARSE_VERSION;
			} else if (strcmp(name, "socket") == 0) {
				if (value == NULL) {
					if (next == NULL)
						usage_error(cmd, "option --socket "
						    "needs a value");
					value = next;
					used = 1;
				}
				ctl->socket = value;
			} else if (cmd == NULL ||
			    !parse_option(ctl, cmd, name, value, &used, next))
				usage_error(cmd, "unknown option %s", a);
			i += used;
			continue;
		}
		for (k = 1; a[k] != '\0'; k++) {
			switch (a[k]) {
			case 'j':
				ctl->json = 1;
				break;
			case 'y':
				ctl->yes = 1;
				break;
			case 'h':
				wanthelp = 1;
				break;
			case 'V':
				return PARSE_VERSION;
			case 's':
				if (a[k + 1] != '\0')
					ctl->socket = a + k + 1;
				else if (next != NULL) {
					ctl->socket = next;
					used = 1;
				} else
					usage_error(cmd, "option -s needs a value");
				k = strlen(a) - 1;
				break;
			default:
				usage_error(cmd, "unknown option -%c", a[k]);
			}
		}
		i += used;
	}
	ctl->cmd = cmd;
	/* -h anywhere: the command's help, or the whole help without one. */
	if (wanthelp)
		return cmd != NULL ? PARSE_COMMAND_HELP : PARSE_HELP;
	if (cmd == NULL)
		usage_error(NULL, "no command given");
	if (ctl->argc < cmd->minargs ||
	    (cmd->maxargs >= 0 && ctl->argc > cmd->maxargs))
		usage_error(cmd, "%s: %s", cmd->name, ctl->argc < cmd->minargs ?
		    "too few arguments" : "too many arguments");
	parse_socket(ctl);
	if (ctl->socket[0] == '\0')
		usage_error(cmd, "empty socket path");
	parse_operands(ctl);
	return PARSE_RUN;
}
