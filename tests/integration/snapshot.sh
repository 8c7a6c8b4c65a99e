#!/bin/sh
# Snapshots (docs/snapshot.md): a counting guest saved mid-count with 1, 2
# and 8 vCPUs and restored, twice, and as clones at once; a byte waiting in
# COM1's FIFO; two clones of an rng guest that must diverge; a paused
# restore; RAM on a file and on a memfd; every damaged snapshot refused
# with one line and exit 1. usage: snapshot.sh SPRIG GUEST_DIR [LABEL]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp_lib.sh"
EDIT=$HERE/snapshot_edit
VIRTIO_GUEST=$GUESTS/virtio.elf

# The count in the last (or first) "testguest: count N, ..." line of FILE.
last_count() { sed -n 's/^testguest: count \([0-9]*\),.*/\1/p' "$1" | tail -n 1; }
first_count() { sed -n 's/^testguest: count \([0-9]*\),.*/\1/p' "$1" | head -n 1; }
count_lines() { grep -c "^testguest: count " "$1" 2>/dev/null; }
has_lines() { [ "$(count_lines "$1")" -ge "$2" ]; }

# save NAME DIR ARGS...: boot the count guest with ARGS, let it count, save
# it through `sprig snapshot --quit`; $saved is its last count before.
save() {
	name=$1 dir=$2
	shift 2
	start_vm --kernel "$TESTGUEST" "$@"
	wait_for 60 has_lines "$T/console" 3
	"$SPRIG" snapshot --control "$SOCK" "$dir" --quit >"$T/snap.out" 2>"$T/snap.err"
	snap_status=$?
	until_gone
	saved=$(last_count "$T/console")
	if [ "$snap_status" != 0 ] || [ "$status" != 0 ] || [ ! -s "$dir/state" ]; then
		fail "$name: sprig snapshot" "snapshot $snap_status, sprig $status: $(cat "$T/snap.err" "$T/err")"
		return 1
	fi
}

# restore OUT ARGS...: sprig restore in the background, output in OUT; $pid.
restore() {
	out=$1
	shift
	"$SPRIG" restore "$@" >"$out" 2>"$out.err" </dev/null &
	pid=$!
}

# stop_restored: SIGTERM (sprig exits 0), $status.
stop_restored() {
	kill -TERM "$pid" 2>/dev/null
	until_gone
}

# --- mid-count, 1, 2 and 8 vCPUs: the count goes on from where it was, and
# every AP counts again.
for cpus in 1 2 8; do
	save "$cpus vCPUs" "$T/snap$cpus" --cmdline "action=count every=20" --cpus $cpus || continue
	eval "saved_$cpus=\$saved"
	restore "$T/r1" "$T/snap$cpus"
	wait_for 60 has_lines "$T/r1" 3
	stop_restored
	first=$(first_count "$T/r1")
	aps=$((cpus - 1))
	if [ "$status" = 0 ] && [ -n "$first" ] && [ -n "$saved" ] && [ "$first" -gt "$saved" ] &&
		grep -q "APs counting" "$T/r1" && sed -n '2,$p' "$T/r1" | grep -q ", $aps of $aps APs counting"; then
		pass "restore, $cpus vCPUs: the count goes on from $saved (first line $first), all $aps APs count"
	else
		fail "restore, $cpus vCPUs" "status $status, count $saved before, '$first' after: $(head -n 3 "$T/r1" | tr '\n' '|') $(cat "$T/r1.err")"
	fi
done

# --- the same snapshot again: the same start, not where the first clone ended.
if [ -s "$T/snap2/state" ]; then
	restore "$T/r2" "$T/snap2"
	wait_for 60 has_lines "$T/r2" 2
	stop_restored
	again=$(first_count "$T/r2")
	if [ "$status" = 0 ] && [ -n "$again" ] && [ "$again" -gt "$saved_2" ] && grep -q "1 of 1 APs counting" "$T/r2"; then
		pass "one snapshot restored a second time counts on from the same place ($saved_2, first line $again)"
	else
		fail "the same snapshot restored again" "status $status: $(head -n 3 "$T/r2" | tr '\n' '|') $(cat "$T/r2.err")"
	fi

	# --- clones at once, each with its own control socket.
	for i in 1 2 3; do
		"$SPRIG" restore "$T/snap2" --control "$T/clone$i.sock" >"$T/clone$i" 2>"$T/clone$i.err" </dev/null &
		eval "clone$i=\$!"
	done
	ok=0
	for i in 1 2 3; do
		wait_for 60 has_lines "$T/clone$i" 2 && SOCK=$T/clone$i.sock qmp "$CAPS" '{"execute": "query-status"}' &&
			grep -q '"status": "running"' "$T/out" && ok=$((ok + 1))
	done
	for i in 1 2 3; do
		eval "pid=\$clone$i"
		stop_restored
	done
	if [ $ok = 3 ]; then
		pass "three clones of one snapshot at once: each counts and answers on its own control socket"
	else
		fail "three clones at once" "$ok of 3 ran: $(cat "$T/clone1.err" "$T/clone2.err" "$T/clone3.err")"
	fi

	# --- restored paused: nothing runs until cont.
	restore "$T/r3" "$T/snap2" --paused --control "$T/p.sock"
	wait_for 30 test -S "$T/p.sock"
	sleep 1
	SOCK=$T/p.sock qmp "$CAPS" '{"execute": "query-status"}'
	paused_status=$(grep -o '"status": "[a-z]*"' "$T/out")
	lines=$(count_lines "$T/r3")
	SOCK=$T/p.sock qmp "$CAPS" '{"execute": "cont"}'
	wait_for 60 has_lines "$T/r3" 2
	stop_restored
	if [ "$paused_status" = '"status": "paused"' ] && [ "$lines" = 0 ] && has_lines "$T/r3" 2; then
		pass "restore --paused: paused, no count until cont, then counting"
	else
		fail "restore --paused" "$paused_status, $lines lines while paused; $(head -n 2 "$T/r3" | tr '\n' '|') $(cat "$T/r3.err")"
	fi
fi

# --- a byte waiting in COM1's receive FIFO when the snapshot is taken is
# read by the restored guest (the UART's state came along).
rm -f "$T/keys" && mkfifo "$T/keys"
rm -f "$SOCK"
{ wait_for 60 grep -q "latch waiting" "$T/console"; printf 'xyz'; sleep 30; } >"$T/keys" &
feeder=$!
"$SPRIG" --control "$SOCK" --kernel "$TESTGUEST" --cmdline "action=latch wait=34" >"$T/console" 2>"$T/err" <"$T/keys" &
pid=$!
wait_for 60 grep -q "latch waiting" "$T/console"
sleep 1
"$SPRIG" snapshot --control "$SOCK" "$T/snap-uart" --quit >"$T/snap.err" 2>&1
until_gone
kill "$feeder" 2>/dev/null
LIMIT=90 sprig restore "$T/snap-uart"
expect "a byte in COM1's receive FIFO at the snapshot is read by the restored guest" 1 \
	"out:testguest: latched 3 bytes: 'xyz'"

# --- two clones of an rng guest taken while it waits draw different bytes.
rm -f "$SOCK"
start_vm --kernel "$VIRTIO_GUEST" --rng --cmdline action=rng-later
wait_for 60 console_has "virtio: rng ready, waiting"
"$SPRIG" snapshot --control "$SOCK" "$T/snap-rng" --quit >"$T/snap.err" 2>&1
until_gone
LIMIT=90 sprig restore "$T/snap-rng"
cp "$T/out" "$T/rng1"
status1=$status
LIMIT=90 sprig restore "$T/snap-rng"
one=$(grep "virtio: drew" "$T/rng1") two=$(grep "virtio: drew" "$T/out")
if [ "$status1" = 1 ] && [ "$status" = 1 ] && [ -n "$one" ] && [ -n "$two" ] && [ "$one" != "$two" ] &&
	grep -q "rng-later ok" "$T/out" && ! console_has "virtio: drew"; then
	pass "two clones of one snapshot draw different random bytes from virtio-rng (the host re-seeds them)"
else
	fail "clones diverge" "status $status1/$status: '$one' / '$two'"
fi

# --- RAM on a file: the snapshot writes only its state; the restore maps
# that file copy-on-write and leaves it as it was.
save "mem-backend = file" "$T/snap-file" --cmdline "action=count every=20" --mem-backend file \
	--mem-path "$T/ram" && {
	before=$(cksum <"$T/ram")
	restore "$T/r4" "$T/snap-file"
	wait_for 60 has_lines "$T/r4" 2
	stop_restored
	first=$(first_count "$T/r4")
	if [ ! -e "$T/snap-file/memory" ] && [ "$status" = 0 ] && [ -n "$first" ] && [ "$first" -gt "$saved" ] &&
		[ "$(cksum <"$T/ram")" = "$before" ]; then
		pass "mem-backend = file: the snapshot is state only; the restore counts on and leaves the file as it was"
	else
		fail "mem-backend = file" "status $status, memory file $(ls "$T/snap-file"), count $saved -> '$first'"
	fi
}
save "mem-backend = memfd" "$T/snap-memfd" --cmdline "action=count every=20" --mem-backend memfd && {
	restore "$T/r5" "$T/snap-memfd" --copy-memory
	wait_for 60 has_lines "$T/r5" 2
	stop_restored
	first=$(first_count "$T/r5")
	if [ -s "$T/snap-memfd/memory" ] && [ "$status" = 0 ] && [ -n "$first" ] && [ "$first" -gt "$saved" ]; then
		pass "mem-backend = memfd: saved with a memory file; restored with --copy-memory, the count goes on"
	else
		fail "mem-backend = memfd" "status $status, count $saved -> '$first': $(cat "$T/r5.err")"
	fi
}

# --- snapshot-save needs a paused VM.
start_vm --kernel "$TESTGUEST" --cmdline "action=count every=20"
qmp "$CAPS" "{\"execute\": \"snapshot-save\", \"arguments\": {\"path\": \"$T/snap-running\"}}"
cp "$T/out" "$T/running"
end_vm
if grep -q "snapshot-save: the VM must be paused first (stop)" "$T/running" && [ ! -e "$T/snap-running" ]; then
	pass "snapshot-save on a running VM is refused, nothing written"
else
	fail "snapshot-save on a running VM" "$(cat "$T/running")"
fi

# --- what restore refuses: one line, exit 1, nothing run.
refused() {  # NAME EXPECTED-TEXT RESTORE-ARGS...
	name=$1 text=$2
	shift 2
	sprig restore "$@"
	if [ "$status" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && has_err "$text" && [ ! -s "$T/out" ]; then
		pass "restore refuses $name: '$(cat "$T/err")'"
	else
		fail "restore refuses $name" "status $status, stderr: $(cat "$T/err"), stdout: $(head -c 200 "$T/out")"
	fi
}
damaged_copy() { rm -rf "$T/bad" && cp -r "$T/snap2" "$T/bad"; }
if [ -s "$T/snap2/state" ] && [ -x "$EDIT" ]; then
	damaged_copy && "$EDIT" "$T/bad/state" version 2
	refused "another major version" "state file version 2.0, this sprig reads 1.0" "$T/bad"
	damaged_copy && "$EDIT" "$T/bad/state" flip 4000
	refused "a damaged state file" "damaged state file: checksum mismatch" "$T/bad"
	damaged_copy && head -c 1000 "$T/snap2/state" >"$T/bad/state"
	refused "a truncated state file" "damaged state file: truncated" "$T/bad"
	damaged_copy && : >"$T/bad/state"
	refused "an empty state file" "not a sprig snapshot" "$T/bad"
	damaged_copy && "$EDIT" "$T/bad/state" drop-section 17
	refused "a state file without a vCPU's registers" "missing or malformed state for vCPU 0" "$T/bad"
	damaged_copy && "$EDIT" "$T/bad/state" all-features
	refused "a CPU model this host's KVM cannot give" "which this host's KVM does not offer" "$T/bad"
	damaged_copy && truncate -s -4096 "$T/bad/memory"
	refused "a memory file of the wrong size" "the snapshot's memory is" "$T/bad"
	damaged_copy && rm "$T/bad/memory"
	refused "a missing memory file" "memory: No such file or directory" "$T/bad"
	refused "a folder without a snapshot" "state: No such file or directory" "$T"
	refused "a change to the machine (--mem)" "only --control, --paused, --timings" "$T/snap2" --mem 256M
	refused "a disk the snapshot does not have" "1 --block.path given, the snapshot has 0 disks" "$T/snap2" \
		--block.path "$T/ram"
	refused "a restore without a folder" "usage: sprig restore DIR" --paused
else
	echo "SKIP $LABEL: damaged snapshots: no snapshot of 2 vCPUs to damage, or snapshot_edit not built"
fi
