/* fuzz_export.c: the export parser (IMPORT's validation): a document or a message, never both; what it accepts keeps the rules; parse, write, parse gives the same document, written the same bytes. */
#include <string.h>

#include "export.h"
#include "fuzz.h"

/* Every list member is a non-empty, NUL-terminated string; the rules the parser promises hold. */
static void
check_doc(const struct export_doc *d)
{
	int	 i, j;

	FUZZ_CHECK(d->version >= 1 && d->version <= EXPORT_VERSION, "a version out of range");
	for (i = 0; i < d->nmodels; i++) {
		const struct export_model *m = &d->models[i];

		FUZZ_CHECK(m->id != NULL && m->id[0] != '\0', "a model without an id");
		FUZZ_CHECK(strcmp(m->source, "seed") == 0 ||
		    strcmp(m->source, "manual") == 0 ||
		    strcmp(m->source, "auto") == 0, "an unknown source");
		FUZZ_CHECK((m->enforced & ~m->params_set) == 0,
		    "a parameter enforced without a value");
		FUZZ_CHECK(m->naliases <= SETTINGS_MAX_ALIASES && m->ntags <= 32,
		    "too many aliases or tags");
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(d->models[j].id, m->id) != 0,
			    "a duplicate id accepted");
	}
	if (d->default_model != NULL) {
		for (i = 0; i < d->nmodels; i++)
			if (strcmp(d->models[i].id, d->default_model) == 0)
				break;
		FUZZ_CHECK(i < d->nmodels && d->models[i].active,
		    "a default that is not an active model of the file");
	}
	for (i = 0; i < d->ncaps; i++)
		FUZZ_CHECK((d->caps[i].model == NULL) != (d->caps[i].key == NULL) &&
		    d->caps[i].amount > 0, "a cap out of its rules");
	for (i = 0; i < d->nkeys; i++)
		FUZZ_CHECK((d->keys[i].all != 0) + (d->keys[i].collection != NULL) +
		    (d->keys[i].nmodels > 0) <= 1, "a key with two grants kinds");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct export_doc	 d, d2;
	struct buf		 w1 = { 0 }, w2 = { 0 };
	char			 err[512];
	int			 rc;

	err[0] = 'x';
	rc = export_parse((const char *)data, size, &d, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "export_parse returned neither 0 nor -1");
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err),
		    "a refusal without a message");
		FUZZ_CHECK(d.nmodels == 0 && d.models == NULL && d.nkeys == 0,
		    "a refusal that left a document");
		return 0;
	}
	check_doc(&d);
	FUZZ_CHECK(export_write(&w1, &d) == 0, "export_write failed");
	rc = export_parse(w1.data, w1.len, &d2, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	FUZZ_CHECK(rc == 0, "the writer's text does not parse back");
	FUZZ_CHECK(d2.nmodels == d.nmodels && d2.ncollections == d.ncollections &&
	    d2.ncaps == d.ncaps && d2.nkeys == d.nkeys, "the counts changed");
	FUZZ_CHECK(export_write(&w2, &d2) == 0, "export_write failed again");
	FUZZ_CHECK(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0,
	    "parse, write, parse, write gives other bytes");
	export_free(&d);
	export_free(&d2);
	buf_free(&w1);
	buf_free(&w2);
	return 0;
}
