#!/bin/sh
# Real podman (Debian's 4.3, conmon) with sprig as its OCI runtime
# (docs/oci.md): `podman --runtime sprig run` of a busybox image prints the
# container's output and ends with its exit code; `podman stop` ends a
# detached one; nothing of a container is left after `podman rm`. Runs in
# the Linux stage (the nested VM on kvm-pvm), on a storage of its own.
# usage: podman.sh SPRIG KERNEL_DIR [LABEL]
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PATH=$here:$PATH:/usr/sbin:/sbin
export PATH
SPRIG=$(cd "$(dirname "$SPRIG")" && pwd)/$(basename "$SPRIG")
PODMAN=$here/podman
[ -x "$PODMAN" ] || PODMAN=$(command -v podman)
CONMON=$here/conmon
[ -x "$CONMON" ] || CONMON=$(command -v conmon)
BUSYBOX=$here/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=$(command -v busybox)

if [ -z "$PODMAN" ] || [ -z "$CONMON" ]; then
	echo "SKIP $LABEL: podman with sprig: podman or conmon not installed here or staged next to podman.sh"
	exit 0
fi
if ! linux_runs_here; then
	echo "SKIP $LABEL: podman with sprig: this host's KVM cannot run Linux (no vmx/svm)"
	exit 0
fi

podman_host_ready

SPRIG_ROOT=/run/sprig
podman() {
	"$PODMAN" --root "$T/storage" --runroot "$T/run" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend none --conmon "$CONMON" --runtime "$SPRIG" "$@"
}

# The pids of sprig processes (monitors, VMs) here.
sprig_processes() { for p in /proc/[0-9]*; do [ "$(readlink "$p/exe" 2>/dev/null)" = "$SPRIG" ] && echo "${p#/proc/}"; done; }

# A busybox image, imported (no registry here).
mkdir -p "$T/bb/bin"
cp "$BUSYBOX" "$T/bb/bin/busybox"
for a in sh echo cat sleep id hostname kill test stty; do ln -s busybox "$T/bb/bin/$a"; done
tar -C "$T/bb" -cf "$T/bb.tar" .
if ! podman import "$T/bb.tar" localhost/sprig-busybox:1 >"$T/out" 2>"$T/err"; then
	fail "podman import of a busybox image" "$(tail -n 3 "$T/err")"
	exit 0
fi

# Three times: the exit code travels from the guest as the VM powers off,
# and once it lost that race (docs/oci.md: EXIT_SEEN).
started=$(date +%s)
statuses=
for i in 1 2 3; do
	podman run --rm --network none localhost/sprig-busybox:1 sh -c 'echo hi from $(hostname); exit 3' \
		</dev/null >"$T/out" 2>"$T/err"
	statuses="$statuses $?"
	grep -q "^hi from [0-9a-f]\{12\}$" "$T/out" || statuses="$statuses(no output)"
done
echo "note $LABEL: podman run --rm took $((($(date +%s) - started) / 3)) s"
if [ "$statuses" = " 3 3 3" ] && [ -z "$(ls "$SPRIG_ROOT" 2>/dev/null)" ]; then
	pass "podman --runtime sprig run --rm, 3 times: the container's output, its exit code 3, nothing left in sprig's root"
else
	fail "podman run --rm" "statuses$statuses, out '$(head -c 200 "$T/out")', err '$(tail -n 3 "$T/err")'"
fi

podman run --rm --network none localhost/sprig-busybox:1 sh -c 'kill -9 $$' </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 137 ]; then
	pass "podman run: a container killed by SIGKILL exits 137, as with runc"
else
	fail "podman run, killed" "status $status, err '$(tail -n 3 "$T/err")'"
fi

# A terminal (-t): conmon's console socket gets the master of sprig's pty;
# in the guest the process has a terminal of its own, keys in, output out.
printf 'abc\n' | podman run --rm -i -t --network none localhost/sprig-busybox:1 \
	sh -c 'test -t 0 && test -t 1 && echo is-a-tty; read x; echo got-$x' >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 0 ] && grep -q "^is-a-tty" "$T/out" && grep -q "^got-abc" "$T/out"; then
	pass "podman run -i -t: the process has a terminal (test -t 0 and 1), reads our keys, its output comes back"
else
	fail "podman run -t" "status $status, out '$(head -c 300 "$T/out" | tr '\r' ' ')', err '$(tail -n 3 "$T/err")'"
fi

# podman's mounts: its /etc/hosts and /etc/hostname (files, copied into
# the VM and bound), a --tmpfs; a -v of a directory is refused with why.
podman run --rm --network none --tmpfs /scratch:size=2m localhost/sprig-busybox:1 \
	sh -c 'grep -q "$(hostname)" /etc/hosts && echo hosts-ok; [ "$(cat /etc/hostname)" = "$(hostname)" ] && echo hostname-ok; grep -c " /scratch tmpfs " /proc/mounts' \
	</dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 0 ] && [ "$(tr '\n' '|' <"$T/out")" = "hosts-ok|hostname-ok|1|" ]; then
	pass "podman run: its /etc/hosts and /etc/hostname reach the VM, --tmpfs is a tmpfs there"
else
	fail "podman mounts" "status $status, out '$(head -c 200 "$T/out")', err '$(tail -n 3 "$T/err")'"
fi
mkdir -p "$T/vol"
podman run --rm --network none -v "$T/vol:/data" localhost/sprig-busybox:1 true </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" != 0 ] && grep -q "a bind mount of a directory ($T/vol) needs a filesystem shared with the VM" "$T/err" &&
	[ -z "$(ls "$SPRIG_ROOT" 2>/dev/null)" ]; then
	pass "podman run -v DIR: refused with the reason (no shared filesystem), exit $status, nothing left"
else
	fail "podman run -v" "status $status, err '$(tail -n 3 "$T/err")'"
fi

podman run -d --name sleeper --memory 200m --network none localhost/sprig-busybox:1 sleep 1000 >"$T/out" 2>"$T/err"
up=$(podman ps --format '{{.Names}} {{.Status}}' 2>/dev/null)
# podman stats reads the container's cgroup, which holds the monitor and
# its VM (docs/oci.md): tens of MB of the guest's RAM, where the monitor
# alone is about one.
stats=$(podman stats --no-stream --format '{{.MemUsage}}' sleeper 2>&1)
cgroup2_here || stats=skip
case $stats in
skip) echo "SKIP $LABEL: podman stats of a sprig container: no cgroup v2 here ($cgroup_what), so no container cgroup" ;;
[1-9][0-9].*MB\ /\ 209.7MB | [1-9][0-9][0-9].*MB\ /\ 209.7MB)
	pass "podman stats reads the container's cgroup, which holds its VM: $stats" ;;
*) fail "podman stats of a sprig container" "'$stats' (want 10 MB or more of the VM's, of 209.7MB)" ;;
esac
podman stop -t 5 sleeper >/dev/null 2>"$T/err"
after=$(podman ps -a --format '{{.Names}} {{.Status}}' 2>/dev/null)
podman rm sleeper >/dev/null 2>>"$T/err"
left=$(ls "$SPRIG_ROOT" 2>/dev/null)
vms=$(sprig_processes)
mounts=$(grep -c "$T" /proc/mounts)
case $up in "sleeper Up"*) up_ok=yes ;; *) up_ok=no ;; esac
case $after in "sleeper Exited (143)"*) stop_ok=yes ;; *) stop_ok=no ;; esac
if [ $up_ok = yes ] && [ $stop_ok = yes ] && [ -z "$left" ] && [ -z "$vms" ] && [ "$mounts" = 0 ]; then
	pass "podman run -d, then podman stop: running, then Exited (143); after podman rm no sprig process, state or mount is left"
else
	fail "podman stop" "ps '$up', after stop '$after', left '$left', sprig processes '$vms', mounts $mounts; $(tail -n 3 "$T/err")"
	for p in $vms; do
		echo "    | $p: $(grep -E '^(State|PPid)' "/proc/$p/status" | tr '\n\t' '  ') $(tr '\0' ' ' <"/proc/$p/cmdline")"
	done
fi

# --- podman rootless: uid 1000 runs podman, which runs conmon and sprig as
# root of a user namespace of its own (one uid mapped where /etc/subuid has
# none for the user: podman's "single mapping"). sprig runs unjailed there
# (docs/oci.md "Rootless"), in $XDG_RUNTIME_DIR/sprig, and its errors
# reach podman as runc's do: a command not in the image is 127.
rootless_podman() {
	as_user env HOME="$T/rl/home" XDG_RUNTIME_DIR="$T/rl/run" PATH="$PATH" "$PODMAN" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend none --conmon "$CONMON" --runtime "$SPRIG" "$@"
}
mkdir -p "$T/rl/home" "$T/rl/run"
chown -R 1000:1000 "$T/rl"
chmod 700 "$T/rl/run"
chmod 755 "$T"
chmod 644 "$T/bb.tar"
if ! user_can_run_vms; then
	echo "SKIP $LABEL: podman rootless: $user_why"
elif ! rootless_podman import "$T/bb.tar" localhost/sprig-busybox:1 >"$T/out" 2>"$T/err"; then
	echo "SKIP $LABEL: podman rootless: podman cannot run as uid 1000 here: $(tail -n 1 "$T/err")"
else
	rootless_podman run --rm --network none localhost/sprig-busybox:1 sh -c 'echo rootless $(id -u) in $(hostname); exit 4' \
		</dev/null >"$T/out" 2>"$T/err"
	status=$?
	if [ "$status" = 4 ] && grep -q "^rootless 0 in [0-9a-f]\{12\}$" "$T/out"; then
		pass "podman rootless (uid 1000, a user namespace of podman's): the container's output, its exit code 4"
	else
		fail "podman rootless run" "status $status, out '$(head -c 200 "$T/out")', err '$(tail -n 3 "$T/err")'"
	fi
	rootless_podman run --rm --network none localhost/sprig-busybox:1 no-such-command </dev/null >"$T/out" 2>"$T/err"
	status=$?
	if [ "$status" = 127 ] && grep -q "executable file not found" "$T/err" && ! grep -q "sprig: warning" "$T/err"; then
		pass "podman rootless: a command not in the image exits 127 with the runtime's one line, as with runc"
	else
		fail "podman rootless, no such command" "status $status, err '$(tail -n 3 "$T/err")'"
	fi
	# conmon's exit command (podman container cleanup) may still be
	# deleting; podman's pause process keeps its user namespace for the
	# next command.
	none_left() { [ -z "$(sprig_processes)" ] && [ -z "$(ls "$T/rl/run/sprig" 2>/dev/null)" ]; }
	wait_for 20 none_left
	pause=$(cat "$T/rl/run/libpod/tmp/pause.pid" 2>/dev/null)
	[ -n "$pause" ] && kill "$pause" 2>/dev/null
	left=$(ls "$T/rl/run/sprig" 2>/dev/null)
	vms=$(sprig_processes)
	if [ -z "$left" ] && [ -z "$vms" ]; then
		pass "podman rootless: no sprig process and nothing in \$XDG_RUNTIME_DIR/sprig left"
	else
		fail "podman rootless leftovers" "in sprig's root '$left', sprig processes '$vms'"
	fi
fi
