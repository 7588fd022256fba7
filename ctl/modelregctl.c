/* modelregctl.c: modelregctl's main: parse argv into a request, run its command, exit with the worst outcome. */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "ctl.h"

void
ctl_vwarn(int errnum, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("modelregctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void
ctl_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	ctl_vwarn(saved, fmt, ap);
	va_end(ap);
}

void
ctl_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctl_vwarn(0, fmt, ap);
	va_end(ap);
}

/* Severity of an exit code: denied > cannot reach > err > ok. */
int
ctl_worse(int a, int b)
{
	static const int rank[] = { 0, 1, 0, 2, 3 };

	if (a < 0 || a > 4)
		return b;
	if (b < 0 || b > 4)
		return a;
	return rank[b] > rank[a] ? b : a;
}

int
main(int argc, char *argv[])
{
	struct ctl		 ctl;
	const struct command	*cmd;
	int			 rv = CTL_EXIT_OK;

	/* Column widths of UTF-8 names; nothing else depends on the locale. */
	setlocale(LC_CTYPE, "C.UTF-8");

	switch (parse_args(&ctl, argc, argv)) {
	case PARSE_COMPLETE:
		rv = complete_main(&ctl, ctl.argc, ctl.argv);
		break;
	case PARSE_HELP:
		help();
		break;
	case PARSE_COMMAND_HELP:
		help_command(ctl.cmd);
		break;
	case PARSE_VERSION:
		printf("modelregctl %s\n", MODELREG_VERSION);
		break;
	case PARSE_RUN:
		/* A command's own run, else one request, or one per model. */
		cmd = ctl.cmd;
		if (cmd->run != NULL)
			rv = cmd->run(&ctl);
		else if ((cmd->flags & CMD_MULTI) && ctl.argc > 0)
			rv = run_models(&ctl);
		else
			rv = run_single(&ctl);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			ctl_warn("writing the output");
			rv = ctl_worse(rv, CTL_EXIT_ERR);
		}
		break;
	}
	free(ctl.argv);
	return rv;
}
