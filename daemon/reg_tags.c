/* reg_tags.c: the rules of tags (issue 11): the name rule, TAG's one transaction, and the outcome list batches and switches share. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_tags.h"
#include "events.h"
#include "log.h"
#include "reg_int.h"
#include "reg_tags.h"

int
reg_tag_name_ok(const char *tag)
{
	size_t	 i, n = strlen(tag);

	if (n < 1 || n > TAG_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = tag[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

int
reg_collection_name_ok(const char *name)
{
	size_t	 i, n = strlen(name);

	if (n < 1 || n > COLLECTION_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

/*
 * Tags are folded to lower case, so "Coding" and "coding" are one tag
 * (people type them by hand); duplicates in the list are dropped.
 */
int
reg_tags_parse(const char *list, char (*tags)[TAG_MAX + 1], int max,
    char *why, size_t len)
{
	const char	*p = list, *e;
	char		 t[TAG_MAX + 1];
	size_t		 n, i;
	int		 k = 0, j;

	if (list == NULL || list[0] == '\0') {
		reg_msg(why, len, "an empty list of tags");
		return -1;
	}
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n > TAG_MAX) {
			reg_msg(why, len, "bad tag \"%.*s\": 1 to %d lower-case "
			    "letters, digits, '.', '_' or '-', a letter or digit "
			    "first", (int)(n > 64 ? 64 : n), p, TAG_MAX);
			return -1;
		}
		for (i = 0; i < n; i++)
			t[i] = (char)tolower((unsigned char)p[i]);
		t[n] = '\0';
		if (!reg_tag_name_ok(t)) {
			reg_msg(why, len, "bad tag \"%.64s\": 1 to %d lower-case "
			    "letters, digits, '.', '_' or '-', a letter or digit "
			    "first", t, TAG_MAX);
			return -1;
		}
		for (j = 0; j < k; j++)
			if (strcmp(tags[j], t) == 0)
				break;
		if (j == k) {
			if (k == max) {
				reg_msg(why, len, "at most %d tags in one request",
				    max);
				return -1;
			}
			memcpy(tags[k++], t, n + 1);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return k;
}

enum reg_rc
reg_tag(sqlite3 *db, const struct reg_tag_in *in, struct reg_tag_out *out,
    char *msg, size_t len)
{
	struct db_modelref	 ref;
	char			 before[sizeof(out->tags)], what[64];
	int64_t			 now = reg_clock(in->now), n;
	int			 i, j, r;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->nadd; i++)
		for (j = 0; j < in->nremove; j++)
			if (strcmp(in->add[i], in->remove[j]) == 0)
				return reg_refuse(db, REG_USAGE, msg, len,
				    "tag %s is both added and removed",
				    in->add[i]);
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, in->model, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", in->model);
	if (db_tags_of(db, ref.id, before, sizeof(before)) == -1)
		return reg_fail(db, msg, len);
	for (i = 0; i < in->nremove; i++) {
		if ((r = db_tag_remove(db, ref.id, in->remove[i])) == -1)
			return reg_fail(db, msg, len);
		out->removed += r;
	}
	for (i = 0; i < in->nadd; i++) {
		if ((r = db_tag_add(db, ref.id, in->add[i])) == -1)
			return reg_fail(db, msg, len);
		out->added += r;
	}
	if (db_tag_count(db, ref.id, &n) == -1)
		return reg_fail(db, msg, len);
	if (n > TAGS_PER_MODEL)
		return reg_refuse(db, REG_CONFLICT, msg, len, "%s would have %lld "
		    "tags; a model has at most %d", ref.id, (long long)n,
		    TAGS_PER_MODEL);
	memcpy(out->id, ref.id, sizeof(out->id));
	if (db_tags_of(db, ref.id, out->tags, sizeof(out->tags)) == -1)
		return reg_fail(db, msg, len);
	if (out->added == 0 && out->removed == 0) {
		db_rollback(db);
		reg_msg(msg, len, "%s: no change (tags: %s)", ref.id,
		    out->tags[0] ? out->tags : "none");
		return REG_OK;
	}
	snprintf(what, sizeof(what), "tagged (%d added, %d removed)",
	    out->added, out->removed);
	if (db_audit(db, now, in->actor, "tag", ref.id, "tags",
	    before[0] ? before : NULL, out->tags[0] ? out->tags : NULL) == -1 ||
	    reg_event(db, "model.tagged", ref.id, in->actor, NULL, what) == -1 ||
	    db_commit(db) == -1) {
		memset(out, 0, sizeof(*out));
		return reg_fail(db, msg, len);
	}
	events_notify();
	reg_msg(msg, len, "%s: %d added, %d removed (tags: %s)", ref.id,
	    out->added, out->removed, out->tags[0] ? out->tags : "none");
	return REG_OK;
}

const char *
reg_outcome_name(enum reg_outcome o)
{
	switch (o) {
	case OUT_CHANGE:
		return "change";
	case OUT_UNCHANGED:
		return "unchanged";
	case OUT_REFUSED:
		return "refused";
	case OUT_SKIPPED:
	default:
		return "skipped";
	}
}

int
reg_items_add(struct reg_items *it, const char *id, enum reg_outcome o,
    const char *change, const char *reason)
{
	struct reg_item	*v;
	size_t		 cap;

	if (it->n == it->cap) {
		cap = it->cap ? it->cap * 2 : 64;
		if ((v = reallocarray(it->v, cap, sizeof(*v))) == NULL)
			return -1;
		it->v = v;
		it->cap = cap;
	}
	v = &it->v[it->n];
	memset(v, 0, sizeof(*v));
	if ((v->id = strdup(id)) == NULL ||
	    (reason != NULL && (v->reason = strdup(reason)) == NULL)) {
		free(v->id);
		return -1;
	}
	v->outcome = o;
	v->change = change;
	it->n++;
	return 0;
}

void
reg_items_free(struct reg_items *it)
{
	size_t	 i;

	for (i = 0; i < it->n; i++) {
		free(it->v[i].id);
		free(it->v[i].reason);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

int
reg_items_mark(sqlite3 *db, const struct reg_items *it, const char *except)
{
	size_t	 i;

	for (i = 0; i < it->n; i++)
		if (it->v[i].outcome == OUT_CHANGE && (except == NULL ||
		    strcmp(it->v[i].id, except) != 0) &&
		    db_sel_mark(db, it->v[i].id) == -1)
			return -1;
	return 0;
}
