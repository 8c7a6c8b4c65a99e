#!/bin/sh
# Control socket and vCPU lifecycle tests: usage control.sh SPRIG GUEST_DIR
# [LABEL], like run.sh. QMP conversations go through socat (what a user
# has), the 1000-cycle pause/resume runs through qmp_drive (a C client),
# machine checks through the test-only x-sigbus command.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp_lib.sh"
MCE_GUEST=$GUESTS/mce.elf
sigbus() {
	qmp "$CAPS" "{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": $1, \"gpa\": $2, \"code\": \"$3\"}}"
}
# fatal_sigbus CPU GPA CODE: a SIGBUS that must end sprig; $status is its
# exit status and $T/events what a listening client saw.
fatal_sigbus() {
	listen_events
	sigbus "$1" "$2" "$3"
	until_gone
	wait_for 5 events_have SHUTDOWN
	kill "$listener" 2>/dev/null
}

if ! "$SOCAT" -V >/dev/null 2>&1; then
	echo "SKIP $LABEL: control socket tests: socat not found"
	exit 0
fi

# --- send-key: Ctrl-Alt-Del reaches the guest through the i8042 (IRQ 1)
start_vm --kernel "$TESTGUEST" --cmdline action=keyboard
wait_for 20 console_has "keyboard ready"
qmp "$CAPS" '{"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "ctrl"}, {"type": "qcode", "data": "alt"}, {"type": "qcode", "data": "delete"}]}}' \
	'{"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "a"}]}}'
until_gone
if [ "$status" = 1 ] && console_has "testguest: keys 1d 38 e0 53 e0 d3 b8 9d" &&
	grep -qF '"desc": "send-key: only ctrl-alt-delete is supported"' "$T/out"; then
	pass "send-key ctrl-alt-delete: the guest reads the set-1 scancodes by interrupt; other keys refused"
else
	fail "send-key ctrl-alt-delete" "status $status; guest: $(grep testguest "$T/console" | tr '\n' ' ')"
fi

# --- a whole conversation: every command, each error class, the VM lives on
start_vm --kernel "$TESTGUEST" --cmdline action=spin --cpus 2
qmp '{"execute": "query-status", "id": "early"}' "$CAPS" '{"execute": "query-status", "id": 1}' \
	'{"execute": "stop"}' '{"execute": "stop"}' '{"execute": "query-status", "id": 2}' \
	'{"execute": "cont"}' '{"execute": "cont"}' '{"execute": "query-cpus-fast"}' \
	'{"execute": "query-version"}' 'not json at all' '[1, 2]' '{"id": 3}' '{"execute": "frobnicate"}' \
	'{"execute": "stop", "arguments": {"force": true}}' '{"execute": "query-status", "id": 4}'
if ! grep -q '^{"QMP": {"version": {"qemu": {' "$T/out"; then
	fail "QMP greeting" "no greeting"
elif ! grep -qF '{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with '"'qmp_capabilities'"'"}, "id": "early"}' "$T/out"; then
	fail "commands before qmp_capabilities are refused" "no CommandNotFound reply"
else
	pass "QMP greeting, and commands before qmp_capabilities are refused"
fi
if grep -qF '{"return": {"status": "running", "singlestep": false, "running": true}, "id": 1}' "$T/out" &&
	grep -qF '{"return": {"status": "paused", "singlestep": false, "running": false}, "id": 2}' "$T/out" &&
	[ "$(count '"event": "STOP"')" = 1 ] && [ "$(count '"event": "RESUME"')" = 1 ]; then
	pass "stop and cont: query-status follows, one STOP and one RESUME event for two of each"
else
	fail "stop and cont" "replies or events wrong"
fi
threads=$(grep -o '{"thread-id": [0-9]*' "$T/out" | sed 's/.* //')
ok=1
[ "$(echo "$threads" | wc -w)" = 2 ] || ok=0
for tid in $threads; do [ -d "/proc/$pid/task/$tid" ] || ok=0; done
if [ $ok = 1 ] && grep -qF '"cpu-index": 1, "target": "x86_64"' "$T/out"; then
	pass "query-cpus-fast lists both vCPUs with their real thread ids"
else
	fail "query-cpus-fast" "thread ids '$threads' are not sprig's threads"
fi
if grep -qF '"package": "sprig ' "$T/out" && grep -qF '"desc": "JSON parse error, ' "$T/out" &&
	grep -qF '"QMP input must be a JSON object"' "$T/out" &&
	grep -qF '"QMP input lacks member '"'execute'"'"}, "id": 3}' "$T/out" &&
	grep -qF '"class": "CommandNotFound", "desc": "The command frobnicate has not been found"' "$T/out" &&
	grep -qF '"Parameter '"'force'"' is unexpected"' "$T/out" &&
	grep -qF '{"return": {"status": "running", "singlestep": false, "running": true}, "id": 4}' "$T/out"; then
	pass "query-version, and bad JSON, non-objects, unknown commands and arguments get QMP errors; the VM runs on"
else
	fail "QMP error replies" "a reply is missing"
fi
# Garbage that is not even UTF-8, a message over 64 KiB, then a command.
{ printf '%s\n' "$CAPS"; printf '\377\376{"\001": }\n{"execute": "stop", "id": "'
	head -c 70000 /dev/zero | tr '\0' 'a'; printf '"}\n'
	printf '%s\n' '{"execute": "query-status", "id": 5}'; } |
	timeout 20 "$SOCAT" -t 2 - "UNIX-CONNECT:$SOCK" >"$T/out" 2>&1
if grep -qF '"desc": "JSON parse error, message over 65536 bytes"}}' "$T/out" &&
	grep -qF '"status": "running", "singlestep": false, "running": true}, "id": 5}' "$T/out" && ! gone "$pid"; then
	pass "binary garbage and a 70000-byte message are refused, the session recovers"
else
	fail "hostile input" "no reply after the garbage"
fi
"$QMP_DRIVE" clients "$SOCK" 15 >"$T/out" 2>&1
if [ $? = 0 ] && ! gone "$pid"; then
	pass "15 clients at once, one hanging up mid-command"
else
	fail "many clients" "$(tail -n 1 "$T/out")"
fi
end_vm
: >"$T/err"
if [ "$status" = 0 ] && grep -qF '"event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}' "$T/out" &&
	[ ! -e "$SOCK" ]; then
	pass "quit: reply, SHUTDOWN event (host-qmp-quit), exit 0, socket removed"
else
	fail "quit" "exit status $status"
fi

# --- query-block: each disk as QEMU shows a raw image on virtio-blk
head -c 1048576 /dev/zero >"$T/q0.img"
head -c 4096 /dev/zero >"$T/q1.img"
start_vm --kernel "$TESTGUEST" --cmdline action=halt --block.path "$T/q0.img" --block.serial root \
	--block.rate 10M --block.ops 1000 --block.path "$T/q1.img" --block.read-only --rng
qmp "$CAPS" '{"execute": "query-block"}'
cp "$T/out" "$T/query-block"
qmp "$CAPS" '{"execute": "x-query-virtio"}' \
	'{"execute": "x-query-virtio-status", "arguments": {"path": "/machine/virtio-mmio@d0002000/virtio-backend"}}' \
	'{"execute": "x-query-virtio-status", "arguments": {"path": "/machine/virtio-mmio@d0009000/virtio-backend"}}'
cp "$T/out" "$T/query-virtio"
end_vm
cp "$T/query-virtio" "$T/out"
if grep -qF '{"return": [{"path": "/machine/virtio-mmio@d0001000/virtio-backend", "name": "virtio-rng"}, {"path": "/machine/virtio-mmio@d0002000/virtio-backend", "name": "virtio-blk"}, {"path": "/machine/virtio-mmio@d0003000/virtio-backend", "name": "virtio-blk"}]}' "$T/out" &&
	grep -qF '{"return": {"name": "virtio-blk", "device-id": 2,' "$T/out" &&
	grep -qF '"host-features": {"transports": ["VIRTIO_RING_F_INDIRECT_DESC", "VIRTIO_RING_F_EVENT_IDX", "VIRTIO_F_VERSION_1"], "dev-features": ["VIRTIO_BLK_F_SEG_MAX", "VIRTIO_BLK_F_BLK_SIZE", "VIRTIO_BLK_F_FLUSH", "VIRTIO_BLK_F_DISCARD", "VIRTIO_BLK_F_WRITE_ZEROES"]}' "$T/out" &&
	grep -qF '"num-vqs": 1, "status": {"statuses": []}' "$T/out" && grep -qF '"broken": false' "$T/out" &&
	grep -qF '"desc": "No such virtio device"' "$T/out"; then
	pass "x-query-virtio lists rng and both disks in window order; x-query-virtio-status shows a disk's features and status"
else
	fail "x-query-virtio" "$(grep -o '"return": .*' "$T/out" | head -c 900)"
fi
cp "$T/query-block" "$T/out"
if grep -qF "{\"device\": \"virtio0\", \"qdev\": \"/machine/virtio-mmio/virtio0\", \"locked\": false, \"removable\": false, \"type\": \"unknown\", \"serial\": \"root\", \"inserted\": {\"file\": \"$T/q0.img\", \"ro\": false" "$T/out" &&
	grep -qF "\"virtual-size\": 1048576}" "$T/out" &&
	grep -qF "\"device\": \"virtio1\"" "$T/out" && grep -qF "\"file\": \"$T/q1.img\", \"ro\": true" "$T/out" &&
	grep -qF "\"virtual-size\": 4096}" "$T/out" &&
	grep -qF "\"bps\": 10485760, \"bps_rd\": 0, \"bps_wr\": 0, \"iops\": 1000," "$T/out" &&
	grep -qF "\"bps\": 0, \"bps_rd\": 0, \"bps_wr\": 0, \"iops\": 0," "$T/out"; then
	pass "query-block lists both disks: file, read-only, size, serial, rate limits"
else
	fail "query-block" "$(grep -F query-block -A2 "$T/out" | head -c 600; grep -o '"return": \[.*' "$T/out" | head -c 600)"
fi
rm -f "$T/q0.img" "$T/q1.img"

# --- signals: a client sees SHUTDOWN host-signal, sprig exits 0
for sig in TERM INT; do
	start_vm --kernel "$TESTGUEST" --cmdline action=halt
	{ printf '%s\n' "$CAPS"; sleep 30; } | timeout 40 "$SOCAT" - "UNIX-CONNECT:$SOCK" >"$T/out" 2>&1 &
	client=$!
	wait_for 10 grep -q return "$T/out"
	socket_then=$(ls -li "$SOCK" 2>&1)
	kill -$sig "$pid"
	until_gone
	wait_for 5 grep -q SHUTDOWN "$T/out"
	kill "$client" 2>/dev/null
	if [ "$status" = 0 ] && grep -qF '"event": "SHUTDOWN", "data": {"guest": false, "reason": "host-signal"}' "$T/out"; then
		pass "SIG$sig: SHUTDOWN event (host-signal) to a connected client, exit 0"
	else
		fail "SIG$sig with a client" "exit status $status; before the signal: $socket_then"
	fi
done

# --- a guest that ends itself: SHUTDOWN with guest true
start_vm --kernel "$TESTGUEST" --cmdline action=halt --cpus 2
qmp "$CAPS" '{"execute": "stop"}'
{ printf '%s\n' "$CAPS"; sleep 30; } | timeout 40 "$SOCAT" - "UNIX-CONNECT:$SOCK" >"$T/events" 2>&1 &
client=$!
wait_for 10 grep -q return "$T/events"
kill -TERM "$pid"
until_gone
kill "$client" 2>/dev/null
if [ "$status" = 0 ]; then
	pass "a paused VM stops cleanly on SIGTERM"
else
	fail "SIGTERM while paused" "exit status $status"
fi

# --- guest reset in place: on-reboot = restart, and QMP system_reset
sprig --kernel "$TESTGUEST" --cmdline "action=boots until=3" --on-reboot restart --cpus 2
expect "on-reboot = restart: two resets in place keep RAM, the third boot exits" 7 \
	"out:testguest: boot 1" "out:testguest: boot 2" "out:testguest: boot 3"
sprig --kernel "$TESTGUEST" --cmdline "action=boots until=3"
if has_out "testguest: boot 2"; then
	fail "on-reboot = exit (default)" "the guest booted twice"
else
	expect "on-reboot = exit (default): the first reset ends sprig with 0" 0 "out:testguest: boot 1"
fi
# hello brings its APs up, then resets: each boot must find them again.
start_vm --kernel "$HELLO" --cpus 4 --on-reboot restart
hello_boots() { [ "$(grep -c "cpus: 4 of 4 up" "$T/console")" -ge 3 ]; }
if wait_for 60 hello_boots; then
	pass "on-reboot = restart: every AP comes up again after each reset (hello, 4 vCPUs, 3 boots)"
else
	cp "$T/console" "$T/out"
	fail "APs after a reset in place" "$(grep -c "cpus: 4 of 4 up" "$T/console") good boots"
fi
end_vm
start_vm --kernel "$TESTGUEST" --cmdline "action=boots then=spin" --cpus 2 --cpu host,-mce
wait_for 30 console_has "testguest: boot 1"
listen_events
qmp "$CAPS" '{"execute": "system_reset"}'
# Generous: the ASan build on a loaded host (CI builds the guest kernels
# alongside) once took over 20 s here; a hang fails all the same.
wait_for 60 console_has "testguest: boot 2"
rc=$?
wait_for 10 events_have '"event": "RESET"'
if [ $rc = 0 ] && events_have '"event": "RESET", "data": {"guest": false, "reason": "host-qmp-system-reset"}'; then
	pass "system_reset: the guest boots again in place, RESET event"
else
	fail "system_reset" "second boot $([ $rc = 0 ] && echo seen || echo "not seen in 60 s"); the listener saw: $(tr '\n' ' ' <"$T/events" | head -c 400); console: $(tail -n 3 "$T/console" | tr '\n' ' ')"
fi
# A poisoned page is replaced on reset: the boot counter's page comes back
# fresh, so the count starts again.
sigbus 0 $((0x800000)) AO
wait_for 10 events_have '"action": "ignore"'
qmp "$CAPS" '{"execute": "system_reset"}'
third() { [ "$(grep -c "testguest: boot" "$T/console")" -ge 3 ]; }
wait_for 20 third
if [ "$(grep "testguest: boot" "$T/console" | sed -n 3p)" = "testguest: boot 1" ]; then
	pass "a poisoned guest page is replaced by a fresh one on reset"
else
	cp "$T/console" "$T/out"
	fail "poisoned page on reset" "third boot: $(grep "testguest: boot" "$T/console" | sed -n 3p)"
fi
kill "$listener" 2>/dev/null
end_vm

# --- bad control socket paths
printf 'x' >"$T/file"
sprig --kernel "$HELLO" --control "$T/file"
expect "a control path that is a regular file is refused, untouched" 1 "err:is not a socket"
long=$T/$(printf '%0200d' 0)
sprig --kernel "$HELLO" --control "$long"
expect "a control path too long for a unix socket is refused" 1 "err:path too long"

# --- a second VM on the same path takes the socket over; the first one's
# exit must not remove the second's (it would be unreachable)
start_vm --kernel "$TESTGUEST" --cmdline action=halt
first=$pid
start_vm --kernel "$TESTGUEST" --cmdline action=halt
kill -TERM "$first"
wait "$first"
qmp "$CAPS" '{"execute": "query-status"}'
if [ -S "$SOCK" ] && grep -qF '"status": "running"' "$T/out"; then
	pass "a VM that gave its control path to a newer one leaves the newer one's socket at exit"
else
	fail "control path taken over" "socket $([ -S "$SOCK" ] && echo there || echo gone)"
fi
end_vm

# --- 1000 pause/resume cycles: spinning and halted guests, 1, 2 and 8 vCPUs
for cpus in 1 2 8; do
	for action in count halt; do
		start_vm --kernel "$TESTGUEST" --cmdline "action=$action every=20" --cpus $cpus
		console=-
		[ $action = count ] && console=$T/console
		wait_for 30 console_has "testguest: cpus $cpus" || echo "note: the guest did not report its CPUs"
		"$QMP_DRIVE" cycles "$SOCK" 1000 "$pid" "$console" >"$T/drive" 2>&1
		rc=$?
		end_vm
		name="1000 stop/cont cycles, $cpus vCPUs, $action guest"
		if [ $rc = 0 ] && [ "$status" = 0 ]; then
			pass "$name ($(sed -n 's/.*: stop round trip/stop round trip/p' "$T/drive"))"
		else
			cp "$T/drive" "$T/out"
			fail "$name" "qmp_drive $rc, sprig $status"
		fi
	done
done

# --- machine checks through a real SIGBUS (x-sigbus), guest RAM and not
# The model's vendor is the host's: the bank encoding follows it (the
# other vendor's values are unit-tested in test_mce).
case $(grep -m 1 vendor_id /proc/cpuinfo) in
*AMD* | *Hygon*) ar_status=0xbc00080000000000 ao_status=0x9c00180000000000 ;;
*) ar_status=0xbd80000000000134 ao_status=0xbd000000000000c0 ;;
esac
mf_guest='"event": "MEMORY_FAILURE", "data": {"recipient": "guest", "action": "inject", "flags": {"action-required":'

if [ ! -f "$MCE_GUEST" ]; then
	echo "SKIP $LABEL: machine check tests: $MCE_GUEST not built"
	exit 0
fi
start_vm --kernel "$MCE_GUEST" --cpus 2
wait_for 30 console_has "mce: ready cpus 2"
listen_events
sigbus 1 $((0x234567)) AR
wait_for 20 console_has "mce: handled apic 1 count 1"
wait_for 10 events_have "$mf_guest true"
if console_has "mce: #MC apic 1 mcg_status 0x7" &&
	console_has "mce: apic 1 bank 9 status $ar_status addr 0x234000 misc 0x8c" &&
	events_have "$mf_guest true, \"recursive\": false}}"; then
	pass "AR SIGBUS on vCPU 1 in guest RAM: #MC in the guest with bank 9 = the page, MEMORY_FAILURE inject"
else
	cp "$T/console" "$T/out"
	fail "AR SIGBUS into guest RAM" "guest or event output wrong"
fi
sigbus 1 $((0x5000)) AO
case $ao_status in
0x9c*) wait_for 20 console_has "mce: polled apic 0 bank 9 status $ao_status addr 0x5000 misc 0x8c" ;;
*) wait_for 20 console_has "mce: apic 0 bank 9 status $ao_status addr 0x5000 misc 0x8c" ;;
esac
rc=$?
wait_for 10 events_have "$mf_guest false"
if [ $rc = 0 ] && events_have "$mf_guest false, \"recursive\": false}}"; then
	pass "AO SIGBUS (sent to vCPU 1's thread) reaches vCPU 0 as an action-optional error, MEMORY_FAILURE inject"
else
	cp "$T/console" "$T/out"
	fail "AO SIGBUS into guest RAM" "vCPU 0 did not see it"
fi
# A real hardware-poisoned page, where the host kernel can poison one. The
# kernel reports a poisoned page it found (not one a load hit) as
# action-optional to the early-kill thread: it goes to vCPU 0, as above.
qmp "$CAPS" "{\"execute\": \"x-hwpoison\", \"arguments\": {\"cpu-index\": 0, \"gpa\": $((0x300000))}}"
if grep -q '"error"' "$T/out"; then
	echo "SKIP $LABEL: MADV_HWPOISON: $(sed -n 's/.*"desc": "\([^"]*\)".*/\1/p' "$T/out" | tail -n 1)"
elif wait_for 20 console_has "apic 0 bank 9 status $ao_status addr 0x300000 misc 0x8c"; then
	pass "MADV_HWPOISON on a guest page: the kernel's own SIGBUS (AO) reaches vCPU 0"
else
	cp "$T/console" "$T/out"
	fail "MADV_HWPOISON on a guest page" "no #MC in the guest"
fi
qmp "$CAPS" '{"execute": "query-status"}'
if grep -qF '"status": "running"' "$T/out"; then
	pass "the guest runs on after handling machine checks"
else
	fail "after machine checks" "not running"
fi
kill "$listener" 2>/dev/null
end_vm

# Poison in sprig's own memory: an explained line and status 8, no hang.
start_vm --kernel "$MCE_GUEST"
wait_for 30 console_has "mce: ready cpus 1"
fatal_sigbus 0 $((0xf0000000)) AR
expect "AR SIGBUS outside guest RAM: explained exit 8" 8 "err:outside guest RAM"
start_vm --kernel "$MCE_GUEST"
wait_for 30 console_has "mce: ready cpus 1"
fatal_sigbus 0 $((0xf0000000)) AO
if events_have '"event": "MEMORY_FAILURE", "data": {"recipient": "hypervisor", "action": "fatal"'; then
	expect "AO SIGBUS outside guest RAM: MEMORY_FAILURE fatal, explained exit 8" 8 "err:outside guest RAM"
else
	fail "AO SIGBUS outside guest RAM" "no MEMORY_FAILURE hypervisor fatal event (status $status)"
fi

# A guest that never enabled machine checks: the CPU shuts down, as real
# hardware does; the event says reset.
start_vm --kernel "$MCE_GUEST" --cmdline cr4mce=off
wait_for 30 console_has "mce: ready cpus 1"
fatal_sigbus 0 $((0x10000)) AR
if events_have '"recipient": "guest", "action": "reset", "flags": {"action-required": true'; then
	expect "AR with CR4.MCE clear: triple fault (exit 4), MEMORY_FAILURE reset" 4 "err:CR4.MCE clear" \
		"err:triple fault"
else
	fail "AR with CR4.MCE clear" "no MEMORY_FAILURE reset event (status $status)"
fi

# A CPU model without machine checks: AR cannot be handed over (exit 8),
# AO is ignored and the guest runs on.
start_vm --kernel "$MCE_GUEST" --cpu host,-mce
wait_for 30 console_has "mce: ready cpus 1"
listen_events
sigbus 0 $((0x10000)) AO
wait_for 10 events_have '"action": "ignore"'
qmp "$CAPS" '{"execute": "query-status"}'
if ! grep -qF '"status": "running"' "$T/out" ||
	! events_have '"recipient": "hypervisor", "action": "ignore", "flags": {"action-required": false'; then
	fail "AO without mce" "not ignored"
elif console_has "mce: no machine check support"; then
	pass "a model without mce: AO is ignored (MEMORY_FAILURE ignore), the guest runs on"
elif console_has "mce: cpuid mce=1"; then
	# Some hosts' KVM answers leaf 1 from the host CPU (docs/host-notes.md).
	pass "a model without mce: AO is ignored (MEMORY_FAILURE ignore), the VM runs on"
	echo "SKIP $LABEL: a model without mce: the guest sees none: this host's KVM reports the host's mce bit in CPUID whatever sprig sets"
else
	fail "AO without mce" "the guest neither ran on without machine checks nor saw the host's"
fi
kill "$listener" 2>/dev/null
fatal_sigbus 0 $((0x10000)) AR
if events_have '"recipient": "hypervisor", "action": "fatal", "flags": {"action-required": true'; then
	expect "a model without mce: AR stops the VM with an explained exit 8, MEMORY_FAILURE fatal" 8 \
		"err:has no machine checks (mce, mca)"
else
	fail "AR without mce" "no MEMORY_FAILURE hypervisor fatal event (status $status)"
fi
