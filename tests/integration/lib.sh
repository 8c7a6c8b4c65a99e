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


# wait_for SECONDS COMMAND...: until COMMAND succeeds or SECONDS pass (by
# the clock: a busybox `sleep 0.1` may not sleep, so never count naps).
wait_for() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
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
