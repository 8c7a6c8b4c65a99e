#!/bin/sh
# The console as a person uses it: sprig in a terminal (tmux), keys typed
# into the guest, the terminal in raw mode while the guest runs and back as
# it was on every way out (the guest ends, Ctrl-A x, SIGTERM).
# usage: console.sh SPRIG GUEST_DIR [LABEL]
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/tmux_lib.sh"
if ! tmux_available; then
	echo "SKIP $LABEL: interactive console: no tmux installed here or staged next to console.sh"
	exit 0
fi
SPRIG=$(cd "$(dirname "$SPRIG")" && pwd)/$(basename "$SPRIG")
TESTGUEST=$(cd "$(dirname "$TESTGUEST")" && pwd)/$(basename "$TESTGUEST")

# start: sprig with the echo guest in a fresh terminal.
start() {
	in_terminal 20 "type lines, quit ends" "$SPRIG --kernel $TESTGUEST --cmdline action=echo"
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
kill -TERM "$(cat "$T/pid")"
restored "SIGTERM ends sprig with status 0, terminal restored" 0
