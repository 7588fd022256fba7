/* fuzz_config.c: the config parser on a buffer: a config or errors, never both or neither; every error names the file and line and holds no raw control byte. */
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define NAME	"fuzz.conf"

static void
check_errors(const struct cfg_errors *e)
{
	const unsigned char	*p;
	size_t			 i;

	for (i = 0; i < e->n; i++) {
		FUZZ_CHECK(e->msg[i] != NULL, "a NULL error message");
		FUZZ_CHECK(strncmp(e->msg[i], NAME ":", sizeof(NAME)) == 0,
		    "an error that does not name the file");
		/*
		 * A message goes to a log or a terminal: no input byte may
		 * start a line of its own or move the cursor. A tab is a blank
		 * the config allows inside a value, quoted as it is.
		 */
		for (p = (const unsigned char *)e->msg[i]; *p != '\0'; p++)
			FUZZ_CHECK((*p >= 0x20 || *p == '\t') && *p != 0x7f,
			    "a raw control byte in an error message");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errors	 errs = { 0 }, errs2 = { 0 };
	struct config		*cfg, *cfg2;

	cfg = cfg_parse((const char *)data, size, NAME, &errs);
	FUZZ_CHECK((cfg == NULL) == (errs.n > 0),
	    "a config with errors, or no config and no error");
	check_errors(&errs);
	/* Pure: the same text gives the same answer. */
	cfg2 = cfg_parse((const char *)data, size, NAME, &errs2);
	FUZZ_CHECK((cfg2 == NULL) == (cfg == NULL) && errs2.n == errs.n,
	    "the same text parsed twice differs");
	cfg_free(cfg);
	cfg_free(cfg2);
	cfg_errors_free(&errs);
	cfg_errors_free(&errs2);
	return 0;
}
