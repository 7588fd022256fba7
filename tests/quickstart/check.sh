#!/usr/bin/env bash
# check.sh: the README's Quick start, as a new admin runs it: ./quickstart run, stop, run again, uninstall, uninstall --purge; TAP on stdout.
#
# It installs under /usr and /etc and starts a system daemon, so it is not
# part of `make check`; .ci/run runs it after the test suite, as root. Each
# check asserts what the README promises of that command.
set -u
cd "$(dirname "$0")/../.." || exit 1

n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check() {	# check NAME COMMAND...: passes when the command succeeds
	local name=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$name"
}

DB=/var/lib/modelreg/registry.db
PIDFILE=/run/modelreg/modelregd.pid
PLAN=17
echo "1..$PLAN"

if [ "$(id -u)" -ne 0 ]; then
	echo "# the Quick start installs a system daemon: run as root"
	exit 1
fi
# Start from nothing, as a fresh machine would.
./quickstart uninstall --purge >/dev/null 2>&1

out=$(./quickstart run 2>&1)
ok $? "./quickstart run succeeds"
check "modelregctl answers" modelregctl ping
check "the registry holds models seeded from the bundled snapshot" \
    modelregctl show mistral-large-latest
check "the PeerAI default is set" bash -c 'modelregctl default | grep -q mistral-medium'
grep -q "modelregctl" <<<"$out"
ok $? "run shows the registry and how to use it"
[ "$(stat -c %U "$DB" 2>/dev/null)" = modelreg ]
ok $? "the database is owned by the modelreg user, not root"
pid=$(cat "$PIDFILE" 2>/dev/null)
[ -n "$pid" ] && [ "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" = modelreg ]
ok $? "the daemon runs as modelreg"

check "./quickstart stop succeeds" ./quickstart stop
[ ! -e "$PIDFILE" ]
ok $? "stop removes the pid file"
! modelregctl ping >/dev/null 2>&1
ok $? "the daemon is stopped"

check "./quickstart run again succeeds" ./quickstart run
check "the registry was kept" modelregctl show mistral-large-latest

check "./quickstart uninstall succeeds" ./quickstart uninstall
[ ! -e /usr/sbin/modelregd ] && [ ! -e /usr/bin/modelregctl ] && [ ! -e "$PIDFILE" ]
ok $? "uninstall removes the programs and the pid file"
[ -f "$DB" ] && getent passwd modelreg >/dev/null
ok $? "uninstall keeps the registry and the modelreg user"

check "./quickstart uninstall --purge succeeds" ./quickstart uninstall --purge
[ ! -e /var/lib/modelreg ] && ! getent passwd modelreg >/dev/null && [ ! -e /etc/modelreg ]
ok $? "--purge removes the registry, /etc/modelreg and the user"

if [ "$n" -ne "$PLAN" ]; then
	echo "# ran $n checks, planned $PLAN"
	failed=$((failed + 1))
fi
echo "# quickstart: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
