/* complete.c: modelregctl's hidden __complete command: the candidates bash completion offers, read from the command and option tables. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "ctl.h"

/*
 * The hidden __complete command, for the bash completion script
 * (ctl/modelregctl.bash), so that it offers what the tables accept: one
 * candidate a line on stdout, nothing on stderr, exit 0 even when the
 * daemon is down (no candidates then).
 *   __complete commands
 *   __complete options CMD          the options CMD takes
 *   __complete values CMD OPTION    exit 1 when OPTION takes no value
 *   __complete operands CMD         model ids, catalog ids, sources, commands
 */
static void
complete_ids(struct ctl *ctl, const char *line)
{
	struct buf	 req = { 0 };
	struct record	 rec;
	struct reply	 r;
	const char	*id, *p;
	int		 i;

	if (buf_puts(&req, line) == -1 || buf_putc(&req, '\n') == -1)
		return;
	if (ctl_request(ctl, &req, &r) == CTL_EXIT_OK) {
		for (i = 0; i < r.n; i++) {
			if (record_parse(&rec, r.lines[i], r.lens[i]) == -1)
				continue;
			/* An id the shell would split or that holds control bytes is not offered. */
			if ((id = record_get(&rec, "id")) != NULL) {
				for (p = id; *p != '\0' &&
				    (unsigned char)*p > 0x20 && *p != 0x7f; p++)
					;
				if (*p == '\0' && id[0] != '\0')
					printf("%s\n", id);
			}
			record_free(&rec);
		}
	}
	reply_free(&r);
	buf_free(&req);
}

static void
complete_set(const char *const *set)
{
	for (; *set != NULL; set++)
		printf("%s\n", *set);
}

static void
complete_alarm(int sig)
{
	(void)sig;
	_exit(CTL_EXIT_OK);
}

int
complete_main(struct ctl *ctl, int argc, char **argv)
{
	const struct command	*cmd = NULL;
	const struct optdef	*o = NULL;
	size_t			 i;

	/* A completion must never print over the command line or hang the shell. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return CTL_EXIT_OK;
	signal(SIGALRM, complete_alarm);
	alarm(3);
	if (argc >= 2 && (cmd = command_find(argv[1])) == NULL)
		return CTL_EXIT_OK;
	if (argc == 1 && strcmp(argv[0], "commands") == 0) {
		for (i = 0; i < ncommands; i++)
			printf("%s\n", commands[i].name);
	} else if (argc == 2 && strcmp(argv[0], "options") == 0) {
		for (i = 0; i < noptdefs; i++)
			if (optdefs[i].sets & cmd->opts)
				printf("--%s\n", optdefs[i].name);
		printf("--json\n--socket\n--help\n");
		if (cmd->flags & CMD_CONFIRM)
			printf("--yes\n");
	} else if (argc == 3 && strcmp(argv[0], "values") == 0) {
		if (strcmp(argv[2], "socket") == 0 || strcmp(argv[2], "s") == 0)
			return CTL_EXIT_OK;
		for (i = 0; i < noptdefs; i++)
			if (strcmp(optdefs[i].name, argv[2]) == 0 &&
			    (optdefs[i].sets & cmd->opts))
				o = &optdefs[i];
		if (o == NULL || o->fixed != NULL)
			return CTL_EXIT_ERR;
		if (o->complete == C_VALUES)
			complete_set(o->values);
		else if (o->complete == C_MODELS)
			complete_ids(ctl, "LIST status=all");
	} else if (argc == 2 && strcmp(argv[0], "operands") == 0) {
		if (cmd->operand == NULL)
			return CTL_EXIT_OK;
		if (cmd->operands != NULL)
			complete_set(cmd->operands);
		else if (strcmp(cmd->operand, "model") == 0)
			complete_ids(ctl, "LIST status=all");
		else if (strcmp(cmd->operand, "catalog") == 0)
			complete_ids(ctl, "CATALOG synced=no");
		else if (strcmp(cmd->operand, "command") == 0)
			for (i = 0; i < ncommands; i++)
				printf("%s\n", commands[i].name);
	}
	return CTL_EXIT_OK;
}
