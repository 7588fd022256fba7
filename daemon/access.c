/* access.c: map a control-socket peer's uid and gid to a role through the [access] lists. */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "buf.h"
#include "config.h"

#define ACCESS_NAME_MAX		256		/* LOGIN_NAME_MAX */
#define ACCESS_BUF_START	1024
#define ACCESS_BUF_MAX		(1024 * 1024)	/* a passwd or group entry bigger than this is ignored */
#define ACCESS_GROUPS_MAX	65536		/* NGROUPS_MAX on Linux */

/* Who the peer is, as far as the lists are concerned. */
struct peer {
	char	 name[ACCESS_NAME_MAX];
	int	 known;		/* name comes from the passwd database */
	gid_t	*groups;
	int	 ngroups;
};

/*
 * The passwd entry of uid: 1 found (name and primary gid filled in), 0 not
 * found or unreadable, -1 out of memory. A lookup error (an LDAP server
 * down) counts as not found: the peer can then only match "*" or a group
 * through its gid, never a user name.
 */
static int
access_user(uid_t uid, char *name, size_t namelen, gid_t *pgid)
{
	struct passwd	 pw, *res = NULL;
	char		*buf = NULL, *nbuf;
	size_t		 len = ACCESS_BUF_START;
	int		 rc;

	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			free(buf);
			return -1;
		}
		buf = nbuf;
		rc = getpwuid_r(uid, &pw, buf, len, &res);
		if (rc != ERANGE || len >= ACCESS_BUF_MAX)
			break;
		len *= 2;
	}
	if (rc != 0 || res == NULL || strlen(pw.pw_name) >= namelen ||
	    pw.pw_name[0] == '\0') {
		free(buf);
		return 0;
	}
	memcpy(name, pw.pw_name, strlen(pw.pw_name) + 1);
	*pgid = pw.pw_gid;
	free(buf);
	return 1;
}

/* The gid of a group name: 1 found, 0 not found, -1 out of memory. */
static int
access_group_gid(const char *group, gid_t *gid)
{
	struct group	 gr, *res = NULL;
	char		*buf = NULL, *nbuf;
	size_t		 len = ACCESS_BUF_START;
	int		 rc;

	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL) {
			free(buf);
			return -1;
		}
		buf = nbuf;
		rc = getgrnam_r(group, &gr, buf, len, &res);
		if (rc != ERANGE || len >= ACCESS_BUF_MAX)
			break;
		len *= 2;
	}
	if (rc != 0 || res == NULL) {
		free(buf);
		return 0;
	}
	*gid = gr.gr_gid;
	free(buf);
	return 1;
}

static int
peer_add_group(struct peer *p, gid_t g)
{
	gid_t	*v;
	int	 i;

	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] == g)
			return 0;
	if ((v = reallocarray(p->groups, (size_t)p->ngroups + 1,
	    sizeof(*v))) == NULL)
		return -1;
	p->groups = v;
	p->groups[p->ngroups++] = g;
	return 0;
}

/*
 * The peer's groups: its gid, and for a user in the passwd database also
 * the primary group of the entry and every group that lists the user.
 */
static int
peer_groups(struct peer *p, gid_t gid, gid_t pwgid)
{
	gid_t	*v;
	int	 n = 32, want;

	if (p->known) {
		for (;;) {
			if ((v = reallocarray(p->groups, (size_t)n,
			    sizeof(*v))) == NULL)
				return -1;
			p->groups = v;
			want = n;
			if (getgrouplist(p->name, gid, p->groups, &want) != -1) {
				p->ngroups = want;
				break;
			}
			/* glibc says how many it needs; grow, within reason. */
			if (want <= n)
				want = n * 2;
			if (want > ACCESS_GROUPS_MAX) {
				p->ngroups = 0;	/* absurd: keep the primary groups only */
				break;
			}
			n = want;
		}
		if (peer_add_group(p, pwgid) == -1)
			return -1;
	}
	return peer_add_group(p, gid);
}

/* Does a word of an [access] list name this peer? 1 yes, 0 no, -1 out of memory. */
static int
access_word_matches(const struct peer *p, const char *w)
{
	gid_t	 g;
	int	 i, rc;

	if (strcmp(w, "*") == 0)
		return 1;
	if (w[0] == '@') {
		if ((rc = access_group_gid(w + 1, &g)) != 1)
			return rc;
		for (i = 0; i < p->ngroups; i++)
			if (p->groups[i] == g)
				return 1;
		return 0;
	}
	return p->known && strcmp(w, p->name) == 0;
}

static int
access_list_matches(const struct peer *p, const struct cfg_list *l)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < l->n; i++)
		if ((rc = access_word_matches(p, l->v[i])) != 0)
			return rc;
	return 0;
}

enum role
access_role(const struct config *cfg, uid_t uid, gid_t gid, char *user,
    size_t userlen)
{
	struct peer	 p;
	enum role	 role = ROLE_NONE;
	gid_t		 pwgid = gid;
	int		 rc;

	memset(&p, 0, sizeof(p));
	rc = access_user(uid, p.name, sizeof(p.name), &pwgid);
	p.known = rc == 1;
	if (!p.known)
		snprintf(p.name, sizeof(p.name), "uid:%lu", (unsigned long)uid);
	if (user != NULL && userlen > 0)
		snprintf(user, userlen, "%s", p.name);

	/* Whatever the lists say, the operator cannot be locked out. */
	if (uid == 0 || uid == geteuid())
		return ROLE_ADMIN;
	if (rc == -1)
		return ROLE_NONE;
	if (cfg == NULL || !cfg->have_access)
		return ROLE_VIEWER;

	/* Refuse rather than guess when memory runs out. */
	if (peer_groups(&p, gid, pwgid) == -1)
		goto done;
	if ((rc = access_list_matches(&p, &cfg->admin)) != 0)
		role = rc == 1 ? ROLE_ADMIN : ROLE_NONE;
	else if ((rc = access_list_matches(&p, &cfg->member)) != 0)
		role = rc == 1 ? ROLE_MEMBER : ROLE_NONE;
	else if ((rc = access_list_matches(&p, &cfg->service)) != 0)
		role = rc == 1 ? ROLE_SERVICE : ROLE_NONE;
	else if ((rc = access_list_matches(&p, &cfg->viewer)) != 0)
		role = rc == 1 ? ROLE_VIEWER : ROLE_NONE;
done:
	free(p.groups);
	return role;
}

const char *
access_role_name(enum role r)
{
	switch (r) {
	case ROLE_NONE:		return "none";
	case ROLE_VIEWER:	return "viewer";
	case ROLE_SERVICE:	return "service";
	case ROLE_MEMBER:	return "member";
	case ROLE_ADMIN:	return "admin";
	}
	return "none";
}

/* One list of access_check_accounts. */
static int
access_check_list(const struct config *cfg, const struct cfg_list *l,
    const int *line, const char *key, struct cfg_errors *w)
{
	struct buf	 b = { 0 };
	const char	*name;
	int		 n = 0, found, rc, err;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], "*") == 0)
			continue;
		name = l->v[i][0] == '@' ? l->v[i] + 1 : l->v[i];
		errno = 0;
		if (l->v[i][0] == '@')
			found = getgrnam(name) != NULL;
		else
			found = getpwnam(name) != NULL;
		if (found)
			continue;
		/* ENOENT, ESRCH, EBADF, EPERM and 0 all mean "no such name". */
		err = errno;
		b.len = 0;
		rc = buf_printf(&b, "%s:%d: warning: %s \"%s\" in [access] %s ",
		    cfg->path, line != NULL ? line[i] : 0,
		    l->v[i][0] == '@' ? "group" : "user", name, key);
		if (err != 0 && err != ENOENT && err != ESRCH && err != EBADF &&
		    err != EPERM)
			rc |= buf_printf(&b, "cannot be looked up: %s",
			    strerror(err));
		else
			rc |= buf_puts(&b, "does not exist on this machine");
		if (rc != 0 || cfg_errors_add(w, buf_steal(&b)) == -1) {
			buf_free(&b);
			return -1;
		}
		n++;
	}
	return n;
}

int
access_check_accounts(const struct config *cfg, struct cfg_errors *w)
{
	int	 a, m, s, v;

	if ((a = access_check_list(cfg, &cfg->admin, cfg->admin_line, "admin",
	    w)) == -1 ||
	    (m = access_check_list(cfg, &cfg->member, cfg->member_line,
	    "member", w)) == -1 ||
	    (s = access_check_list(cfg, &cfg->service, cfg->service_line,
	    "service", w)) == -1 ||
	    (v = access_check_list(cfg, &cfg->viewer, cfg->viewer_line,
	    "viewer", w)) == -1)
		return -1;
	return a + m + s + v;
}
