/* stubs.c: the daemon's state and the three calls of modelregd.c that the rules files linked with the argument parsers refer to; the parsers themselves use none of them. */
#include <stddef.h>

#include "daemon.h"

struct modelregd md;

int
daemon_reload(char *err, size_t len)
{
	(void)err;
	(void)len;
	return -1;
}

void
daemon_stop(void)
{
}

void
daemon_status(const char *fmt, ...)
{
	(void)fmt;
}
