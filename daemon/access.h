/* access.h: map a control-socket peer's credentials to a role through [access]. */
#ifndef MODELREG_ACCESS_H
#define MODELREG_ACCESS_H

#include <sys/types.h>

struct config;

enum role {
	ROLE_NONE = 0,		/* refused */
	ROLE_VIEWER,
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

#endif
