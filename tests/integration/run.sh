#!/bin/sh
# Integration tests: boot real guests with a real sprig binary on a real
# KVM. POSIX sh on purpose: it also runs inside the nested test VM, which
# has only busybox. Prints "PASS name", "FAIL name: why" or "SKIP name: why"
# per test; tests/run counts them.
#
# usage: run.sh SPRIG GUEST_DIR [LABEL]
. "$(dirname "$0")/lib.sh"

mib() { echo $(($1 / 1048576)); }

# --- the built-in guest and hello.elf across vCPU counts and memory sizes
sprig
expect "built-in hello guest" 0 "out:sprig hello guest" "out:cpus: 1 of 1 up" "out:memory: 128 MiB" "out:bye"

for cpus in 1 2 8; do
	for mem in 16M 256M 2G; do
		case $mem in *M) mb=${mem%M} ;; *G) mb=$((${mem%G} * 1024)) ;; esac
		sprig --kernel "$HELLO" --cpus "$cpus" --mem "$mem"
		expect "hello cpus=$cpus mem=$mem" 0 "out:cpus: $cpus of $cpus up" "out:memory: $mb MiB" \
			"out:vendor: " "out:hypervisor: KVMKVMKVM" "out:signature: family" "out:bye"
	done
done

sprig --kernel "$HELLO64" --cpus 2 --mem 64M
expect "plain ELF64 guest (long-mode entry)" 0 "out:sprig hello guest" "out:cpus: 2 of 2 up" \
	"out:memory: 64 MiB"

sprig --kernel "$HELLO" --cmdline "quiet answer=42 path=/a#b"
expect "command line reaches the guest" 0 "out:cmdline: quiet answer=42 path=/a#b"

# --- the same hello as a Linux bzImage: the 64-bit boot protocol
HELLO_BZ=$GUESTS/hello.bzimage
# same_as_pvh WHAT KERNEL CMDLINE: hello as KERNEL, going by boot_params,
# sees the memory map, command line and vCPUs that PVH's hvm_start_info gives.
same_as_pvh() {
	sprig --kernel "$HELLO" --cpus 2 --mem 5G --cmdline "$3"
	grep -E '^(memory|memmap|cmdline|cpus):' "$T/out" >"$T/pvh.view"
	sprig --kernel "$2" --cpus 2 --mem 5G --cmdline "$3"
	grep -E '^(memory|memmap|cmdline|cpus):' "$T/out" >"$T/linux.view"
	if [ "$status" = 0 ] && has_out "boot: linux boot_params (64-bit boot protocol)" &&
		[ -s "$T/linux.view" ] && cmp -s "$T/pvh.view" "$T/linux.view"; then
		pass "$1 ($(wc -l <"$T/linux.view") lines)"
	else
		diff "$T/pvh.view" "$T/linux.view" >"$T/err" 2>&1
		fail "$1" "exit status $status, or a view unlike PVH's"
	fi
}
same_as_pvh "bzImage: boot_params give the guest the e820 map, command line and vCPUs PVH gives" \
	"$HELLO_BZ" "console=ttyS0 x=1"
# A plain ELF64 also gets %rsi = boot_params, which a Linux vmlinux reads.
same_as_pvh "plain ELF64: the boot_params in %rsi say what hvm_start_info says" \
	"$HELLO64" "console=ttyS0 x=1 boot=linux"
# The initrd, byte for byte, through each boot protocol.
head -c 6000 "$HELLO" >"$T/small.initrd"
# The nested VM's busybox has no cksum: the stage brings coreutils'.
CKSUM=$(command -v cksum || echo "$(dirname "$0")/cksum")
initrd_sum=$("$CKSUM" <"$T/small.initrd" | cut -d' ' -f1)
[ -n "$initrd_sum" ] || fail "initrd reaches the guest intact" "no cksum program to check it with"
for guest in "$HELLO" "$HELLO64" "$HELLO_BZ"; do
	sprig --kernel "$guest" --initrd "$T/small.initrd" --mem 64M
	expect "initrd reaches the guest intact: $(basename "$guest")" 0 "out:initrd: 6000 bytes at 0x" \
		"out:, cksum ${initrd_sum:-(none)}"
done
sprig --kernel "$HELLO_BZ"
expect "bzImage without an initrd says none" 0 "out:initrd: none" "out:cmdline: (none)"
# A reset in place loads the bzImage and its zero page again.
sprig --kernel "$GUESTS/testguest.bzimage" --cmdline "action=boots until=3" --on-reboot restart --cpus 2
expect "bzImage: on-reboot = restart boots it again, RAM kept, the third boot exits" 7 \
	"out:testguest: boot 1" "out:testguest: boot 2" "out:testguest: boot 3"
sprig --kernel "$GUESTS/testguest.bzimage" --cmdline "action=triplefault"
expect "bzImage: a triple fault ends with status 4 and a register dump" 4 "err:triple fault" "err:rip "

# Damaged bzImages: one clear line each, exit 1.
bad_bz() {  # bad_bz OFFSET OCTAL-BYTES: a copy of hello.bzimage with bytes patched
	cp "$HELLO_BZ" "$T/bad.bzimage"
	printf "$2" | dd of="$T/bad.bzimage" bs=1 seek=$(($1)) conv=notrunc 2>/dev/null
}
head -c 2000 "$HELLO_BZ" >"$T/bad.bzimage"
sprig --kernel "$T/bad.bzimage"
expect "bzImage: truncated" 1 "err:bad.bzimage: truncated: the setup header says"
bad_bz 0x206 '\013\002'
sprig --kernel "$T/bad.bzimage"
expect "bzImage: boot protocol 2.11 refused" 1 "err:Linux boot protocol 2.11 is too old"
bad_bz 0x236 '\000\000'
sprig --kernel "$T/bad.bzimage"
expect "bzImage: no 64-bit entry refused" 1 "err:no 64-bit entry point (XLF_KERNEL_64)"
bad_bz 0x260 '\360\377\377\377'
sprig --kernel "$T/bad.bzimage"
expect "bzImage: init_size beyond guest RAM refused" 1 "err:the kernel needs RAM up to"
bad_bz 0x1fe '\125\125'
sprig --kernel "$T/bad.bzimage"
expect "bzImage: no boot flag is not a kernel" 1 "err:bad.bzimage: not an ELF or bzImage"
long=$(head -c 2100 /dev/zero | tr '\000' 'x')
sprig --kernel "$HELLO_BZ" --cmdline "$long"
expect "bzImage: a command line beyond cmdline_size refused" 1 \
	"err:command line of 2100 bytes; this kernel takes at most 2047"

# --- the config file and flags that override it
mkdir -p "$T/conf"
cp "$HELLO" "$T/conf/guest.elf"
cat >"$T/conf/vm.conf" <<CONF
# a VM; relative paths are relative to this file
kernel = guest.elf
mem = 32M   # comment after a value
cpus = 2
cmdline = "from the file # not a comment"
CONF
sprig run "$T/conf/vm.conf"
expect "config file" 0 "out:memory: 32 MiB" "out:cpus: 2 of 2 up" "out:cmdline: from the file # not a comment"
sprig run "$T/conf/vm.conf" --cpus 1 --mem=48M
expect "flags override the config file" 0 "out:memory: 48 MiB" "out:cpus: 1 of 1 up"

# --- test guest behaviours
for n in 0 1 21 127; do
	sprig --kernel "$TESTGUEST" --cmdline "action=exit:$n"
	expect "isa-debug-exit $n exits with ($n<<1)|1" $((((n << 1) | 1) & 255)) "out:testguest: exit $n"
done

for how in ud2 gp; do
	sprig --kernel "$TESTGUEST" --cmdline "action=triplefault:$how"
	expect "triple fault ($how with no IDT) ends with status 4 and a register dump" 4 \
		"out:testguest: triple fault" "out:testguest: last words" "err:triple fault" "err:rip " "err:cr0 "
done
# int3 is one of the instructions an emulating host may refuse
# (docs/host-notes.md): then KVM reports an emulation failure, exit 6.
sprig --kernel "$TESTGUEST" --cmdline "action=triplefault:int3"
if [ "$status" = 6 ] && has_err "emulation failure"; then
	echo "SKIP $LABEL: triple fault through int3: this host's KVM cannot emulate int3 (emulation failure, exit 6)"
else
	expect "triple fault (int3 with no IDT) ends with status 4" 4 "err:triple fault" "err:rip "
fi

sprig --kernel "$TESTGUEST" --cmdline action=reset
expect "i8042 reset exits 0" 0 "out:testguest: reset"

sprig --kernel "$TESTGUEST" --cmdline action=marker --timings
expect "boot marker on port 0x3f0 with --timings" 0 "out:testguest: marker" "err:boot marker" \
	"err:first KVM_RUN" "err:boot data" "err:vCPU threads"
if grep -q "boot marker .*not reached" "$T/err"; then fail "port boot marker recorded" "no time"; else pass "port boot marker recorded"; fi

# guest/null.S: isa-debug-exit at its first instruction, (0 << 1) | 1.
# Every start-up phase is timed, in order, and the first KVM_RUN's clock
# reading is there for bench/vmm-time. The kernel's copy (a thread of its
# own while the VM is made) and the vCPU thread's first KVM_RUN may fall
# anywhere among the main thread's steps: they are checked apart.
sprig --kernel "$GUESTS/null.elf" --timings
expect "null guest exits 1 through isa-debug-exit at once" 1 "err:first KVM_RUN at CLOCK_MONOTONIC "
phases=$(sed -n 's/^  \([A-Za-z][A-Za-z0-9 _]*[A-Za-z0-9]\)  *[0-9.-].*/\1/p' "$T/err" |
	grep -Ev '^(first KVM_RUN|kernel)$' | tr '\n' ,)
want="process start,host CPUID,KVM_CREATE_VM,memory slots,irqchip,vCPU 0,CPU model,boot data,devices,vCPU setup,seccomp,vCPU threads,exit,boot marker,"
for timed in "first KVM_RUN" kernel; do
	grep -Eq "^  $timed +[0-9]+\.[0-9] " "$T/err" || want="(a time for $timed) $want"
done
if [ "$phases" = "$want" ]; then pass "--timings names every start-up phase in order"
else fail "--timings names every start-up phase in order" "got: $phases"; fi

# --- virtio-rng (docs/virtio.md), driven by guest/virtio.c: each action
# ends with "virtio: ACTION ok" and isa-debug-exit 0 (status 1).
VIRTIO_GUEST=$GUESTS/virtio.elf
for action in rng rng-irq storm; do
	sprig --kernel "$VIRTIO_GUEST" --rng --cmdline "action=$action"
	expect "virtio-rng: $action" 1 "out:virtio: $action ok" noerr
done
sprig --kernel "$VIRTIO_GUEST" --rng --cmdline action=rng-loop
expect "virtio-rng: a looping chain sets NEEDS_RESET, a reset brings the device back" 1 \
	"out:virtio: looping chain: status 0x4f, needs reset" "out:virtio: rng-loop ok" \
	"err:sprig: virtio-rng: the guest's driver broke the rules (descriptor chain loops)"
sprig --kernel "$VIRTIO_GUEST" --rng --cmdline action=rng-wild
expect "virtio-rng: buffers and rings outside RAM set NEEDS_RESET, nothing else" 1 \
	"out:virtio: buffer outside RAM: status 0x4f" "out:virtio: rings outside RAM: status 0x4f" \
	"out:virtio: rng-wild ok" "err:(buffer is not in guest RAM)"
# 192 bytes at 64 bytes/s with a 64-byte burst: two seconds at least.
started=$(date +%s)
sprig --kernel "$VIRTIO_GUEST" --rng --rng-rate 64 --cmdline action=rng
took=$(($(date +%s) - started))
expect "virtio-rng: --rng-rate 64 still answers in full" 1 "out:virtio: rng ok"
if [ "$took" -ge 2 ]; then pass "virtio-rng: --rng-rate 64 held 192 bytes to ${took} s (at least 2)"
else fail "virtio-rng: --rng-rate 64" "192 bytes in ${took} s, under the limit's 2 s"; fi
sprig --kernel "$VIRTIO_GUEST" --cmdline action=rng
expect "without --rng there is no virtio device" 1 "out:virtio: FAIL no virtio-mmio device at 0xd0001000"
# --- virtio-blk on a raw image: what the guest reads is the file's, what it
# writes and flushes is in the file when sprig has exited.
DISK=$T/disk.img
make_disk() {
	head -c 1048576 /dev/zero >"$DISK"
	printf 'sprig-blk-test' | dd of="$DISK" conv=notrunc 2>/dev/null
}
make_disk
sprig --kernel "$VIRTIO_GUEST" --block.path "$DISK" --block.serial SPRIG-SERIAL-1 --cmdline action=blk
expect "virtio-blk: read, write, flush, get-id, IOERR past the end, UNSUPP" 1 \
	"out:virtio: blk capacity 2048 sectors" "out:virtio: blk sector 0: sprig-blk-test" \
	"out:virtio: blk serial 'SPRIG-SERIAL-1'" "out:virtio: blk ok" noerr
written=$(dd if="$DISK" bs=512 skip=1 count=1 2>/dev/null | od -An -tx1 | head -n 1 | tr -s ' ')
if [ "$written" = " 2a 31 38 3f 46 4d 54 5b 62 69 70 77 7e 85 8c 93" ]; then
	pass "virtio-blk: the sector the guest wrote and flushed is in the image"
else
	fail "virtio-blk: the written sector in the image" "reads '$written'"
fi
# SIGTERM loses nothing the guest flushed: the guest writes a sector,
# flushes, says so and halts; the host ends sprig and reads the image.
for cache in writeback none; do
	make_disk
	"$SPRIG" --kernel "$VIRTIO_GUEST" --block.path "$DISK" --block.cache $cache --cmdline action=blk-hold \
		>"$T/out" 2>"$T/err" </dev/null &
	pid=$!
	wait_for 60 has_out "virtio: blk flushed, holding"
	kill -TERM "$pid"
	wait_for 10 gone "$pid" || kill -KILL "$pid"
	wait "$pid"
	status=$?
	if [ "$status" = 1 ] && has_err "does not take O_DIRECT"; then
		echo "SKIP $LABEL: SIGTERM after a flush, cache = none: this file system does not take O_DIRECT"
		continue
	fi
	written=$(dd if="$DISK" bs=512 skip=1 count=1 2>/dev/null | od -An -tx1 | head -n 1 | tr -s ' ')
	if [ "$written" != " 2a 31 38 3f 46 4d 54 5b 62 69 70 77 7e 85 8c 93" ]; then
		fail "virtio-blk, cache = $cache: SIGTERM after the guest's flush" "the sector in the image reads '$written'"
	else
		expect "virtio-blk, cache = $cache: a sector the guest flushed is in the image after SIGTERM ends sprig" 0 \
			"out:virtio: blk flushed, holding" "err:terminating on SIGTERM"
	fi
done
make_disk
sprig --kernel "$VIRTIO_GUEST" --rng --block.path "$DISK" --cmdline action=blk
expect "virtio-blk beside virtio-rng (second window, 0xd0002000)" 1 "out:virtio: blk ok"
# ops = 2: the guest's 7 requests, 2 at once and 5 at 2 per second: at
# least 2.5 s, so whole seconds on the clock differ by at least 2. Only
# the lower bound is checked: no host makes a limited disk faster.
make_disk
started=$(date +%s)
sprig --kernel "$VIRTIO_GUEST" --block.path "$DISK" --block.ops 2 --cmdline action=blk
took=$(($(date +%s) - started))
expect "virtio-blk under ops = 2: every request answered, in order" 1 "out:virtio: blk ok" noerr
if [ "$took" -ge 2 ]; then pass "virtio-blk ops = 2: 7 requests took about $took s (2.5 s at least)"
else fail "virtio-blk ops = 2" "7 requests took $took s, under the 2.5 s the limit allows"; fi
sprig --kernel "$VIRTIO_GUEST" --block.path "$DISK" --block.read-only --cmdline action=blk
expect "virtio-blk read-only: VIRTIO_BLK_F_RO, a write is IOERR" 1 "out:, read-only" "out:virtio: blk-ro ok"
cp "$DISK" "$T/before.img"
sprig --kernel "$VIRTIO_GUEST" --block.path "$DISK" --cmdline action=blk-bad
expect "virtio-blk: a request with a short header sets NEEDS_RESET, a reset brings it back" 1 \
	"out:virtio: short header: status 0x4f, needs reset" "out:virtio: blk-bad ok" \
	"err:(a request without header or status byte)"
if cmp -s "$DISK" "$T/before.img"; then pass "virtio-blk: a broken request writes nothing"
else fail "virtio-blk: a broken request" "the image changed"; fi
sprig --kernel "$VIRTIO_GUEST" --block.path "$DISK" --block.cache none --cmdline action=blk
if [ "$status" = 1 ] && has_err "does not take O_DIRECT"; then
	echo "SKIP $LABEL: virtio-blk cache = none: the file system under $T does not take O_DIRECT (sprig said so, exit 1)"
else
	expect "virtio-blk cache = none (O_DIRECT through an aligned bounce buffer)" 1 "out:virtio: blk ok"
fi
sprig --kernel "$VIRTIO_GUEST" --block.path "$T/nosuch.img" --cmdline action=blk
expect "virtio-blk: a missing image is the user's error" 1 "err:sprig: block: $T/nosuch.img: No such file or directory"
sprig --kernel "$VIRTIO_GUEST" --block.path "$T" --cmdline action=blk
expect "virtio-blk: a directory is not an image" 1 "err:sprig: block: $T: Is a directory"
sprig --kernel "$VIRTIO_GUEST" --block.path "$T" --block.read-only --cmdline action=blk
expect "virtio-blk: nor read-only" 1 "err:not a regular file or block device"
: >"$T/tiny.img"
sprig --kernel "$VIRTIO_GUEST" --block.path "$T/tiny.img" --cmdline action=blk
expect "virtio-blk: an empty image is refused" 1 "err:smaller than one 512-byte sector"

# Several disks: each [block] is one, in windows after the rng's, as given.
for n in 1 2 3; do
	head -c $((n * 65536)) /dev/zero >"$T/d$n.img"
	printf 'disk-number-%s' "$n" | dd of="$T/d$n.img" conv=notrunc 2>/dev/null
done
printf '%s\n' "rng = on" "cmdline = action=blk-all" "[block]" "path = d1.img" "serial = first" \
	"[block]" "path = d2.img" "read-only = on" "[block]" "path = d3.img" "serial = third" >"$T/disks.conf"
sprig run "$T/disks.conf" --kernel "$VIRTIO_GUEST"
expect "three [block] sections: three disks in window order, each its own image and serial" 1 \
	"out:virtio: disk 0 at 0xd0002000: serial 'first', 128 sectors, sector 0 'disk-number-1'" \
	"out:virtio: disk 1 at 0xd0003000: serial '', 256 sectors, sector 0 'disk-number-2'" \
	"out:virtio: disk 2 at 0xd0004000: serial 'third', 384 sectors, sector 0 'disk-number-3'" \
	"out:virtio: 3 disks" "out:virtio: blk-all ok"
sprig run "$T/disks.conf" --kernel "$HELLO" --cmdline "acpi=off"
expect "acpi=off: a virtio_mmio.device= for the rng and each disk" 0 \
	"out:virtio_mmio.device=4K@0xd0001000:5 virtio_mmio.device=4K@0xd0002000:6 virtio_mmio.device=4K@0xd0003000:7 virtio_mmio.device=4K@0xd0004000:8"
sprig --kernel "$VIRTIO_GUEST" --block.path "$T/d1.img" --block.serial one --block.path "$T/d2.img" \
	--block.serial two --cmdline action=blk-all-break
expect "a broken disk stays broken while the next one serves, and comes back after its reset" 1 \
	"out:virtio: disk 0 broken: status 0x4f" "out:virtio: disk 1 at 0xd0002000: serial 'two'" \
	"out:virtio: disk 0 at 0xd0001000: serial 'one', 128 sectors, sector 0 'disk-number-1'" \
	"out:virtio: blk-all ok"
# One image, two writers: the second is refused (an OFD lock); readers share.
sprig --kernel "$VIRTIO_GUEST" --block.path "$T/d1.img" --block.path "$T/d1.img" --cmdline action=blk-all
expect "one image as two writable disks is refused (locked)" 1 \
	"err:sprig: block: $T/d1.img: in use (locked by another VM or program)"
sprig --kernel "$VIRTIO_GUEST" --block.path "$T/d1.img" --block.read-only --block.path "$T/d1.img" \
	--block.read-only --cmdline action=blk-all
expect "one image as two read-only disks is shared" 1 "out:virtio: 2 disks" "out:virtio: blk-all ok"
sprig --kernel "$VIRTIO_GUEST" --block.serial x --cmdline action=blk-all
expect "a disk flag before any --block.path is the user's error" 1 \
	"err:--block.serial: no [block] yet: --block.path starts one"

# --- the hostile driver (guest/hostile.c): random and adversarial rings
# on an rng, two disks and a vsock at once, a device error and reset
# after most rounds; each device must keep answering good requests and
# the second vCPU keep running. The seed is in the output: rerun with
# --cmdline "seed=N" to repeat a failure.
# The limit only catches a hang: the run takes 5-15 s in the nested VM
# and on kvm-pvm, whose emulation makes its time vary with the seed and
# the host's load (docs/host-notes.md).
HOSTILE_GUEST=$GUESTS/hostile.elf
HOSTILE_LIMIT=180
head -c 1048576 /dev/zero >"$T/h1.img"
head -c 65536 /dev/zero >"$T/h2.img"
LIMIT=$HOSTILE_LIMIT sprig --kernel "$HOSTILE_GUEST" --mem 64M --cpus 2 --rng --block.path "$T/h1.img" --block.path "$T/h2.img" \
	--block.cache none --vsock.path "$T/h.sock" --cmdline "rounds=2000"
if [ "$status" = 1 ] && has_err "does not take O_DIRECT"; then
	LIMIT=$HOSTILE_LIMIT sprig --kernel "$HOSTILE_GUEST" --mem 64M --cpus 2 --rng --block.path "$T/h1.img" \
		--block.path "$T/h2.img" --vsock.path "$T/h.sock" --cmdline "rounds=2000"
fi
expect "hostile driver: 2000 rounds of wild rings on rng, two disks and vsock; each still serves" 1 \
	"out:hostile: 4 devices, 2000 rounds, second vCPU counting" "out:hostile: ok"
if grep -q "device errors, each reset" "$T/out" && ! grep -q "hostile: device .*: 0 device errors" "$T/out"; then
	pass "hostile driver: every device saw device errors and came back ($(grep -o 'seed [0-9]*' "$T/out"))"
else
	fail "hostile driver: device errors" "$(grep hostile: "$T/out" | head -8 | tr '\n' ' ')"
fi

# --- virtio-net on a tap, in a network namespace of the test's own: the
# host end is 10.0.2.1, and its kernel answers the guest's ARP and ping.
NET_GUEST=$GUESTS/net.elf
cat >"$T/net.sh" <<'EOF'
tap=$1
shift
ip link set lo up
ip tuntap add dev "$tap" mode tap 2>/dev/null || tunctl -t "$tap" >/dev/null || exit 97
ip addr add 10.0.2.1/24 dev "$tap" && ip link set "$tap" up || exit 98
exec timeout -s KILL "${NET_LIMIT:-60}" "$@"
EOF
in_netns() { unshare -n sh "$T/net.sh" "$@" >"$T/out" 2>"$T/err" </dev/null; status=$?; }
if [ ! -c /dev/net/tun ]; then
	echo "SKIP $LABEL: virtio-net: this host has no /dev/net/tun (the tun module)"
elif ! unshare -n true 2>/dev/null; then
	echo "SKIP $LABEL: virtio-net: no network namespace of our own here (unshare -n: $(unshare -n true 2>&1))"
else
	in_netns sprig-t0 "$SPRIG" --kernel "$NET_GUEST" --net.tap sprig-t0 --net.mac 02:00:0a:00:02:0f \
		--cmdline action=net
	expect "virtio-net on a tap: the MAC given, ARP and ping answered by the host's kernel" 1 \
		"out:net: mac 02:00:0a:00:02:0f, link up" "out:net: arp reply from 10.0.2.1" \
		"out:net: echo reply from 10.0.2.1" "out:net: net ok"
	in_netns sprig-t0 "$SPRIG" --kernel "$NET_GUEST" --net.tap sprig-t0 --cmdline action=net-bad
	expect "virtio-net: a transmit chain without its header sets NEEDS_RESET, a reset brings it back" 1 \
		"out:net: short header: status 0x4f, needs reset" "out:net: net-bad ok" \
		"err:a transmit chain shorter than the 12-byte header"
	mac=$(sed -n 's/^net: mac \([0-9a-f:]*\), link up$/\1/p' "$T/out")
	case $mac in
	[0-9a-f][26ae]:*) pass "virtio-net: without mac, a locally administered unicast one ($mac)" ;;
	*) fail "virtio-net: the MAC sprig picks" "'$mac' is not locally administered unicast" ;;
	esac
	in_netns sprig-t0 "$SPRIG" --kernel "$NET_GUEST" --net.tap sprig-t0 --net.tap sprig-t0 --cmdline action=net
	expect "virtio-net: a second device on a tap already in use is refused" 1 "err:sprig: net: tap sprig-t0: "
	head -c 65536 /dev/zero >"$T/h1.img"
	NET_LIMIT=$HOSTILE_LIMIT in_netns sprig-t0 "$SPRIG" --kernel "$GUESTS/hostile.elf" --mem 64M --cpus 2 --rng --block.path "$T/h1.img" \
		--net.tap sprig-t0 --vsock.path "$T/h.sock" --cmdline "rounds=1000"
	expect "hostile driver with a net device on a real tap: 1000 rounds, each device still serves" 1 \
		"out:hostile: 4 devices, 1000 rounds, second vCPU counting" "out:hostile: ok"
	if grep -q "hostile: device 2 (type 1): [1-9][0-9]* device errors" "$T/out"; then
		pass "hostile driver: the net device saw device errors and came back ($(grep -o 'seed [0-9]*' "$T/out"))"
	else
		fail "hostile driver: the net device" "$(grep hostile: "$T/out" | tr '\n' ' ')"
	fi
fi
sprig --kernel "$NET_GUEST" --net.tap fd:0 --cmdline action=net
expect "virtio-net: tap fd:0 that is no tap is the user's error" 1 "err:sprig: net: tap-fd 0: not a tap"
sprig --kernel "$NET_GUEST" --net.tap "bad/name" --cmdline action=net
expect "virtio-net: a tap name Linux would refuse" 1 "err:--net.tap: tap: expected an interface name"
sprig --kernel "$NET_GUEST" --net.tap t0 --net.mac 01:00:5e:00:00:01 --cmdline action=net
expect "virtio-net: a multicast MAC is refused" 1 "err:--net.mac: mac: expected a unicast address"

# --- virtio-vsock's host side (the protocol itself: test_virtio_vsock,
# and Linux in linux.sh).
sprig --kernel "$HELLO" --vsock.path "$T/v.sock" --vsock.cid 9 --cmdline "acpi=off"
expect "virtio-vsock: a window for it (acpi=off: on the command line)" 0 \
	"out:virtio_mmio.device=4K@0xd0001000:5"
if [ -e "$T/v.sock" ]; then fail "virtio-vsock: its socket at exit" "$T/v.sock is left behind"
else pass "virtio-vsock: its socket is removed when sprig exits"; fi
sprig --kernel "$HELLO" --vsock.cid 5
expect "virtio-vsock: a cid without a path is the user's error" 1 "err:vsock.cid without vsock.path"
: >"$T/not-a-socket"
sprig --kernel "$HELLO" --vsock.path "$T/not-a-socket"
expect "virtio-vsock: a path that is a file is refused, not replaced" 1 \
	"err:sprig: vsock: $T/not-a-socket: exists and is not a socket"
sprig --kernel "$HELLO" --vsock.path "$T/v.sock" --vsock.cid 2
expect "virtio-vsock: cid 2 (the host's) is refused" 1 "err:--vsock.cid: cid: '2' is out of range"

# With acpi=off the guest has no DSDT to read: the windows go on the
# command line, as virtio_mmio.device= (Linux's own syntax).
sprig --kernel "$HELLO" --rng --cmdline "acpi=off x=1"
expect "acpi=off: virtio_mmio.device= appended for each window" 0 \
	"out:cmdline: acpi=off x=1 virtio_mmio.device=4K@0xd0001000:5"
sprig --kernel "$HELLO" --rng --cmdline "noacpi=off x=1"
expect "no acpi=off word: the command line is the user's" 0 "out:cmdline: noacpi=off x=1"
if has_out "virtio_mmio"; then fail "no acpi=off word" "virtio_mmio.device= was added"; fi
long=$(head -c 4080 /dev/zero | tr '\0' x)
sprig --kernel "$HELLO" --rng --cmdline "acpi=off $long"
expect "a command line with no room for virtio_mmio.device= is refused" 1 "err:no room for the virtio devices"

sprig --kernel "$TESTGUEST" --cmdline action=mmio-marker --timings
expect "boot marker at MMIO 0xd0000000/0xc0000000" 0 "out:testguest: mmio marker" "err:boot marker"
if grep -q "boot marker .*not reached" "$T/err"; then fail "MMIO boot marker recorded" "no time"; else pass "MMIO boot marker recorded"; fi

sprig --kernel "$TESTGUEST" --cmdline action=badport
expect "unassigned ports read as all ones" 0 "out:0xff"

sprig --kernel "$TESTGUEST" --cmdline action=wild
expect "unassigned MMIO is reported once and ignored" 0 "out:testguest: wild" "err:unassigned MMIO"

sprig --kernel "$TESTGUEST" --cmdline action=bogus
expect "unknown test action" 5 "out:testguest: unknown action"

# --- ACPI power: the FADT's registers, found the way a kernel finds them
sprig --kernel "$TESTGUEST" --cmdline action=poweroff
expect "ACPI power off (sleep control register, \\_S5) ends sprig with status 0" 0 \
	"out:testguest: acpi power off"
if has_out "power off ignored" || has_out "not offered"; then fail "ACPI power off" "$(tail -n 1 "$T/out")"; fi
sprig --kernel "$TESTGUEST" --cmdline action=acpi-reset
expect "ACPI reset register ends sprig with status 0" 0 "out:testguest: acpi reset"
if has_out "reset ignored" || has_out "not offered"; then fail "ACPI reset" "$(tail -n 1 "$T/out")"; fi
sprig --kernel "$TESTGUEST" --cmdline action=mptable --cpus 6 --cores 3
expect "MP table lists every vCPU with its APIC id (2 packages x 3 cores)" 0 \
	"out:testguest: mp table cpus 6: 0 1 2 4 5 6"

# --- console input: stdin reaches the guest through COM1's interrupts
printf 'hello from the host\nsecond line\nquit\n' >"$T/lines"
sprig_with_input "$T/lines" --kernel "$TESTGUEST" --cmdline action=echo
expect "console input from a file, by THRE and receive interrupts" 1 "out:testguest: thre interrupt" \
	"out:echo: hello from the host" "out:echo: second line" "out:testguest: rx interrupts seen"
# More than the guest's own 1 KiB buffer: it stops reading when full, the
# UART's FIFO fills and sprig must hold the rest back, losing nothing.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "x"; printf "\nquit\n" }' >"$T/long"
sprig_with_input "$T/long" --kernel "$TESTGUEST" --cmdline action=echo
xs=$(grep '^echo: ' "$T/out" | tr -cd x | wc -c)
if [ "$status" = 1 ] && [ "$xs" = 3000 ]; then
	pass "3000 bytes of input through a 16-byte FIFO, none lost"
else
	fail "3000 bytes of input through a 16-byte FIFO" "status $status, $xs of 3000 bytes echoed"
fi
# A pipe whose writer takes its time: sprig waits on it (epoll) between lines.
mkfifo "$T/fifo"
(printf 'first\n'; sleep 1; printf 'later\n'; sleep 1; printf 'quit\n') >"$T/fifo" &
sprig_with_input "$T/fifo" --kernel "$TESTGUEST" --cmdline action=echo
wait
expect "console input from a slow pipe" 1 "out:echo: first" "out:echo: later"
# A line longer than the UART's FIFO is handed over in parts as the guest
# drains it; then the writer pauses. The main thread must not sit in a
# read of the pipe then: SIGTERM (and QMP) are served all the while.
rm -f "$T/fifo" && mkfifo "$T/fifo"
long_line=$(awk 'BEGIN { for (i = 0; i < 100; i++) printf "y" }')
(printf '%s\n' "$long_line"; exec sleep 30) >"$T/fifo" &
writer=$!
"$SPRIG" --kernel "$TESTGUEST" --cmdline action=echo >"$T/out" 2>"$T/err" <"$T/fifo" &
pid=$!
wait_for 30 has_out "echo: $long_line"
sleep 1
kill -TERM "$pid"
if wait_for 5 gone "$pid"; then
	wait "$pid"
	status=$?
	expect "a writer that pauses after a long line: sprig still ends at once on SIGTERM" 0 "out:echo: $long_line"
else
	kill -KILL "$pid"
	wait "$pid"
	fail "SIGTERM while the console's pipe is quiet" "still running 5 s after SIGTERM (blocked reading stdin?)"
fi
kill "$writer" 2>/dev/null

# --- SIGTERM stops spinning and halted guests cleanly
for action in spinning halting; do
	case $action in spinning) what=spin ;; *) what=halt ;; esac
	"$SPRIG" --kernel "$TESTGUEST" --cmdline "action=$what" --cpus 2 >"$T/out" 2>"$T/err" </dev/null &
	pid=$!
	# The nested test VM can take tens of seconds for KVM_CREATE_VM when it
	# stalls; wait for the guest itself rather than for a fixed time.
	started=$(wait_for 60 has_out "testguest:" && echo yes || echo no)
	threads=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
	kill -TERM "$pid"
	if ! wait_for 10 gone "$pid"; then
		kill -KILL "$pid"
		fail "SIGTERM stops a ${action} guest" "still running 10 s after SIGTERM"
		continue
	fi
	wait "$pid"
	status=$?
	if [ "$started" = no ]; then
		fail "SIGTERM stops a ${action} guest" "guest printed nothing within 60 s"
		continue
	fi
	if [ "$threads" -lt 3 ]; then
		fail "SIGTERM stops a ${action} guest" "expected 3 threads (main + 2 vCPUs), saw $threads"
		continue
	fi
	expect "SIGTERM stops a ${action} guest ($threads threads, all gone)" 0 "err:terminating on SIGTERM"
done

# --- a console nobody reads must not keep sprig from stopping
mkfifo "$T/console"
sleep 60 <"$T/console" &
reader=$!
"$SPRIG" --kernel "$TESTGUEST" --cmdline action=flood >"$T/console" 2>"$T/err" </dev/null &
pid=$!
# Wait until a vCPU thread is really stuck writing to the full pipe.
wait_for 30 stuck_on_pipe "$pid" || echo "note: the console pipe never filled; the test below proves less"
kill -TERM "$pid"
if ! wait_for 10 gone "$pid"; then
	kill -KILL "$pid"
	: >"$T/out"
	fail "SIGTERM stops a guest whose console is stuck" "still running 10 s after SIGTERM"
else
	wait "$pid"
	status=$?
	: >"$T/out"
	expect "SIGTERM stops a guest whose console is stuck" 0 "err:terminating on SIGTERM"
fi
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null

# --- every error path: one line naming the cause, documented status
sprig --kernel "$T/missing.elf"
expect "missing kernel file" 1 "err:sprig: $T/missing.elf: No such file or directory"
printf 'not an elf at all' >"$T/junk.bin"
sprig --kernel "$T/junk.bin"
expect "kernel that is neither ELF nor bzImage" 1 "err:junk.bin: not an ELF or bzImage"
head -c 200 "$HELLO" >"$T/truncated.elf"
sprig --kernel "$T/truncated.elf"
expect "truncated kernel" 1 "err:truncated.elf: "
: >"$T/empty.elf"
sprig --kernel "$T/empty.elf"
expect "empty kernel file" 1 "err:empty file"
sprig --kernel "$T"
expect "kernel is a directory" 1 "err:not a regular file"
# A FIFO is refused at once, not waited on for a writer that never comes.
rm -f "$T/fifo.bin" && mkfifo "$T/fifo.bin"
LIMIT=10 sprig --kernel "$T/fifo.bin"
expect "kernel is a FIFO" 1 "err:fifo.bin: not a regular file"
LIMIT=10 sprig --kernel "$HELLO" --initrd "$T/fifo.bin"
expect "initrd is a FIFO" 1 "err:fifo.bin: not a regular file"
LIMIT=10 sprig run "$T/fifo.bin"
expect "config file is a FIFO" 1 "err:fifo.bin: not a regular file"
rm -f "$T/fifo.bin"
sprig --mem 1M
expect "mem below the minimum" 1 "err:--mem: mem: '1M' is out of range"
sprig --mem lots
expect "mem not a size" 1 "err:bad size 'lots'"
sprig --cpus 0
expect "cpus = 0" 1 "err:--cpus: cpus: '0' is out of range"
sprig --cpus 8192
expect "cpus above KVM's limit" 1 "err:KVM allows at most"
sprig --frobnicate
expect "unknown option" 1 "err:unknown option '--frobnicate'"
sprig run "$T/none.conf"
expect "missing config file" 1 "err:none.conf: No such file or directory"
printf 'mem = 64M\nbogus = 1\n' >"$T/bad.conf"
sprig run "$T/bad.conf"
expect "unknown key names file:line" 1 "err:bad.conf:2: unknown key 'bogus'"
head -c 100000000 /dev/zero >"$T/big.initrd"
sprig --mem 64M --initrd "$T/big.initrd"
expect "initrd larger than memory" 1 "err:big.initrd: larger than guest memory"
head -c 66060288 /dev/zero >"$T/large.initrd"
sprig --mem 64M --initrd "$T/large.initrd"
expect "initrd that does not fit beside the kernel" 1 "err:does not fit"
rm -f "$T/big.initrd" "$T/large.initrd"
sprig --help
expect "--help lists every key" 0 "out:--kernel" "out:--initrd" "out:--cmdline" "out:--mem" "out:--cpus" "out:--timings"

