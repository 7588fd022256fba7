/* testplan.h: the query-plan check the unit tests share: a cached statement's plan is index searches only. */
#ifndef MODELREG_TESTPLAN_H
#define MODELREG_TESTPLAN_H

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

/*
 * The plan of the cached statement whose SQL contains marker: 1 when
 * every step is a SEARCH (or a scalar subquery around one) and none a
 * SCAN or a temp B-tree, 0 when not, -1 when no statement matches.
 * plan receives the steps, joined by " | ".
 */
static __attribute__((unused)) int
plan_searches_only(sqlite3 *db, const char *marker, char *plan, size_t len)
{
	sqlite3_stmt	*st, *ep;
	const char	*sql = NULL, *d;
	char		*q;
	int		 searches = 0, scans = 0;

	plan[0] = '\0';
	for (st = sqlite3_next_stmt(db, NULL); st != NULL;
	    st = sqlite3_next_stmt(db, st))
		if (strstr(sqlite3_sql(st), marker) != NULL) {
			sql = sqlite3_sql(st);
			break;
		}
	if (sql == NULL)
		return -1;
	if ((q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db, q, -1, &ep, NULL) != SQLITE_OK) {
		sqlite3_free(q);
		return -1;
	}
	sqlite3_free(q);
	sqlite3_bind_text(ep, 1, "x", -1, SQLITE_STATIC);
	while (sqlite3_step(ep) == SQLITE_ROW) {
		d = (const char *)sqlite3_column_text(ep, 3);
		if (strlen(plan) + strlen(d) + 4 < len) {
			if (plan[0] != '\0')
				strcat(plan, " | ");
			strcat(plan, d);
		}
		if (strncmp(d, "SEARCH", 6) == 0)
			searches++;
		if (strncmp(d, "SCAN", 4) == 0 || strstr(d, "TEMP B-TREE"))
			scans++;
	}
	sqlite3_finalize(ep);
	return searches > 0 && scans == 0 ? 1 : 0;
}

#endif
