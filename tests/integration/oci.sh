#!/bin/sh
# sprig as an OCI runtime (docs/oci.md): the runc command line driving
# containers that are VMs. Bundles are made here: a busybox root and a
# config.json per case. Bad bundles are refused before any VM; the rest
# boots the minimal kernel with sprig's agent (sprig-guest/ next to
# sprig), so it runs where Linux runs (the nested test VM on kvm-pvm).
# usage: oci.sh SPRIG KERNEL_DIR [LABEL]   (KERNEL_DIR unused: the guest
# is sprig-guest/ beside SPRIG)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
# mke2fs for the root disk: a staged copy next to this script first.
PATH=$here:$PATH:/usr/sbin:/sbin
export PATH
ROOT=$T/root
BUSYBOX=$here/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=$(command -v busybox)

oci() { "$SPRIG" --root "$ROOT" "$@"; }

# bundle NAME ARGS_JSON [EXTRA_PROCESS_JSON] [LINUX_JSON] [MOUNTS_JSON]:
# $T/NAME with a busybox root and a config.json running ARGS_JSON.
bundle() {
	b=$T/$1
	mkdir -p "$b/rootfs/bin" "$b/rootfs/tmp" "$b/rootfs/etc"
	cp "$BUSYBOX" "$b/rootfs/bin/busybox"
	for a in sh echo cat sleep id hostname pwd kill grep head wc ls ulimit nproc; do
		ln -sf busybox "$b/rootfs/bin/$a"
	done
	linux=${4:-}
	[ -n "$linux" ] || linux='{"namespaces": [{"type": "pid"}, {"type": "mount"}]}'
	mounts=
	[ -z "${5:-}" ] || mounts="\"mounts\": $5,"
	cat >"$b/config.json" <<EOF
{"ociVersion": "1.0.2-dev",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $2,
   "env": ["PATH=/bin", "TERM=xterm"], "cwd": "/"${3:+, $3}},
 "root": {"path": "rootfs", "readonly": false},
 "hostname": "oci-test", $mounts
 "linux": $linux}
EOF
}

# --- bad bundles: one clear line, exit 1, nothing left under the root
mkdir -p "$T/empty"
refused() {  # NAME TEXT BUNDLE
	oci create --bundle "$3" bad >"$T/out" 2>"$T/err"
	status=$?
	if [ "$status" = 1 ] && grep -qF -- "$2" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -e "$ROOT/bad" ]; then
		pass "create refuses $1 with one line: $(cat "$T/err")"
	else
		fail "create with $1" "status $status, stderr '$(cat "$T/err")', $(ls "$ROOT" 2>/dev/null | tr '\n' ' ')"
	fi
}
refused "a bundle without config.json" "$T/empty/config.json: No such file or directory" "$T/empty"
bundle badjson '["true"]'
printf '{"ociVersion": "1.0.0", "root": ' >"$T/badjson/config.json"
refused "bad JSON" "$T/badjson/config.json: unexpected end of input" "$T/badjson"
bundle badversion '["true"]'
sed -i 's/"1.0.2-dev"/"2.0.0"/' "$T/badversion/config.json"
refused "an unknown ociVersion" 'ociVersion "2.0.0": unsupported' "$T/badversion"
bundle relcwd '["true"]'
sed -i 's|"cwd": "/"|"cwd": "tmp"|' "$T/relcwd/config.json"
refused "a relative cwd" 'process.cwd "tmp": not an absolute path' "$T/relcwd"
bundle tty '["true"]'
sed -i 's|"terminal": false|"terminal": true|' "$T/tty/config.json"
refused "a terminal without --console-socket" "process.terminal needs --console-socket" "$T/tty"
bundle notty '["true"]'
oci create --bundle "$T/notty" --console-socket "$T/console.sock" bad >"$T/out" 2>"$T/err"
if [ $? = 1 ] && grep -qF -- "--console-socket without process.terminal" "$T/err" && [ ! -e "$ROOT/bad" ]; then
	pass "create refuses --console-socket for a process without a terminal"
else
	fail "--console-socket without a terminal" "$(cat "$T/err")"
fi
oci create --bundle "$T/badversion" "a/b" 2>"$T/err"
expect_status=$?
if [ "$expect_status" = 1 ] && grep -qF 'container id "a/b": only letters' "$T/err"; then
	pass "an id runc would refuse is refused"
else
	fail "bad container id" "status $expect_status, $(cat "$T/err")"
fi
oci state nosuch >"$T/out" 2>"$T/err"
if [ $? = 1 ] && grep -qF 'container "nosuch" does not exist' "$T/err"; then
	pass "state of a container that does not exist: exit 1, says so"
else
	fail "state of a missing container" "$(cat "$T/err")"
fi

if [ ! -f "$(dirname "$SPRIG")/sprig-guest/kernel" ] || [ ! -f "$(dirname "$SPRIG")/sprig-guest/initrd" ]; then
	fail "OCI containers" "no sprig-guest/kernel and initrd next to $SPRIG (tools/guest-kernel agent)"
	exit 0
fi
if ! linux_runs_here; then
	echo "SKIP $LABEL: OCI containers: this host's KVM cannot run Linux (no vmx/svm)"
	exit 0
fi
if ! command -v mke2fs >/dev/null; then
	echo "SKIP $LABEL: OCI containers: no mke2fs (e2fsprogs) here or staged next to oci.sh"
	exit 0
fi

# --- run: the process's stdout, stderr and exit code are the engine's
bundle hello '["sh", "-c", "echo out-$((6 * 7)) from $(hostname); echo err-line >&2; exit 7"]'
started=$(date +%s)
LIMIT=120 timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/hello" hello </dev/null >"$T/out" 2>"$T/err"
status=$?
echo "note $LABEL: oci run hello took $(($(date +%s) - started)) s"
if [ "$status" = 7 ] && grep -qx "out-42 from oci-test" "$T/out" && grep -qx "err-line" "$T/err" && [ ! -e "$ROOT/hello" ]; then
	pass "run: stdout and stderr of the container's process reach ours, its exit code 7 is run's, the container is gone after"
else
	fail "run hello" "status $status, out '$(head -c 300 "$T/out")', err '$(head -c 300 "$T/err")'"
fi

# A process killed by a signal: run ends 128 + N as runc's does.
bundle killed '["sh", "-c", "kill -USR1 $$"]'
timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/killed" killed </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 138 ]; then
	pass "run: a process killed by SIGUSR1 ends run with 138 (128 + 10)"
else
	fail "run killed by a signal" "status $status; $(head -c 300 "$T/err")"
fi

# stdin reaches the process; the spec's user, cwd, env, rlimits, hostname.
bundle ident '["sh", "-c", "read line; echo got-$line id=$(id -u):$(id -g) cwd=$(pwd) foo=$FOO nofile=$(ulimit -n) host=$(hostname)"]' \
	'"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]'
sed -i 's|"user": {"uid": 0, "gid": 0}|"user": {"uid": 1000, "gid": 1001}|; s|"cwd": "/"|"cwd": "/work/dir"|; s|"TERM=xterm"|"FOO=bar baz"|' \
	"$T/ident/config.json"
printf 'abc\n' >"$T/in"
timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/ident" ident <"$T/in" >"$T/out" 2>"$T/err"
status=$?
want="got-abc id=1000:1001 cwd=/work/dir foo=bar baz nofile=123 host=oci-test"
if [ "$status" = 0 ] && grep -qxF "$want" "$T/out"; then
	pass "the process reads our stdin and runs as the spec says: $want"
else
	fail "process spec in the guest" "status $status, out '$(head -c 300 "$T/out")', err '$(head -c 300 "$T/err")'"
fi

# The memory and CPU limits size the VM.
bundle sized '["sh", "-c", "echo cpus=$(grep -c ^processor /proc/cpuinfo) $(grep MemTotal /proc/meminfo)"]' "" \
	'{"resources": {"memory": {"limit": 314572800}, "cpu": {"quota": 200000, "period": 100000}}}'
timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/sized" sized </dev/null >"$T/out" 2>"$T/err"
kb=$(sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p' "$T/out")
if grep -q "^cpus=2 " "$T/out" && [ -n "$kb" ] && [ "$kb" -gt 250000 ] && [ "$kb" -le 307200 ]; then
	pass "linux.resources: a 300 MiB memory limit and a 2-CPU quota make a VM of 300 MiB (MemTotal $kb kB) and 2 vCPUs"
else
	fail "VM size from the limits" "$(head -c 300 "$T/out") $(head -c 300 "$T/err")"
fi

# --- the container's cgroup: the monitor and its VM join linux.cgroupsPath
# with the limits on the host; the pids limit holds in the guest.
if ! cgroup2_here; then
	echo "SKIP $LABEL: OCI cgroups: /sys/fs/cgroup is not cgroup v2 here ($cgroup_what: a v1 or hybrid hierarchy)"
else
	cg=/sys/fs/cgroup/sprig-oci-test/limited
	bundle limited '["sh", "-c", "i=0; while [ $i -lt 30 ]; do sleep 100 & echo forked; i=$((i + 1)); done"]' "" \
		'{"cgroupsPath": "/sprig-oci-test/limited", "resources": {"memory": {"limit": 209715200},
		  "cpu": {"quota": 50000, "period": 100000, "shares": 1024}, "pids": {"limit": 8}}}'
	timeout 120 "$SPRIG" --root "$ROOT" create --bundle "$T/limited" --pid-file "$T/limited.pid" limited \
		</dev/null >"$T/limited.out" 2>"$T/limited.err"
	pid=$(cat "$T/limited.pid" 2>/dev/null)
	procs=$(wc -l <"$cg/cgroup.procs" 2>/dev/null)
	if [ -n "$pid" ] && grep -qx "$pid" "$cg/cgroup.procs" && [ "$procs" -ge 3 ] &&
		[ "$(cat "$cg/memory.max")" = $(((200 + 64) << 20)) ] && [ "$(cat "$cg/cpu.max")" = "50000 100000" ] &&
		[ "$(cat "$cg/cpu.weight")" = 39 ] && [ "$(cat "$cg/pids.max")" = max ]; then
		pass "cgroupsPath: the monitor and its VM ($procs processes) in $cg, memory.max 200+64 MiB, cpu.max 50000 100000, cpu.weight 39 (1024 shares), pids.max left to the guest"
	else
		fail "the container's cgroup" "pid '$pid', $(cat "$cg/cgroup.procs" "$cg/memory.max" "$cg/cpu.max" "$cg/cpu.weight" 2>&1 | tr '\n' ' ') $(cat "$T/limited.err")"
	fi
	oci start limited
	wait_for 60 gone "$pid"
	forked=$(grep -c '^forked$' "$T/limited.out")
	if [ "$forked" = 7 ] && grep -q "fork" "$T/limited.err"; then
		pass "linux.resources.pids.limit 8 in the guest: the shell and 7 children, the 8th fork refused"
	else
		fail "pids limit in the guest" "forked $forked times; $(head -c 300 "$T/limited.err")"
	fi
	oci delete limited
	if [ ! -e "$cg" ] && [ ! -e "$ROOT/limited" ]; then
		pass "delete removes the container's cgroup"
	else
		fail "cgroup after delete" "$(ls "$cg" 2>&1 | head -3)"
	fi
	# systemd's form, as podman and containerd write it with --systemd-cgroup.
	bundle sd '["sleep", "1000"]' "" '{"cgroupsPath": "sprigtest.slice:sprig:sd1"}'
	timeout 120 "$SPRIG" --root "$ROOT" --systemd-cgroup create --bundle "$T/sd" --pid-file "$T/sd.pid" sd \
		</dev/null >/dev/null 2>"$T/err"
	pid=$(cat "$T/sd.pid" 2>/dev/null)
	scope=/sys/fs/cgroup/sprigtest.slice/sprig-sd1.scope
	if [ -n "$pid" ] && grep -qx "$pid" "$scope/cgroup.procs"; then
		pass "--systemd-cgroup: slice:prefix:name is the slice's folder and prefix-name.scope ($scope)"
	else
		fail "systemd cgroupsPath" "pid '$pid', $(ls /sys/fs/cgroup/sprigtest.slice 2>&1 | tr '\n' ' ') $(cat "$T/err")"
	fi
	oci delete --force sd
	[ ! -e "$scope" ] || fail "systemd scope after delete --force" "$scope is left"
	rmdir /sys/fs/cgroup/sprigtest.slice 2>/dev/null
	# A cgroup that holds processes is not the container's to take: its
	# removal would kill them (runc's rule).
	mkdir -p /sys/fs/cgroup/sprig-oci-test/busy
	sleep 300 &
	sleeper=$!
	echo "$sleeper" >/sys/fs/cgroup/sprig-oci-test/busy/cgroup.procs
	sed 's|/sprig-oci-test/limited|/sprig-oci-test/busy|' "$T/limited/config.json" >"$T/limited/busy.json"
	mv "$T/limited/busy.json" "$T/limited/config.json"
	timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/limited" busy </dev/null >"$T/out" 2>"$T/err"
	status=$?
	if [ "$status" = 1 ] && grep -qF "cgroup /sys/fs/cgroup/sprig-oci-test/busy is not empty" "$T/err" &&
		kill -0 "$sleeper" && [ ! -e "$ROOT/busy" ]; then
		pass "a cgroupsPath that holds other processes is refused; they live on, no container is left"
	else
		fail "busy cgroup" "status $status, $(head -c 300 "$T/err")"
	fi
	kill "$sleeper"
	wait "$sleeper" 2>/dev/null
	rmdir /sys/fs/cgroup/sprig-oci-test/busy /sys/fs/cgroup/sprig-oci-test 2>/dev/null
fi

# An executable that is not there: create fails as runc's does, nothing left.
bundle missing '["no-such-program"]'
timeout 120 "$SPRIG" --root "$ROOT" create --bundle "$T/missing" missing </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 1 ] && grep -qF 'exec: "no-such-program": executable file not found in $PATH' "$T/err" &&
	[ ! -e "$ROOT/missing" ]; then
	pass "create of a process whose executable is missing: runc's line, exit 1, no container left"
else
	fail "missing executable" "status $status, $(head -c 300 "$T/err")"
fi

# An exec that fails at start (a file without execute permission): run
# says why, ends non-zero, and removes the container.
bundle noexec '["/bin/not-a-program"]'
printf 'data\n' >"$T/noexec/rootfs/bin/not-a-program"
timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/noexec" noexec </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 127 ] && grep -qF "exec: Permission denied" "$T/err" && [ ! -e "$ROOT/noexec" ]; then
	pass "run of a file that cannot be exec'd: the reason, exit 127, no container left"
else
	fail "exec failing at start" "status $status, $(head -c 300 "$T/err"), $(ls "$ROOT" 2>&1)"
fi

# --- the life cycle an engine drives: create, state, start, kill, delete
field() { sed -n "s/^  \"$1\": \"*\([^\",]*\)\"*,*$/\1/p" "$T/state"; }
state_of() { oci state "$1" >"$T/state" 2>&1; field status; }
bundle life '["sh", "-c", "echo started; exec sleep 1000"]'
timeout 120 "$SPRIG" --root "$ROOT" --log "$T/log" --log-format json create --bundle "$T/life" \
	--pid-file "$T/life.pid" life </dev/null >"$T/life.out" 2>"$T/life.err"
status=$?
pid=$(cat "$T/life.pid" 2>/dev/null)
st=$(state_of life)
if [ "$status" = 0 ] && [ -n "$pid" ] && kill -0 "$pid" && [ "$st" = created ] && [ "$(field pid)" = "$pid" ] &&
	[ "$(field bundle)" = "$T/life" ] && [ "$(field id)" = life ] && ! grep -q started "$T/life.out"; then
	pass "create: status created, the pid file's pid is the state's and alive, the process has not run yet"
else
	fail "create" "status $status, pid '$pid', state: $(tr '\n' ' ' <"$T/state") $(cat "$T/life.err")"
fi
oci list >"$T/list"
if grep -q "^life  *$pid  *created  *$T/life " "$T/list" && oci list -q | grep -qx life &&
	oci list --format json | grep -q '"status": "created"'; then
	pass "list: the container as a table row, its id (-q) and JSON"
else
	fail "list" "$(cat "$T/list")"
fi
oci start life
st=$(state_of life)
wait_for 30 grep -q started "$T/life.out"
if [ "$st" = running ] && grep -qx started "$T/life.out"; then
	pass "start: status running, the process runs (its output reached create's stdout)"
else
	fail "start" "state $st, out '$(cat "$T/life.out")', $(cat "$T/life.err")"
fi
# As root the container's VM runs jailed in ROOT/ID/vm: the monitor's
# child is the jail's waiter, its child the VM (docs/oci.md).
waiter=$(tr -d ' \n' <"/proc/$pid/task/$pid/children" 2>/dev/null)
vm=$(tr -d ' \n' <"/proc/$waiter/task/$waiter/children" 2>/dev/null)
if [ "$(id -u)" != 0 ]; then
	echo "SKIP $LABEL: the container VM's jail: not root, so no jail"
elif [ -n "$vm" ] && grep -q "^Uid:	65534	" "/proc/$vm/status" && grep -q "^Seccomp:	2" "/proc/$vm/status" &&
	[ "$(readlink "/proc/$vm/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
	[ "$(readlink "/proc/$vm/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && [ ! -e "$ROOT/life/vm/state.json" ]; then
	pass "the container's VM runs jailed: uid 65534, Seccomp 2, its own mount and pid namespaces, only ROOT/ID/vm as its root"
else
	fail "the container VM's jail" "monitor $pid, waiter '$waiter', vm '$vm': $(grep -E '^(Uid|Seccomp)' "/proc/$vm/status" 2>&1 | tr '\n' ' ')"
fi
oci start life 2>"$T/err"
if [ $? = 1 ] && grep -qF "cannot start an already running container" "$T/err"; then
	pass "start twice: refused as runc refuses it"
else
	fail "second start" "$(cat "$T/err")"
fi
oci delete life 2>"$T/err"
if [ $? = 1 ] && grep -qF "cannot delete container life that is not stopped: running" "$T/err" && kill -0 "$pid"; then
	pass "delete of a running container without --force: refused, it runs on"
else
	fail "delete while running" "$(cat "$T/err")"
fi
oci kill life TERM
stopped() { [ "$(state_of life)" = stopped ]; }
wait_for 30 stopped
if stopped && ! kill -0 "$pid" 2>/dev/null && [ "$(field pid)" = 0 ]; then
	pass "kill TERM: the process in the guest ends, the container is stopped (pid 0), the monitor is gone"
else
	fail "kill TERM" "state: $(tr '\n' ' ' <"$T/state")"
fi
oci delete life
if [ $? = 0 ] && [ ! -e "$ROOT/life" ]; then
	pass "delete of a stopped container removes its state"
else
	fail "delete" "$(ls "$ROOT/life" 2>&1)"
fi

# delete --force of a running container: nothing of it is left.
bundle forced '["sleep", "1000"]'
timeout 120 "$SPRIG" --root "$ROOT" create --bundle "$T/forced" --pid-file "$T/forced.pid" forced </dev/null \
	>/dev/null 2>"$T/err"
pid=$(cat "$T/forced.pid" 2>/dev/null)
oci start forced
vm=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | cut -d" " -f1)
oci delete --force forced
sleep 1
if [ ! -e "$ROOT/forced" ] && ! kill -0 "$pid" 2>/dev/null && { [ -z "$vm" ] || ! kill -0 "$vm" 2>/dev/null; }; then
	pass "delete --force of a running container: its monitor and VM are gone, and its state"
else
	fail "delete --force" "monitor $pid, vm '$vm', $(ls "$ROOT" 2>&1)"
fi
# --- rootless: a user who is not root runs a container: no jail, a root
# folder of its own, and a cgroup it may not write is a note in the log,
# not an error and not a line on stderr (runc's rootless rule).
if ! user_can_run_vms; then
	echo "SKIP $LABEL: rootless container: $user_why"
else
	bundle rootless '["sh", "-c", "echo rootless-$(id -u) on $(hostname)"]'
	mkdir -p "$T/user"
	chown 1000:1000 "$T/user"
	chmod 755 "$T"
	chmod -R a+rX "$T/rootless"
	as_user env HOME="$T/user" XDG_RUNTIME_DIR="$T/user" "$SPRIG" run --bundle "$T/rootless" rl \
		</dev/null >"$T/out" 2>"$T/err"
	status=$?
	if [ "$status" = 0 ] && grep -qx "rootless-0 on oci-test" "$T/out" && [ -d "$T/user/sprig" ] &&
		[ -z "$(ls "$T/user/sprig")" ] && ! grep -q "cgroup" "$T/err"; then
		pass "rootless: uid 1000 runs a container in \$XDG_RUNTIME_DIR/sprig (output, exit 0, nothing left, no cgroup line on stderr)"
	else
		fail "rootless container" "status $status, out '$(head -c 200 "$T/out")', err '$(head -c 300 "$T/err")'"
	fi
	# As podman rootless runs its runtime: root only in a user namespace
	# of uid 1000's, where mknod and the host's cgroups are not ours.
	UNSHARE=$here/unshare
	[ -x "$UNSHARE" ] || UNSHARE=/usr/bin/unshare
	if ! as_user "$UNSHARE" --user --map-root-user true 2>"$T/err"; then
		echo "SKIP $LABEL: rootless in a user namespace: uid 1000 cannot make one here ($(head -c 200 "$T/err"))"
	else
		as_user env HOME="$T/user" XDG_RUNTIME_DIR="$T/user" "$UNSHARE" --user --map-root-user \
			"$SPRIG" --log "$T/user/log" --log-format json run --bundle "$T/rootless" rl2 \
			</dev/null >"$T/out" 2>"$T/err"
		status=$?
		# The cgroup it may not make: an info line in the log (where there
		# is cgroup v2 to be refused), nothing on stderr.
		noted=yes
		cgroup2_here && ! grep -q '^{"level":"info","msg":"cgroup .*","time":"' "$T/user/log" && noted=no
		if [ "$status" = 0 ] && grep -qx "rootless-0 on oci-test" "$T/out" && [ -z "$(ls "$T/user/sprig")" ] &&
			[ ! -s "$T/err" ] && [ $noted = yes ]; then
			pass "rootless in a user namespace (root there, uid 1000 here): the container runs, unjailed, in \$XDG_RUNTIME_DIR/sprig; the cgroup it may not make is an info line in --log"
		else
			fail "rootless in a user namespace" "status $status, out '$(head -c 200 "$T/out")', err '$(head -c 300 "$T/err")', log '$(head -c 300 "$T/user/log")'"
		fi
	fi
fi

# --- mounts: a tmpfs where the spec asks, host files bound (read-only,
# and at a path the image lacks), a directory bind refused before any VM.
echo "motd from the host" >"$T/motd"
echo "made for it" >"$T/newfile"
bundle mounted '["sh", "-c", "cat /etc/motd /new/dir/file; echo x >/etc/motd 2>/dev/null || echo motd-ro; grep \" /scratch tmpfs \" /proc/mounts | grep -q noexec && echo scratch-tmpfs; echo w >/scratch/f && cat /scratch/f"]' \
	"" "" "[{\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"noexec\", \"size=1m\"]},
	{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},
	{\"destination\": \"/etc/motd\", \"type\": \"bind\", \"source\": \"$T/motd\", \"options\": [\"rbind\", \"ro\"]},
	{\"destination\": \"/new/dir/file\", \"type\": \"bind\", \"source\": \"$T/newfile\", \"options\": [\"bind\"]}]"
timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/mounted" mounted </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 0 ] && [ "$(tr '\n' '|' <"$T/out")" = "motd from the host|made for it|motd-ro|scratch-tmpfs|w|" ]; then
	pass "mounts: a tmpfs (noexec, written to), a host file bound read-only, one bound where the image had no path"
else
	fail "mounts" "status $status, out '$(head -c 300 "$T/out")', err '$(head -c 300 "$T/err")'"
fi
# root.readonly (podman --read-only): the root refuses writes, while a
# tmpfs at a path the image lacks is made first and takes them.
bundle rodisk '["sh", "-c", "echo x >/f 2>/dev/null || echo root-ro; echo y >/scratch/f && cat /scratch/f"]' \
	"" "" "[{\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
sed -i 's/"readonly": false/"readonly": true/' "$T/rodisk/config.json"
timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/rodisk" rodisk </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 0 ] && [ "$(tr '\n' '|' <"$T/out")" = "root-ro|y|" ]; then
	pass "root.readonly: the root refuses writes; a tmpfs mounted at a path the image lacks takes them"
else
	fail "root.readonly" "status $status, out '$(head -c 300 "$T/out")', err '$(head -c 300 "$T/err")'"
fi
bundle dirbind '["true"]' "" "" "[{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T\", \"options\": [\"rbind\"]}]"
refused "a bind mount of a directory" "mounts[0] /data: a bind mount of a directory ($T) needs a filesystem shared with the VM (virtio-fs)" "$T/dirbind"

# --- the root disk's mke2fs: never busybox's applet (it has no -d), which
# is all the nested VM has outside this folder: there create says what to
# install; where e2fsprogs is in the system's folders the container runs.
PATH=/usr/bin:/bin timeout 120 "$SPRIG" --root "$ROOT" run --bundle "$T/hello" nostaged </dev/null >"$T/out" 2>"$T/err"
status=$?
if { [ "$status" = 1 ] && grep -q "mke2fs not found (install e2fsprogs" "$T/err"; } ||
	{ [ "$status" = 7 ] && grep -q "^out-42" "$T/out"; }; then
	pass "without the staged mke2fs: $([ "$status" = 7 ] && echo "the system's e2fsprogs makes the disk" || echo "create asks for e2fsprogs, busybox's mke2fs passed over")"
else
	fail "mke2fs lookup" "status $status, err '$(head -c 300 "$T/err")'"
fi

# --- a --root whose sockets' paths pass sun_path's 107 bytes (containerd's
# k8s.io root with a 64-character id comes near): create, start through
# the monitor's socket, the VM's vsock, state and delete all work.
long_root=$T/a-root-folder-whose-name-is-long-as-engines-make-them/and-deeper-still-past-sun-path
long_id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
timeout 120 "$SPRIG" --root "$long_root" run --bundle "$T/hello" "$long_id" </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 7 ] && grep -q "^out-42 from oci-test" "$T/out" && [ -z "$(ls "$long_root")" ]; then
	pass "a --root past sun_path's length (the VM's sockets at $((${#long_root} + 79)) bytes): run works, nothing left"
else
	fail "long --root" "status $status, out '$(head -c 200 "$T/out")', err '$(head -c 300 "$T/err")'"
fi

if [ -z "$(ls "$ROOT" 2>/dev/null)" ]; then
	pass "no container is left under the root"
else
	fail "leftovers under the root" "$(ls "$ROOT")"
fi
