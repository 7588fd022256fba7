/* import_args.c: IMPORT's request line into a bounded struct or the refusal IMPORT replies (import_args.h): no SQLite, no globals, so fuzz_import.c can run it. */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "export.h"
#include "import_args.h"
#include "proto.h"

/*
 * A flag that takes yes or no (no: absent), unlike args_yes's yes-only
 * flags: IMPORT has always taken dry_run=no. 0 (*v set), -1 with e set.
 */
static int
import_flag(const struct proto_req *req, const char *key, int *v,
    struct args_err *e)
{
	const char	*s = proto_opt(req, key);

	*v = 0;
	if (s == NULL || strcmp(s, "no") == 0)
		return 0;
	if (strcmp(s, "yes") == 0) {
		*v = 1;
		return 0;
	}
	return args_refuse(e, "usage", "bad %s \"%.16s\": expected yes or no",
	    key, s);
}

int
import_parse_args(const struct proto_req *req, struct import_args *a,
    struct args_err *e)
{
	const char		*v;
	char			*end;
	unsigned long long	 size;

	memset(a, 0, sizeof(*a));
	if (args_verb(req, "IMPORT", IMPORT_ARGS_USAGE, 0, 0, IMPORT_ARGS_OPTS,
	    e) == -1)
		return -1;
	if ((v = proto_opt(req, "size")) == NULL)
		return args_refuse(e, "usage", "IMPORT needs size=BYTES, the "
		    "length of the file that follows");
	/* Too many digits saturate at ULLONG_MAX: refused as too large below. */
	size = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || size == 0)
		return args_refuse(e, "usage", "bad size \"%.32s\": expected the "
		    "file's length in bytes, from 1", v);
	/* The digits as sent: a saturated value is not what the client said. */
	if (size > EXPORT_MAX_BYTES)
		return args_refuse(e, "usage", "the file is %.32s%s bytes: IMPORT "
		    "takes at most %u (64 MiB)", v, strlen(v) > 32 ? "..." : "",
		    EXPORT_MAX_BYTES);
	a->size = (size_t)size;
	if (import_flag(req, "dry_run", &a->dry_run, e) == -1 ||
	    import_flag(req, "strict", &a->strict, e) == -1)
		return -1;
	return 0;
}
