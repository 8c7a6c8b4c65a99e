# QMP helpers shared by the control-socket suites (control.sh,
# security.sh): sourced after lib.sh. POSIX sh.
HERE=$(cd "$(dirname "$0")" && pwd)
QMP_DRIVE=${QMP_DRIVE:-$HERE/qmp_drive}
SOCAT=${SOCAT:-$(command -v socat || echo "$HERE/socat")}
SOCK=$T/qmp.sock
CAPS='{"execute": "qmp_capabilities"}'

# start_vm ARGS...: sprig in the background with a control socket; $pid.
start_vm() {
	rm -f "$SOCK"
	"$SPRIG" --control "$SOCK" "$@" >"$T/console" 2>"$T/err" </dev/null &
	pid=$!
	wait_for 30 test -S "$SOCK" || echo "note: no control socket after 30 s"
}

# qmp LINE...: one socat conversation; replies and events in $T/out.
qmp() {
	printf '%s\n' "$@" | timeout 20 "$SOCAT" -t 2 - "UNIX-CONNECT:$SOCK" >"$T/out" 2>&1
}

# until_gone: wait (20 s at most, then kill) for sprig to end; $status is how.
until_gone() {
	wait_for 20 gone "$pid" || kill -KILL "$pid"
	wait "$pid"
	status=$?
}

# end_vm: quit through QMP (or kill), then $status is sprig's.
end_vm() {
	qmp "$CAPS" '{"execute": "quit"}'
	until_gone
}

# listen_events: a second client that only collects events in $T/events.
listen_events() {
	{ printf '%s\n' "$CAPS"; sleep 60; } | timeout 70 "$SOCAT" - "UNIX-CONNECT:$SOCK" >"$T/events" 2>&1 &
	listener=$!
	wait_for 30 grep -q return "$T/events" || echo "note: the event listener had no reply to qmp_capabilities after 30 s"
}
events_have() { grep -qF -- "$1" "$T/events"; }
count() { grep -c -- "$1" "$T/out"; }
console_has() { grep -q -- "$1" "$T/console"; }
