#!/bin/sh
# sprig in its jail (jail/, docs/security.md), seen from outside through
# /proc: new mount, pid, ipc, uts and cgroup namespaces (and network with
# jail-netns), the dropped uid and gid, seccomp mode 2, RLIMIT_NOFILE, the
# cgroup v2 limits where this host has cgroup v2; and every path the VM
# uses resolves inside the jail, so a snapshot written to "/x" lands in
# DIR/x and a disk outside DIR cannot be named.
# usage: jail.sh SPRIG GUEST_DIR [LABEL]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp_lib.sh"
J=$T/jail
mkdir -p "$J"
cp "$TESTGUEST" "$J/guest.elf"
CAPS='{"execute": "qmp_capabilities"}'

if ! unshare_ok=$(unshare -m -p -i -u -f true 2>&1); then
	echo "SKIP $LABEL: jail: this host refuses new namespaces ($unshare_ok)"
	exit 0
fi

# LeakSanitizer (the ASan build) reads /proc at exit, and the jail has none.
[ -n "${ASAN_OPTIONS:-}" ] && ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 && export ASAN_OPTIONS

# jailed ARGS...: sprig jailed in $J in the background; $outer is the
# waiter, $pid the jailed sprig (its child).
jailed() {
	"$SPRIG" --jail "$J" --kernel /guest.elf --control /ctl.sock "$@" >"$T/console" 2>"$T/err" </dev/null &
	outer=$!
	SOCK=$J/ctl.sock
	wait_for 30 test -S "$SOCK"
	pid=$(tr -d ' \n' <"/proc/$outer/task/$outer/children" 2>/dev/null)
}
status_of() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"; }
ns_differs() { [ "$(readlink "/proc/$pid/ns/$1")" != "$(readlink "/proc/self/ns/$1")" ]; }

jailed --cmdline action=halt --jail-uid 12345 --jail-gid 12346 --jail-nofile 512
if [ -n "$pid" ] && ns_differs mnt && ns_differs pid && ns_differs ipc && ns_differs uts && ns_differs cgroup &&
	! ns_differs net && [ "$(status_of Uid)" = "12345	12345	12345	12345" ] &&
	[ "$(status_of Gid)" = "12346	12346	12346	12346" ] && [ "$(status_of Seccomp)" = 2 ] &&
	[ "$(status_of NSpid)" = "$pid	1" ] && grep -q "^Max open files  *512  *512 " "/proc/$pid/limits"; then
	pass "jail: new mount, pid, ipc, uts and cgroup namespaces (PID 1 inside), uid 12345 and gid 12346, Seccomp 2, 512 open files"
else
	fail "jail from outside" "pid '$pid', $(grep -E '^(Uid|Gid|Seccomp|NSpid)' "/proc/$pid/status" 2>&1 | tr '\n' ' '); $(cat "$T/err")"
fi
# Paths are the jail's: a snapshot to /escaped lands in the jail.
qmp "$CAPS" '{"execute": "stop"}' '{"execute": "snapshot-save", "arguments": {"path": "/escaped"}}'
if [ -s "$J/escaped/state" ] && [ ! -e /escaped ]; then
	pass "jail: a snapshot saved to /escaped is written in the jail's root, not the host's"
else
	fail "jail: paths inside" "$(cat "$T/out") $(ls -d /escaped 2>&1)"
fi
rm -rf "$J/escaped"
end_vm() { qmp "$CAPS" '{"execute": "quit"}'; wait_for 20 gone "$outer" || kill -KILL "$outer"; wait "$outer"; status=$?; }
end_vm
if [ "$status" = 0 ] && [ ! -e "/proc/$pid" ]; then
	pass "jail: quit ends the jailed sprig and its waiter with status 0"
else
	fail "jail: ending" "status $status"
fi

# A guest file outside the jail cannot be named: /etc/passwd is the jail's.
"$SPRIG" --jail "$J" --kernel /guest.elf --block.path /etc/passwd >"$T/out" 2>"$T/err" </dev/null
status=$?
if [ "$status" != 0 ] && grep -q "/etc/passwd: No such file or directory" "$T/err"; then
	pass "jail: a disk outside the jail (/etc/passwd) is not there to open"
else
	fail "jail: a path outside" "status $status, $(cat "$T/err")"
fi

# jail-netns: a network namespace of its own.
jailed --cmdline action=halt --jail-netns
if [ -n "$pid" ] && ns_differs net; then
	pass "jail-netns: a network namespace of its own"
else
	fail "jail-netns" "pid '$pid', $(cat "$T/err")"
fi
end_vm

# A jail-* key without a jail, and a relative jail, are refused.
"$SPRIG" --jail-uid 5 >"$T/out" 2>"$T/err" </dev/null
expect_rc=$?
if [ "$expect_rc" = 1 ] && grep -qF "a jail-* key without jail = DIR" "$T/err"; then
	pass "a jail-* key without a jail is refused"
else
	fail "jail-uid alone" "status $expect_rc, $(cat "$T/err")"
fi

# cgroup v2 limits, where /sys/fs/cgroup is cgroup v2 (the nested VM mounts it).
if ! cgroup2_here; then
	echo "SKIP $LABEL: jail cgroup limits: /sys/fs/cgroup is not cgroup v2 here ($cgroup_what: a v1 or hybrid hierarchy)"
	exit 0
fi
jailed --cmdline action=halt --jail-memory 300M --jail-cpus 2 --jail-pids 64
# The waiter outside is in the jail's cgroup too (it made it, then forked).
cg=$(sed -n 's/^0:://p' "/proc/$outer/cgroup")
dir=/sys/fs/cgroup$cg
if [ -n "$pid" ] && [ "${cg##*/}" = "sprig-jail-$outer" ] && grep -qx "$pid" "$dir/cgroup.procs" && [ "$(cat "$dir/memory.max")" = 314572800 ] &&
	[ "$(cat "$dir/cpu.max")" = "200000 100000" ] && [ "$(cat "$dir/pids.max")" = 64 ]; then
	pass "jail: cgroup v2 limits memory.max 300 MiB, cpu.max 2 CPUs, pids.max 64, the jailed sprig in the cgroup"
else
	fail "jail cgroup" "dir $dir: $(cat "$dir/cgroup.procs" "$dir/memory.max" "$dir/cpu.max" "$dir/pids.max" 2>&1 | tr '\n' ' '); $(cat "$T/err")"
fi
end_vm
if [ ! -d "$dir" ]; then
	pass "jail: the cgroup is removed when sprig ends"
else
	fail "jail cgroup left behind" "$dir"
	rmdir "$dir" 2>/dev/null
fi
