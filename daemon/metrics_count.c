/* metrics_count.c: the counters /metrics shows that nothing else keeps: requests per verb and result code, committed events per kind. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "metrics.h"

/*
 * Verbs are cmd_table's (plus "other" for a verb that does not exist or
 * a line that does not tokenize); codes and kinds come from our own
 * string constants, so the tables stay small. They are bounded anyway:
 * past the bound a new code or kind is counted as "other", so no input
 * can make a scrape grow without end.
 */
#define METRICS_MAX_VERBS	64
#define METRICS_NAME_MAX	64

static char	 codes[METRICS_MAX_CODES][METRICS_NAME_MAX] = { "ok", "other" };
static int	 ncodes = 2;
static uint64_t	 requests[METRICS_MAX_VERBS + 1][METRICS_MAX_CODES];

static char	 kinds[METRICS_MAX_KINDS][METRICS_NAME_MAX] = { "other" };
static int	 nkinds = 1;
static uint64_t	 events[METRICS_MAX_KINDS];

int
metrics_verb(const char *verb)
{
	size_t	 i;

	if (verb != NULL)
		for (i = 0; i < cmd_count && i < METRICS_MAX_VERBS; i++)
			if (strcasecmp(verb, cmd_table[i].verb) == 0)
				return (int)i;
	return METRICS_MAX_VERBS;
}

int
metrics_verb_at(int i)
{
	return i >= 0 && (size_t)i < cmd_count && i < METRICS_MAX_VERBS ? i :
	    METRICS_MAX_VERBS;
}

/* The slot of name in a table of n names (at most max), added if new; slot of "other" when full. */
static int
metrics_slot(char (*tab)[METRICS_NAME_MAX], int *n, int max, const char *name,
    int other)
{
	int	 i;

	for (i = 0; i < *n; i++)
		if (strcmp(tab[i], name) == 0)
			return i;
	if (*n >= max || strlen(name) >= METRICS_NAME_MAX)
		return other;
	memcpy(tab[*n], name, strlen(name) + 1);
	return (*n)++;
}

void
metrics_count_request(int verb, const char *code)
{
	int	 c;

	if (verb < 0 || verb > METRICS_MAX_VERBS)
		verb = METRICS_MAX_VERBS;
	c = code == NULL ? 0 : metrics_slot(codes, &ncodes, METRICS_MAX_CODES,
	    code, 1);
	requests[verb][c]++;
}

void
metrics_count_event(const char *kind)
{
	events[metrics_slot(kinds, &nkinds, METRICS_MAX_KINDS, kind, 0)]++;
}

void
metrics_each_request(void (*cb)(const char *, const char *, uint64_t, void *),
    void *arg)
{
	int	 v, c;

	for (v = 0; v <= METRICS_MAX_VERBS; v++)
		for (c = 0; c < ncodes; c++)
			if (requests[v][c] > 0)
				cb(v < METRICS_MAX_VERBS && (size_t)v < cmd_count ?
				    cmd_table[v].verb : "other", codes[c],
				    requests[v][c], arg);
}

void
metrics_each_event(void (*cb)(const char *, uint64_t, void *), void *arg)
{
	int	 k;

	for (k = 0; k < nkinds; k++)
		if (events[k] > 0)
			cb(kinds[k], events[k], arg);
}
