# Shared by the integration scripts (run.sh, cpu.sh): arguments, the
# scratch folder and the PASS/FAIL/expect helpers. POSIX sh, sourced.
# usage of a script that sources it: SCRIPT SPRIG GUEST_DIR [LABEL]
set -u
SPRIG=$1
GUESTS=$2
LABEL=${3:-$(basename "$SPRIG")}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
HELLO=$GUESTS/hello.elf
HELLO64=$GUESTS/hello64.elf
TESTGUEST=$GUESTS/testguest.elf

pass() { echo "PASS $LABEL: $1"; }
fail() {
	echo "FAIL $LABEL: $1: $2"
	sed 's/^/    | /' "$T/out" "$T/err" 2>/dev/null | head -n 40
}

# Run sprig with a time limit; sets $status, output in $T/out and $T/err.
# The limit kills (137): SIGTERM would end sprig cleanly with status 0 and
# pass for a guest that never finished.
sprig() {
	timeout -s KILL "${LIMIT:-60}" "$SPRIG" "$@" >"$T/out" 2>"$T/err" </dev/null
	status=$?
}

# The same with stdin from FILE (a regular file, a fifo, a terminal).
sprig_with_input() {
	input=$1
	shift
	timeout -s KILL "${LIMIT:-60}" "$SPRIG" "$@" >"$T/out" 2>"$T/err" <"$input"
	status=$?
}

has_out() { grep -qF -- "$1" "$T/out"; }
has_err() { grep -qF -- "$1" "$T/err"; }

# expect NAME STATUS [out:TEXT | err:TEXT | noerr]... — after a sprig call.
expect() {
	name=$1 want=$2
	shift 2
	if [ "$status" != "$want" ]; then
		fail "$name" "exit status $status, expected $want"
		return
	fi
	for c in "$@"; do
		case $c in
		out:*) has_out "${c#out:}" || { fail "$name" "stdout lacks '${c#out:}'"; return; } ;;
		err:*) has_err "${c#err:}" || { fail "$name" "stderr lacks '${c#err:}'"; return; } ;;
		noerr) [ ! -s "$T/err" ] || { fail "$name" "unexpected stderr"; return; } ;;
		esac
	done
	pass "$name"
}


# wait_for SECONDS COMMAND...: until COMMAND succeeds or SECONDS pass.
# Counted by the clock (a busybox `sleep 0.1` may not sleep, so naps are
# not counted), but one round is charged 10 s at most: a round that took
# longer means the whole test VM stood still (the nested VM's stalls,
# docs/host-notes.md), during which the thing waited for could not run
# either; without the cap such a stall ended the wait at once and the
# test killed a process that had had no time at all (CI, 2026-12-06).
wait_for() {
	wait_budget=$1 wait_spent=0 wait_then=$(date +%s)
	shift
	until "$@"; do
		wait_now=$(date +%s)
		wait_round=$((wait_now - wait_then))
		if [ "$wait_round" -gt 10 ]; then
			echo "note: the test machine stood still for $wait_round s during a wait; counted as 10 s" >&2
			wait_round=10
		fi
		wait_spent=$((wait_spent + wait_round)) wait_then=$wait_now
		[ "$wait_spent" -lt "$wait_budget" ] || return 1
		sleep 0.1 2>/dev/null || sleep 1
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
stuck_on_pipe() { cat /proc/"$1"/task/*/wchan 2>/dev/null | grep -q pipe_write; }

# Can this host's KVM run Linux (hardware virtualization), as containers'
# VMs need? (tests/run's can_run_linux asks the same.)
linux_runs_here() { [ -c /dev/kvm ] && grep -qw -e vmx -e svm /proc/cpuinfo; }

# cgroup2_here and podman_host_ready.
. "$(dirname "$0")/host_lib.sh"

# as_user CMD...: CMD as uid and gid 1000, with /dev/kvm's group when that
# is not root's (a Debian user who runs VMs is in group kvm), through
# util-linux's setpriv: the staged one first (busybox's sh prefers its own
# applet of that name, which cannot change ids).
SETPRIV=$(dirname "$0")/setpriv
[ -x "$SETPRIV" ] || SETPRIV=/usr/bin/setpriv
as_user() {
	kvm_group=$(stat -c %g /dev/kvm 2>/dev/null)
	case $kvm_group in
	'' | 0) "$SETPRIV" --reuid 1000 --regid 1000 --clear-groups "$@" ;;
	*) "$SETPRIV" --reuid 1000 --regid 1000 --groups "$kvm_group" "$@" ;;
	esac
}
# user_can_run_vms: why not in $user_why (one line for a skip).
user_can_run_vms() {
	if [ "$(id -u)" != 0 ] || [ ! -x "$SETPRIV" ]; then
		user_why="needs root (to become uid 1000) and util-linux's setpriv"
	elif ! as_user sh -c 'test -r /dev/kvm && test -w /dev/kvm' >/dev/null 2>&1; then
		user_why="/dev/kvm is not open to uid 1000 here (mode $(stat -c %a /dev/kvm))"
	else
		return 0
	fi
	return 1
}
