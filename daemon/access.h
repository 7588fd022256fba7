/* access.h: map a control-socket peer's credentials to a role through [access]. */
#ifndef MODELREG_ACCESS_H
#define MODELREG_ACCESS_H

#include <sys/types.h>

struct config;

enum role {
	ROLE_NONE = 0,		/* refused */
	ROLE_VIEWER,
	ROLE_SERVICE,		/* issue 9: application servers: viewer verbs, RESOLVE, RELEASE */
	ROLE_MEMBER,
	ROLE_ADMIN,
};

/*
 * The role of a peer with this uid and primary gid. With an [access]
 * section the highest role whose list names the user, one of the user's
 * groups (@group; supplementary groups from the group database plus gid)
 * or "*" wins; root and the daemon's own euid are always admin, so a
 * config can never lock the operator out. Without [access]: root and the
 * daemon's euid are admin, everybody else viewer. user (out, may be NULL)
 * receives the user name, or "uid:N" when it has none.
 */
enum role access_role(const struct config *, uid_t uid, gid_t gid,
	    char *user, size_t userlen);

const char *access_role_name(enum role);

/*
 * Warnings about a config's [access] lists: a user or @group that does not
 * exist on this machine (getpwnam, getgrnam), one "file:line: ..." message
 * each, appended to warnings. Such an entry is not an error (the account
 * may come later, or from a directory service that is down), but it is
 * most often a typo that leaves someone without a role. Returns how many
 * were added, or -1 when out of memory.
 */
struct cfg_errors;
int	 access_check_accounts(const struct config *, struct cfg_errors *warnings);

#endif
