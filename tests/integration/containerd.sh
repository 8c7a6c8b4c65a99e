#!/bin/sh
# containerd (Debian's 1.6) with its runc shim (containerd-shim-runc-v2)
# driving sprig as the runc binary (docs/oci.md): `ctr run --runc-binary
# sprig` of a busybox image prints the container's output and its exit
# code; a detached task runs, `ctr task kill` stops it (143), delete
# leaves nothing in the shim's runtime root. In the Linux stage (the
# nested VM on kvm-pvm); a containerd of the test's own on its own socket.
# usage: containerd.sh SPRIG KERNEL_DIR [LABEL]
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PATH=$here:$PATH:/usr/sbin:/sbin
export PATH
SPRIG=$(cd "$(dirname "$SPRIG")" && pwd)/$(basename "$SPRIG")
for t in containerd ctr containerd-shim-runc-v2 podman conmon; do
	if ! command -v $t >/dev/null; then
		echo "SKIP $LABEL: containerd with sprig: $t not installed here or staged next to containerd.sh"
		exit 0
	fi
done
if ! linux_runs_here; then
	echo "SKIP $LABEL: containerd with sprig: this host's KVM cannot run Linux (no vmx/svm)"
	exit 0
fi
podman_host_ready

# The image: busybox, imported into podman and saved as an OCI archive.
BUSYBOX=$here/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=$(command -v busybox)
mkdir -p "$T/bb/bin"
cp "$BUSYBOX" "$T/bb/bin/busybox"
for a in sh echo sleep; do ln -s busybox "$T/bb/bin/$a"; done
tar -C "$T/bb" -cf "$T/bb.tar" .
P="podman --root $T/ps --runroot $T/pr --storage-driver vfs --cgroup-manager cgroupfs --events-backend none --runtime $SPRIG"
if ! $P import "$T/bb.tar" localhost/ctd-busybox:1 >/dev/null 2>"$T/err" ||
	! $P save --format oci-archive -o "$T/oci.tar" localhost/ctd-busybox:1 >/dev/null 2>>"$T/err"; then
	fail "an OCI archive of busybox for containerd" "$(tail -n 3 "$T/err")"
	exit 0
fi

cat >"$T/ctd.toml" <<EOF
version = 2
root = "$T/ctd-root"
state = "$T/ctd-state"
[grpc]
  address = "$T/ctd.sock"
EOF
containerd --config "$T/ctd.toml" >"$T/ctd.log" 2>&1 &
ctd=$!
wait_for 30 test -S "$T/ctd.sock"
ctr() { command ctr -a "$T/ctd.sock" "$@"; }
ctr images import --snapshotter native "$T/oci.tar" >/dev/null 2>"$T/err"

started=$(date +%s)
ctr run --snapshotter native --runc-binary "$SPRIG" --rm localhost/ctd-busybox:1 once \
	sh -c 'echo hi from containerd; exit 5' </dev/null >"$T/out" 2>"$T/err"
status=$?
echo "note $LABEL: ctr run --rm took $(($(date +%s) - started)) s"
if [ "$status" = 5 ] && grep -qx "hi from containerd" "$T/out"; then
	pass "containerd's runc shim with sprig: ctr run --rm prints the container's output and exits 5 as it did"
else
	fail "ctr run --rm" "status $status, out '$(head -c 200 "$T/out")', err '$(tail -n 3 "$T/err")'"
fi

ctr run --snapshotter native --runc-binary "$SPRIG" -d localhost/ctd-busybox:1 bg sleep 1000 >/dev/null 2>"$T/err"
running=$(ctr task ls 2>/dev/null | awk '$1 == "bg" { print $3 }')
# The shim reads the task's cgroup, which holds the monitor and its VM
# (docs/oci.md): the guest's memory (tens of MB; the monitor alone is
# about one) and the VM's CPU time.
ctr task metrics bg >"$T/metrics" 2>&1
mem=$(awk '$1 == "memory.usage" { print $2 }' "$T/metrics")
cpu=$(awk '$1 == "cpu.usage_usec" { print $2 }' "$T/metrics")
if ! cgroup2_here; then
	echo "SKIP $LABEL: ctr task metrics of a sprig container: no cgroup v2 here ($cgroup_what)"
elif [ "${mem:-0}" -ge 10000000 ] && [ "${cpu:-0}" -gt 0 ]; then
	pass "ctr task metrics reads the container's cgroup, which holds its VM: memory.usage $mem, cpu.usage_usec $cpu"
else
	fail "ctr task metrics" "$(tr -s ' \n' ' ' <"$T/metrics" | head -c 300)"
fi
ctr task kill bg 2>>"$T/err"
stopped() { [ "$(ctr task ls 2>/dev/null | awk '$1 == "bg" { print $3 }')" = STOPPED ]; }
wait_for 30 stopped
code=$(ctr task delete bg 2>&1)
ctr container delete bg 2>>"$T/err"
left=$(ls /run/containerd/runc/default 2>/dev/null)
if [ "$running" = RUNNING ] && echo "$code" | grep -q "exit code 143" && [ -z "$left" ] &&
	[ -z "$(ctr task ls -q 2>/dev/null)" ]; then
	pass "ctr run -d: the task RUNNING, ctr task kill stops it (exit 143), delete leaves nothing in the shim's root"
else
	fail "ctr task kill" "running '$running', delete said '$code', left '$left'; $(tail -n 3 "$T/err")"
fi
kill "$ctd" 2>/dev/null
wait "$ctd" 2>/dev/null
