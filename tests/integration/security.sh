#!/bin/sh
# seccomp and file descriptor tests: usage security.sh SPRIG GUEST_DIR
# [LABEL], like run.sh. Every thread runs filtered while a guest runs; a
# forbidden call kills (kill), is reported (trap), only logged (log) or
# allowed (off); nothing the guest could reach is left open.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp_lib.sh"

if ! "$SOCAT" -V >/dev/null 2>&1; then
	echo "SKIP $LABEL: seccomp tests: socat not found"
	exit 0
fi

# --- while a guest runs: every thread filtered, no /dev/kvm, no stray fds.
# fd 7 is left open by this shell: sprig must not keep it.
exec 7>"$T/inherited"
start_vm --kernel "$TESTGUEST" --cmdline action=halt --cpus 2 --rng
exec 7>&-
wait_for 30 console_has "testguest: halting"
threads=0 filtered=0 nnp=0
for task in /proc/"$pid"/task/*; do
	threads=$((threads + 1))
	grep -q '^Seccomp:[[:space:]]*2$' "$task/status" && filtered=$((filtered + 1))
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$task/status" && nnp=$((nnp + 1))
done
# The main thread, two vCPUs, the I/O thread (the rng's), and KVM's own
# worker, which a vCPU thread created and which inherits its filter.
if [ "$threads" -ge 4 ] && [ "$filtered" = "$threads" ] && [ "$nnp" = "$threads" ]; then
	pass "Seccomp: 2 and NoNewPrivs on all $threads threads (main, 2 vCPUs, I/O, any KVM worker) while the guest runs"
else
	grep -H '^\(Name\|Seccomp\|NoNewPrivs\):' /proc/"$pid"/task/*/status >"$T/out"
	fail "every thread filtered" "$filtered of $threads threads in seccomp filter mode, $nnp with no_new_privs"
fi
leaks=
for fd in /proc/"$pid"/fd/*; do
	n=${fd##*/}
	[ "$n" -le 2 ] && continue
	target=$(readlink "$fd")
	flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/"$pid"/fdinfo/"$n")
	case $target in /dev/kvm | *inherited) leaks="$leaks $n:$target" ;; esac
	# O_CLOEXEC is octal 02000000 in the flags fdinfo prints.
	[ $(((0$flags >> 19) & 1)) = 1 ] || leaks="$leaks $n:$target(no-cloexec)"
done
if [ -z "$leaks" ]; then
	pass "no /dev/kvm, no inherited fd, every other fd close-on-exec while the guest runs"
else
	ls -l /proc/"$pid"/fd >"$T/out" 2>&1
	fail "file descriptors while the guest runs" "$leaks"
fi
end_vm

# --- a forbidden system call, per thread class and mode.
violate() {
	case $1 in
	vmm) args='{"thread": "vmm"}' ;;
	io) args='{"thread": "io"}' ;;
	*) args='{"thread": "vcpu", "cpu-index": 1}' ;;
	esac
	qmp "$CAPS" "{\"execute\": \"x-seccomp-violation\", \"arguments\": $args}"
}
# The I/O thread exists only with a virtio device: the rng's.
for class in vmm vcpu io; do
	rng=
	[ $class = io ] && rng=--rng
	start_vm --kernel "$TESTGUEST" --cmdline action=spin --cpus 2 $rng
	wait_for 30 console_has "testguest: spinning"
	violate $class
	until_gone
	# Killed by SIGSYS (31): the shell reports 128 + 31.
	expect "seccomp = kill: a forbidden call in the $class thread kills sprig with SIGSYS" 159

	start_vm --kernel "$TESTGUEST" --cmdline action=spin --cpus 2 --seccomp trap $rng
	wait_for 30 console_has "testguest: spinning"
	violate $class
	until_gone
	expect "seccomp = trap: the $class thread's forbidden call is named, exit 10" 10 \
		"err:sprig: seccomp: the $class thread made a forbidden system call: socket (41)"

	start_vm --kernel "$TESTGUEST" --cmdline action=spin --cpus 2 --seccomp log $rng
	wait_for 30 console_has "testguest: spinning"
	violate $class
	cp "$T/out" "$T/violation"
	qmp "$CAPS" '{"execute": "query-status"}'
	if grep -qF '{"return": {}}' "$T/violation" && grep -qF '"status": "running"' "$T/out"; then
		end_vm
		expect "seccomp = log: the $class thread's forbidden call goes through, the VM runs on" 0
	else
		end_vm
		fail "seccomp = log ($class)" "the call was not allowed (status $status)"
	fi
done

start_vm --kernel "$TESTGUEST" --cmdline action=spin --cpus 2 --seccomp off
wait_for 30 console_has "testguest: spinning"
violate vcpu
cp "$T/out" "$T/violation"
end_vm
if grep -qF '{"return": {}}' "$T/violation"; then
	expect "seccomp = off: a warning, and no filter at all" 0 "err:warning: seccomp = off"
else
	fail "seccomp = off" "the call was refused"
fi

# --- configuration and inspection.
sprig --seccomp strict
expect "seccomp: a bad value is refused" 1 "err:seccomp: expected one of kill|trap|log|off, not 'strict'"
printf 'seccomp = loud\n' >"$T/sc.conf"
sprig run "$T/sc.conf"
expect "seccomp: a bad value in a config file names file:line" 1 "err:sc.conf:1: seccomp"

timeout 60 "$SPRIG" seccomp show >"$T/out" 2>"$T/err"
status=$?
expect "sprig seccomp show lists each thread class's calls and argument rules" 0 \
	"out:vmm: " "out:vcpu: " "out:KVM_RUN" "out:arg1 & 0xffffffff == " "out:arg2 & 0x4 == 0"
# No filter may execute or create sockets, but for the I/O thread's unix
# sockets (virtio-vsock's connections to host ports); vCPU and I/O threads
# may not open files either, and the main thread only for snapshot-save
# (openat) and where this libc's runtime needs it (the ASan build's
# LeakSanitizer reads /proc/self).
bad=$(awk '/^[a-z]+: [0-9]+ system calls/ { class = $1 }
	/^  / && (($1 == "socket" && !(class == "io:" && $2 == "arg0" && $3 == "==" && $4 == "0x1")) ||
		$1 == "execve" || $1 == "execveat" ||
		(($1 == "open" || $1 == "openat") && (class != "vmm:" ||
			($0 !~ /\(this libc\)$/ && !($1 == "openat" && $0 ~ / snapshot-save: /))))) {
		print class $1 }' "$T/out")
if [ -z "$bad" ]; then
	pass "no filter allows execve, nor socket but AF_UNIX in the I/O thread; only the main thread opens files (snapshot-save)"
else
	fail "forbidden calls in the allow lists" "$bad"
fi
mkdir -p "$T/bpf"
timeout 60 "$SPRIG" seccomp show --bpf "$T/bpf" >"$T/out" 2>"$T/err"
status=$?
sizes_ok=1
for class in vmm vcpu io; do
	size=$(stat -c %s "$T/bpf/$class.bpf" 2>/dev/null || echo 0)
	{ [ "$size" -gt 0 ] && [ $((size % 8)) = 0 ]; } || sizes_ok=0
done
if [ "$sizes_ok" = 1 ]; then
	expect "sprig seccomp show --bpf writes each class's BPF program" 0 "out:vmm.bpf: " "out:vcpu.bpf: " \
		"out:io.bpf: "
else
	fail "sprig seccomp show --bpf" "vmm.bpf, vcpu.bpf or io.bpf missing or not whole BPF instructions"
fi
timeout 60 "$SPRIG" seccomp show --mode off >"$T/out" 2>"$T/err"
status=$?
expect "sprig seccomp show: bad usage exits 1" 1 "err:usage: sprig seccomp show"
