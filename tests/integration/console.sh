#!/bin/sh
# The console as a person uses it: sprig in a terminal (tmux), keys typed
# into the guest, the terminal in raw mode while the guest runs and back as
# it was on every way out (the guest ends, Ctrl-A x, SIGTERM).
# usage: console.sh SPRIG GUEST_DIR [LABEL]
here=$(dirname "$0")
. "$here/lib.sh"
if ! command -v tmux >/dev/null; then
	echo "SKIP $LABEL: interactive console: tmux is not installed here (the nested test VM has only busybox)"
	exit 0
fi
SPRIG=$(cd "$(dirname "$SPRIG")" && pwd)/$(basename "$SPRIG")
TESTGUEST=$(cd "$(dirname "$TESTGUEST")" && pwd)/$(basename "$TESTGUEST")
# One tmux server per session (a socket reused at once after kill-server
# has been seen to fail).
session=0
tm() { tmux -S "$T/tmux$session" "$@"; }
trap 'for s in 1 2 3; do tmux -S "$T/tmux$s" kill-server 2>/dev/null; done; rm -rf "$T"' EXIT
pane_has() { tm capture-pane -p -S -100 2>/dev/null | grep -qF -- "$1"; }
ended() { [ -s "$T/status" ]; }

# start NAME: sprig with the echo guest in a fresh terminal; the shell
# around it records the terminal settings before and after, and the status.
start() {
	rm -f "$T/status" "$T/before" "$T/after"
	tm kill-server 2>/dev/null
	session=$((session + 1))
	tm new-session -d -x 100 -y 40 "stty -a >$T/before; $SPRIG --kernel $TESTGUEST --cmdline action=echo; \
echo \$? >$T/status.tmp; stty -a >$T/after; mv $T/status.tmp $T/status; sleep 60"
	wait_for 20 pane_has "type lines, quit ends"
}

# restored NAME STATUS: sprig ended with STATUS and the terminal is as it was.
restored() {
	if ! wait_for 20 ended; then
		fail "$1" "sprig did not end"
		tm capture-pane -p | sed 's/^/    | /'
		return
	fi
	if [ "$(cat "$T/status")" != "$2" ]; then
		fail "$1" "exit status $(cat "$T/status"), expected $2"
	elif ! cmp -s "$T/before" "$T/after"; then
		fail "$1" "terminal settings differ after sprig: $(diff "$T/before" "$T/after" | tr '\n' ' ')"
	else
		pass "$1"
	fi
}

if ! start; then
	fail "interactive console" "the guest never asked for input"
	tm capture-pane -p | sed 's/^/    | /'
	exit 0
fi
tm send-keys "typed into the guest" Enter
if wait_for 20 pane_has "echo: typed into the guest"; then pass "keys typed in a terminal reach the guest"
else fail "keys typed in a terminal reach the guest" "no echo"; fi
# Raw mode: Ctrl-C is the guest's key, not a signal that ends sprig.
tm send-keys C-c "still here" Enter
if wait_for 20 pane_has "still here" && ! ended; then pass "Ctrl-C goes to the guest in raw mode"
else fail "Ctrl-C goes to the guest in raw mode" "sprig ended or no echo"; fi
tm send-keys "quit" Enter
restored "guest ends: status 1 (debug-exit 0), terminal restored" 1

start || fail "Ctrl-A x" "the guest never asked for input"
tm send-keys C-a x
restored "Ctrl-A x ends sprig with status 0, terminal restored" 0

start || fail "Ctrl-A Ctrl-A" "the guest never asked for input"
tm send-keys C-a C-a "after escape" Enter
if wait_for 20 pane_has "after escape" && ! ended; then pass "Ctrl-A Ctrl-A sends one Ctrl-A"
else fail "Ctrl-A Ctrl-A sends one Ctrl-A" "no echo or sprig ended"; fi
shell=$(tm display-message -p '#{pane_pid}')
kill -TERM $(pgrep -P "$shell" -x "$(basename "$SPRIG" | cut -c1-15)")
restored "SIGTERM ends sprig with status 0, terminal restored" 0
