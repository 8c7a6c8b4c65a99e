# sprig in a terminal (tmux), as a person runs it: shared by console.sh
# (the freestanding echo guest) and linux.sh (a Linux shell). Sourced
# after lib.sh, with $here the script's folder. POSIX sh.
# tmux from the host, or staged next to the script with the UTF-8 locale
# and terminfo it insists on (tests/run: the nested VM has neither).
TMUX_BIN=$(command -v tmux || echo "$here/tmux")
[ -d "$here/locale/C.utf8" ] && LOCPATH=$(cd "$here/locale" && pwd) && export LOCPATH
[ -d "$here/terminfo" ] && TERMINFO=$(cd "$here/terminfo" && pwd) && TERM=${TERM:-linux} && export TERMINFO TERM
tmux() { LC_ALL=C.UTF-8 "$TMUX_BIN" "$@"; }
tmux_available() { [ -x "$TMUX_BIN" ]; }
# One tmux server per session (a socket reused at once after kill-server
# has been seen to fail).
session=0
tm() { tmux -S "$T/tmux$session" "$@"; }
trap 'for s in $(seq 1 "$session"); do tmux -S "$T/tmux$s" kill-server 2>/dev/null; done; rm -rf "$T"' EXIT
pane_has() { tm capture-pane -p -S -200 2>/dev/null | grep -qF -- "$1"; }
ended() { [ -s "$T/status" ]; }

# in_terminal SECONDS TEXT COMMAND: COMMAND (a sprig run) in a fresh
# terminal; the shell around it records the terminal settings before and
# after, and the status; sprig's pid goes to $T/pid. Waits SECONDS for
# TEXT in the pane.
in_terminal() {
	limit=$1 text=$2 command=$3
	rm -f "$T/status" "$T/before" "$T/after"
	tm kill-server 2>/dev/null
	session=$((session + 1))
	# sprig's pid in $T/pid: the shell that writes it becomes sprig.
	printf 'echo $$ >%s/pid\nexec %s\n' "$T" "$command" >"$T/run"
	tm new-session -d -x 100 -y 40 "stty -a >$T/before; sh $T/run; \
echo \$? >$T/status.tmp; stty -a >$T/after; mv $T/status.tmp $T/status; sleep 60" || return 1
	wait_for "$limit" pane_has "$text"
}

# restored NAME STATUS [SECONDS]: sprig ended with STATUS and the terminal
# is as it was.
restored() {
	if ! wait_for "${3:-20}" ended; then
		fail "$1" "sprig did not end"
		tm capture-pane -p | sed 's/^/    | /'
		return
	fi
	if [ "$(cat "$T/status")" != "$2" ]; then
		fail "$1" "exit status $(cat "$T/status"), expected $2"
		tm capture-pane -p | sed 's/^/    | /'
	elif ! cmp -s "$T/before" "$T/after"; then
		fail "$1" "terminal settings differ after sprig: $(diff "$T/before" "$T/after" | tr '\n' ' ')"
	else
		pass "$1"
	fi
}
