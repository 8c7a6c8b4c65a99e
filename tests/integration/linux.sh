#!/bin/sh
# Real Linux kernels under sprig: Debian's cloud kernel and the minimal
# microVM kernel (tools/guest-kernel), as bzImage, as PVH vmlinux and as
# a vmlinux without PVH, with 1, 2 and 4 vCPUs, ACPI or the MP table,
# 256 MiB or 5 GiB, booted with the busybox initramfs whose /init reports
# what it sees (tools/guest-init) and powers off. Checks the kernel's
# early log (its version line, our command line, the e820 map sprig
# built, the CPUs it found), then userspace: /proc/cpuinfo's CPU count and
# the model's flags, /proc/meminfo, the boot marker, ACPI power off (exit
# 0), reboot, Ctrl-Alt-Del through the i8042 and a shell typed into. And
# memtest86+, a real guest that is not Linux.
# usage: linux.sh SPRIG KERNEL_DIR [LABEL]
#   KERNEL_DIR: debian.bz debian.elf minimal.bz minimal.elf minimal-nopvh.elf
#   memtest.bin initramfs.gz
#   (what tests/run stages); missing kernels are a FAIL, not a skip.
here=$(dirname "$0")
. "$here/lib.sh"
K=$GUESTS
MEM=256M
CMDLINE="console=ttyS0 panic=-1"

# e820 as sprig builds it for 256 MiB (docs/memory-map.md).
E820_LOW="BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable"
E820_HIGH="BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable"

# Boots take 2-16 s in the nested VM: 120 s is room enough.
linux_boot() { LIMIT=${LINUX_LIMIT:-120} sprig "$@"; [ "$status" = 0 ]; }

# QEMU microvm, the reference, where it is staged next to linux.sh (the
# nested VM: under KVM). qemu_boot LIMIT OUT KERNEL APPEND [QEMU ARGS...]:
# one boot with 2 vCPUs, the console (CRs dropped) in $T/OUT. $QEMU_IN, if
# set, is a command to run QEMU in (the network namespace).
QEMU=$here/qemu-system-x86_64
qemu_boot() {
	limit=$1 out=$2 kernel=$3 append=$4
	shift 4
	# shellcheck disable=SC2086
	timeout "$limit" ${QEMU_IN:-} "$QEMU" -L "$here/qemu-data" -M microvm,acpi=on -accel kvm -cpu host -smp 2 \
		-m $MEM -nodefaults -no-user-config -nographic -no-reboot -serial stdio "$@" -kernel "$K/$kernel" \
		-initrd "$K/initramfs.gz" -append "$CMDLINE${append:+ $append}" </dev/null 2>&1 | tr -d '\r' >"$T/$out"
}

# What init read from /proc/meminfo's MemTotal, in kB.
memtotal() { sed -n 's/^sprig-init: memtotal \([0-9]*\) kB.*/\1/p' "$T/out"; }

# boot NAME KERNEL CPUS EXTRA-CMDLINE [SPRIG FLAGS...]: one boot, the
# early-log and init checks; the output stays in $T/NAME.out. With
# sprig.reboot in EXTRA the guest reboots instead of powering off.
boot() {
	name=$1 kernel=$2 cpus=$3 extra=$4
	shift 4
	case $extra in
	*sprig.reboot*) ending="out:sprig-init: reboot" how="reboots"
		last="out:reboot: Restarting system" ;;
	*) ending="out:sprig-init: poweroff" how="powers off through ACPI"
		last="out:ACPI: PM: Preparing to enter system sleep state S5" ;;
	esac
	started=$(date +%s)
	linux_boot --kernel "$K/$kernel" --initrd "$K/initramfs.gz" \
		--mem $MEM --cpus "$cpus" --cmdline "$CMDLINE${extra:+ $extra}" --timings "$@"
	echo "note $LABEL: $name took $(($(date +%s) - started)) s"
	cp "$T/out" "$T/$name.out"
	cp "$T/err" "$T/$name.err"
	what="$name ($kernel, $cpus vCPU$([ "$cpus" = 1 ] || echo s))"
	[ "$cpus" = 1 ] && up="smp: Brought up 1 node, 1 CPU" || up="smp: Brought up 1 node, $cpus CPUs"
	expect "$what: early log: version, our command line, our e820, $cpus CPUs from ${CPUS_FROM:-the MADT}" \
		0 "out:Linux version " "out:Command line: $CMDLINE" "out:$E820_LOW" "out:$E820_HIGH" "out:$up"
	expect "$what: init runs, sees $cpus CPUs, $how, sprig exits 0" 0 \
		"out:sprig-init: up" "out:sprig-init: cpus $cpus" "$ending" "$last"
	total=$(memtotal)
	# MemTotal is RAM less the kernel's own reservations: most of 256 MiB.
	if [ -n "$total" ] && [ "$total" -gt 150000 ] && [ "$total" -le 262144 ]; then
		pass "$what: /proc/meminfo MemTotal $total kB of 262144"
	else
		fail "$what: /proc/meminfo" "MemTotal '${total:-none}' kB for $MEM"
	fi
	if grep -q "boot marker .*not reached" "$T/err" || ! has_err "boot marker"; then
		fail "$what: boot marker from init" "not recorded"
	else
		pass "$what: boot marker from init recorded by --timings"
	fi
}

for k in debian.bz debian.elf minimal.bz minimal.elf minimal-nopvh.elf memtest.bin initramfs.gz; do
	[ -s "$K/$k" ] || { fail "Linux guests" "$K/$k missing (tools/guest-kernel)"; exit 0; }
done

# Both kernels, both formats, 1 and 2 vCPUs; two boots reboot instead, each
# by its kernel's default method (Debian's, built with EFI, prefers EFI on a
# hardware-reduced FADT and then uses port 0xcf9; the minimal kernel tries
# the FADT's reset register), one has a CPU model without cx16.
boot debian-bz-2 debian.bz 2 ""
boot debian-bz-1 debian.bz 1 "sprig.reboot"
boot debian-pvh-2 debian.elf 2 "" --cpu host,-cx16
boot minimal-bz-2 minimal.bz 2 ""
boot minimal-pvh-1 minimal.elf 1 "sprig.reboot"
# A vmlinux without CONFIG_PVH (the same kernel, its PVH note retyped by
# without_pvh_note): entered at its physical e_entry, startup_64, with
# %rsi = boot_params, as Firecracker boots vmlinux, and with Firecracker's
# default command line (less 8250.nr_uarts=0, which would silence the
# console, and i8042.nopnp: docs/linux.md); it reboots through the i8042.
boot minimal-vmlinux-2 minimal-nopvh.elf 2 \
	"reboot=k panic=1 pci=off nomodules i8042.noaux i8042.nomux i8042.dumbkbd sprig.reboot"

# virtio-rng: /dev/hwrng is fed by it and gives 64 bytes that are not all
# the same. hwrng_read NAME HOW: what init said in boot NAME.
hwrng_read() {
	how=$2
	hwrng=$(sed -n 's/^sprig-init: hwrng //p' "$T/$1.out")
	case $hwrng in
	"virtio_rng.0 64 bytes: "*)
		set -- ${hwrng#*: }
		first=$1 same=0
		for b in "$@"; do [ "$b" = "$first" ] && same=$((same + 1)); done
		if [ "$same" -lt 64 ]; then pass "virtio-rng $how: Linux reads 64 bytes from /dev/hwrng (virtio_rng.0)"
		else fail "virtio-rng $how: /dev/hwrng" "64 equal bytes: $hwrng"; fi ;;
	*) fail "virtio-rng $how: /dev/hwrng" "init said '${hwrng:-nothing}'" ;;
	esac
}
boot minimal-rng-1 minimal.bz 1 "sprig.hwrng" --rng
hwrng_read minimal-rng-1 "found through the DSDT"
if [ -x "$QEMU" ]; then
	qemu_boot 120 qemu-rng.out minimal.bz "sprig.hwrng" -device virtio-rng-device
	hwrng_read qemu-rng "under QEMU microvm (the reference)"
fi

# virtio-blk: Linux writes 8 MiB of random bytes to /dev/vda with fsync
# and reads them back; after power off the image holds the same bytes.
head -c 16777216 /dev/zero >"$T/vda.img"
boot minimal-blk-2 minimal.bz 2 "sprig.blk" --block.path "$T/vda.img" --block.serial sprig-vda
said=$(sed -n 's/^sprig-init: blk //p' "$T/minimal-blk-2.out" | tr -d '\r')
image=$(dd if="$T/vda.img" bs=1M count=8 2>/dev/null | sha256sum | cut -d' ' -f1)
case $said in
"vda 32768 sectors, serial sprig-vda, sha256 $image")
	pass "virtio-blk: Linux's 8 MiB on /dev/vda (serial sprig-vda) are in the image after power off" ;;
*) fail "virtio-blk: /dev/vda" "init said '${said:-nothing}', the image's sha256 is $image" ;;
esac

# ext4 on virtio-blk: Linux mounts the image, writes 64 MiB to /data with
# fsync and unmounts; after power off the host reads the file back out of
# the image (debugfs) and fsck finds the file system clean. QEMU microvm
# on the same kernel and init is the reference. Needs e2fsprogs staged.
E2=$here
ext4_check() {  # NAME WHO IMAGE
	said=$(sed -n 's/^sprig-init: ext4 //p' "$T/$1.out" | tr -d '\r')
	rm -f "$T/data.out"
	"$E2/debugfs" -R "dump /data $T/data.out" "$3" >/dev/null 2>&1
	file=$(sha256sum <"$T/data.out" 2>/dev/null | cut -d' ' -f1)
	if [ "$said" != "67108864 bytes, sha256 $file" ]; then
		fail "ext4 on virtio-blk under $2: /data" "init said '${said:-nothing}', the image's /data has sha256 ${file:-none}"
	elif ! "$E2/e2fsck" -fn "$3" >"$T/fsck.out" 2>&1; then
		fail "ext4 on virtio-blk under $2: fsck after power off" "$(tail -n 3 "$T/fsck.out" | tr '\n' ' ')"
	else
		pass "ext4 on virtio-blk under $2: 64 MiB written with fsync are in the image after power off, fsck clean"
	fi
}
if [ -x "$E2/mke2fs" ] && [ -x "$E2/debugfs" ] && [ -x "$E2/e2fsck" ]; then
	head -c 134217728 /dev/zero >"$T/ext4.img" && "$E2/mke2fs" -q -F -t ext4 "$T/ext4.img"
	boot minimal-ext4-2 minimal.bz 2 "sprig.ext4" --block.path "$T/ext4.img"
	ext4_check minimal-ext4-2 sprig "$T/ext4.img"
	if [ -x "$QEMU" ]; then
		head -c 134217728 /dev/zero >"$T/ext4.img" && "$E2/mke2fs" -q -F -t ext4 "$T/ext4.img"
		qemu_boot 180 qemu-ext4.out minimal.bz "sprig.ext4" \
			-drive "file=$T/ext4.img,if=none,id=d0,format=raw,cache=writeback" -device virtio-blk-device,drive=d0
		ext4_check qemu-ext4 "QEMU microvm (the reference)" "$T/ext4.img"
	fi
	rm -f "$T/ext4.img" "$T/data.out"
else
	echo "SKIP $LABEL: ext4 on virtio-blk: no mke2fs, debugfs and e2fsck staged next to linux.sh (e2fsprogs)"
fi

# virtio-net: Linux's eth0 on a tap in a network namespace of the test's
# own, whose host end (10.0.2.1) answers three pings, serves 16 MiB over
# HTTP (busybox httpd) and takes 16 MiB the guest sends to TCP port 8081
# (socat); init prints both files' checksums. QEMU microvm's
# virtio-net-device on the same tap is the reference.
SOCAT=$(command -v socat || echo "$here/socat")
mkdir -p "$T/www" && head -c 16777216 /dev/urandom >"$T/www/blob"
blob=$(sha256sum <"$T/www/blob" | cut -d' ' -f1)
cat >"$T/netns.sh" <<EOF
ip link set lo up
ip tuntap add dev sprig-t0 mode tap 2>/dev/null || tunctl -t sprig-t0 >/dev/null || exit 97
ip addr add 10.0.2.1/24 dev sprig-t0 && ip link set sprig-t0 up || exit 98
busybox httpd -f -p 10.0.2.1:8080 -h "$T/www" &
web=\$!
rm -f "$T/upload"
"$SOCAT" -u TCP-LISTEN:8081,bind=10.0.2.1,reuseaddr CREATE:"$T/upload" &
sink=\$!
timeout -s KILL 170 "\$@"
status=\$?
kill \$web \$sink 2>/dev/null
exit \$status
EOF
printf '#!/bin/sh\nexec unshare -n sh "%s" "%s" "$@"\n' "$T/netns.sh" "$SPRIG" >"$T/sprig-in-netns"
chmod +x "$T/sprig-in-netns"
net_check() {  # NAME WHO
	said=$(sed -n 's/^sprig-init: net //p' "$T/$1.out" | tr -d '\r')
	upload=$(sha256sum <"$T/upload" 2>/dev/null | cut -d' ' -f1)
	if [ "$said" = "ping 3 of 3, http sha256 $blob, upload sha256 $upload" ] && [ "$(wc -c <"$T/upload")" = 16777216 ]; then
		pass "virtio-net under $2: Linux's eth0 pings the tap's host end 3 of 3, fetches 16 MiB and sends 16 MiB whole over TCP"
	else
		fail "virtio-net under $2" "init said '${said:-nothing}'; the file served has sha256 $blob, the host got $(wc -c <"$T/upload" 2>/dev/null || echo no) bytes, sha256 ${upload:-none}"
	fi
}
if [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null || ! busybox httpd --help >/dev/null 2>&1 ||
	! "$SOCAT" -V >/dev/null 2>&1; then
	echo "SKIP $LABEL: virtio-net in Linux: needs /dev/net/tun, unshare -n, busybox httpd and socat here"
else
	real_sprig=$SPRIG
	SPRIG=$T/sprig-in-netns
	LINUX_LIMIT=180
	boot minimal-net-2 minimal.bz 2 "sprig.net" --net.tap sprig-t0
	SPRIG=$real_sprig
	unset LINUX_LIMIT
	net_check minimal-net-2 sprig
	if [ -x "$QEMU" ]; then
		QEMU_IN="unshare -n sh $T/netns.sh" qemu_boot 180 qemu-net.out minimal.bz "sprig.net" \
			-netdev tap,id=n0,ifname=sprig-t0,script=no,downscript=no -device virtio-net-device,netdev=n0
		net_check qemu-net "QEMU microvm (the reference)"
	fi
fi
rm -rf "$T/www"

# virtio-vsock with Firecracker's host side: the guest sends a line to
# host port 6000 (a program listening on $T/v.sock_6000) and 4 MiB to port
# 6001, then echoes one connection on its port 5000, which the host makes
# through $T/v.sock with "CONNECT 5000", a line and 4 MiB, and reads back
# after "OK <port>". QEMU microvm's vhost-vsock-device is the reference,
# with AF_VSOCK on the host instead of unix sockets (no CONNECT line).
# vsock_scenario WHO LISTEN_6000 LISTEN_6001 CONNECT PREFIX START: socat
# addresses for the host's side, the line sent before the data, and the
# function that runs the VM (output in $T/out).
vsock_scenario() {
	who=$1 prefix=$5 start=$6
	rm -f "$T/v.sock" "$T/v.sock_6000" "$T/v.sock_6001" "$T/from-guest" "$T/from-guest-big" "$T/to-host"
	timeout 200 "$SOCAT" -u "$2" CREATE:"$T/from-guest" &
	listener=$!
	timeout 200 "$SOCAT" -u "$3" CREATE:"$T/from-guest-big" &
	big_listener=$!
	$start &
	vm=$!
	# The guest's echo server comes up after its send: until then the
	# guest refuses (RST) and the connection ends at once, so try again.
	tries=0
	until grep -q "ping from the host" "$T/to-host" 2>/dev/null || [ $tries -ge 150 ] || ! kill -0 $vm 2>/dev/null; do
		{ printf '%bping from the host\n' "$prefix"; cat "$T/to-guest-big"; } |
			timeout 100 "$SOCAT" -t 60 - "$4" >"$T/to-host" 2>/dev/null
		tries=$((tries + 1))
		grep -q "ping from the host" "$T/to-host" 2>/dev/null || sleep 1
	done
	wait $vm
	status=$?
	kill $listener $big_listener 2>/dev/null
	wait $listener $big_listener 2>/dev/null
	if [ "$(cat "$T/from-guest" 2>/dev/null)" = "hello from the guest" ]; then
		pass "virtio-vsock under $who: Linux connects to host port 6000 and its line arrives"
	else
		fail "virtio-vsock under $who: guest to host port 6000" "the host program got '$(cat "$T/from-guest" 2>/dev/null)'"
	fi
	ok_line=0
	[ -z "$prefix" ] || ok_line=$(head -n 1 "$T/to-host" | wc -c)
	if { [ -z "$prefix" ] || grep -q "^OK [0-9][0-9]*\$" "$T/to-host"; } && grep -q "^ping from the host\$" "$T/to-host"; then
		pass "virtio-vsock under $who: a host program's connection to port 5000${prefix:+ (CONNECT 5000, OK <port>)} is echoed by Linux"
	else
		fail "virtio-vsock under $who: host to guest port 5000" "after $tries tries the host program read '$(tr '\n' '|' <"$T/to-host" 2>/dev/null | head -c 200)'"
	fi
	sent=$(sed -n 's/^sprig-init: vsock sent 4 MiB, sha256 \([0-9a-f]*\).*/\1/p' "$T/out" | head -n 1)
	got=$(sha256sum <"$T/from-guest-big" 2>/dev/null | cut -d' ' -f1)
	if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
		pass "virtio-vsock under $who: 4 MiB from Linux to host port 6001 arrive whole (sha256 ${got%"${got#????????????}"})"
	else
		fail "virtio-vsock under $who: 4 MiB guest to host" "the guest sent sha256 '$sent', the host got $(wc -c <"$T/from-guest-big" 2>/dev/null) bytes, sha256 '$got'"
	fi
	echoed=$(tail -c 4194304 "$T/to-host" 2>/dev/null | sha256sum | cut -d' ' -f1)
	if [ "$echoed" = "$(sha256sum <"$T/to-guest-big" | cut -d' ' -f1)" ] &&
		[ "$(wc -c <"$T/to-host")" -eq $((4194304 + 19 + ok_line)) ]; then
		pass "virtio-vsock under $who: 4 MiB from the host through Linux's echo come back whole"
	else
		fail "virtio-vsock under $who: 4 MiB host to guest and back" "the host read $(wc -c <"$T/to-host") bytes back"
	fi
}
sprig_vsock_vm() {
	timeout -s KILL 200 "$SPRIG" --kernel "$K/minimal.bz" --initrd "$K/initramfs.gz" --mem $MEM --cpus 2 \
		--cmdline "$CMDLINE sprig.vsock" --vsock.path "$T/v.sock" --vsock.cid 7 >"$T/out" 2>"$T/err" </dev/null
}
qemu_vsock_vm() {
	qemu_boot 200 out minimal.bz "sprig.vsock" -device vhost-vsock-device,guest-cid=7
}
if [ ! -x "$SOCAT" ]; then
	echo "SKIP $LABEL: virtio-vsock in Linux: no socat here or staged next to linux.sh"
else
	head -c 4194304 /dev/urandom >"$T/to-guest-big"
	vsock_scenario sprig UNIX-LISTEN:"$T/v.sock_6000" UNIX-LISTEN:"$T/v.sock_6001" UNIX-CONNECT:"$T/v.sock" \
		"CONNECT 5000\n" sprig_vsock_vm
	cp "$T/out" "$T/minimal-vsock-2.out"
	expect "virtio-vsock: the guest saw both and powered off" 0 "out:sprig-init: vsock sent" \
		"out:sprig-init: vsock echoed" "out:sprig-init: poweroff"
	if [ ! -x "$QEMU" ]; then
		: # the QEMU references all skip together, at the end
	elif [ ! -c /dev/vhost-vsock ]; then
		echo "SKIP $LABEL: virtio-vsock under QEMU microvm: no /dev/vhost-vsock here (the vhost_vsock module)"
	else
		vsock_scenario "QEMU microvm (the reference)" VSOCK-LISTEN:6000 VSOCK-LISTEN:6001 VSOCK-CONNECT:7:5000 \
			"" qemu_vsock_vm
	fi
fi

# A snapshot at the shell (docs/snapshot.md): the guest starts a vsock
# echo server and writes 4 MiB to /dev/vda with fsync; sprig is saved and
# ends; the restored guest's shell answers, reads the 4 MiB back from the
# disk (O_DIRECT, not its page cache), its echo server (listening across
# the TRANSPORT_RESET) answers a host program on the new vsock path, and
# it connects to a host port itself.
# typist FIFO WAIT-FOR FILE COMMANDS...: after WAIT-FOR shows in FILE,
# each command typed into FIFO two seconds apart.
typist() {
	fifo=$1 mark=$2 file=$3
	shift 3
	rm -f "$fifo" && mkfifo "$fifo"
	(wait_for 150 grep -q "$mark" "$file"; sleep 2
	 for c in "$@"; do printf '%s\n' "$c"; sleep 2; done; sleep 120) >"$fifo" &
	typist_pid=$!
}
snapshot_shell() {
	head -c 8388608 /dev/zero >"$T/snap.img"
	rm -rf "$T/lsnap" "$T/c1.sock" "$T/v1.sock" "$T/v2.sock" "$T/v2.sock_6000"
	typist "$T/keys1" "sprig-init: shell" "$T/out" "vsock-echo serve 5000 &" \
		'head -c 4194304 /dev/urandom >/tmp/x && dd if=/tmp/x of=/dev/vda bs=1M conv=fsync 2>/dev/null && echo "written $(sha256sum </tmp/x)"' \
		'echo snap-$((40 + 2))'
	timeout -s KILL 200 "$SPRIG" --kernel "$K/minimal.bz" --initrd "$K/initramfs.gz" --mem $MEM --cpus 2 \
		--cmdline "$CMDLINE sprig.shell" --block.path "$T/snap.img" --vsock.path "$T/v1.sock" --vsock.cid 7 \
		--control "$T/c1.sock" >"$T/out" 2>"$T/err" <"$T/keys1" &
	vm=$!
	wait_for 150 grep -q "^snap-42" "$T/out"
	"$SPRIG" snapshot --control "$T/c1.sock" "$T/lsnap" --quit >"$T/snap.err" 2>&1
	snap_status=$?
	wait $vm
	kill "$typist_pid" 2>/dev/null
	cp "$T/out" "$T/before.out"
	written=$(tr -d '\r' <"$T/out" | sed -n 's/^written \([0-9a-f]\{64\}\) .*/\1/p')
	timeout 150 "$SOCAT" -u UNIX-LISTEN:"$T/v2.sock_6000" CREATE:"$T/after-from-guest" &
	listener=$!
	typist "$T/keys2" "." "$T/lsnap/state" 'echo answer-$((6 * 7))' \
		'echo "readback $(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | sha256sum)"' \
		'vsock-echo send 2 6000 "hello after restore"' 'echo done-$((1 + 1))'
	timeout -s KILL 200 "$SPRIG" restore "$T/lsnap" --vsock.path "$T/v2.sock" >"$T/out" 2>"$T/err" <"$T/keys2" &
	vm=$!
	wait_for 60 grep -q "answer-42" "$T/out"
	echoed=$({ printf 'CONNECT 5000\nping after restore\n'; sleep 5; } |
		timeout 30 "$SOCAT" -t 10 - UNIX-CONNECT:"$T/v2.sock" 2>/dev/null)
	wait_for 60 grep -q "^done-2" "$T/out"
	kill -TERM $vm 2>/dev/null
	wait $vm
	status=$?
	kill "$typist_pid" $listener 2>/dev/null
	readback=$(tr -d '\r' <"$T/out" | sed -n 's/^readback \([0-9a-f]\{64\}\) .*/\1/p')
	if [ "$snap_status" = 0 ] && [ -s "$T/lsnap/state" ] && grep -q "answer-42" "$T/out"; then
		pass "Linux snapshot at the shell (2 vCPUs, a disk, vsock): restored, the shell answers"
	else
		fail "Linux snapshot at the shell" "snapshot $snap_status: $(cat "$T/snap.err" "$T/err" | head -c 300)"
	fi
	if [ -n "$written" ] && [ "$written" = "$readback" ]; then
		pass "Linux snapshot: 4 MiB written to virtio-blk before it read back from the disk after restore"
	else
		fail "Linux snapshot: the disk after restore" "written '$written', read back '$readback'"
	fi
	if printf '%s\n' "$echoed" | grep -q "^ping after restore" &&
		[ "$(cat "$T/after-from-guest" 2>/dev/null)" = "hello after restore" ]; then
		pass "Linux snapshot: vsock after restore both ways (the guest's listener, its connection to host port 6000)"
	else
		fail "Linux snapshot: vsock after restore" "host got back '$echoed', port 6000 got '$(cat "$T/after-from-guest" 2>/dev/null)'"
	fi
}
if [ -x "$SOCAT" ]; then
	snapshot_shell
else
	echo "SKIP $LABEL: Linux snapshot test: no socat here or staged next to linux.sh"
fi

# A snapshot of a VM with virtio-net: eth0 configured and used (a 1 MiB
# file over HTTP from the tap's host end) before the snapshot; restored
# onto a new tap of the same name, address and MAC (a new network
# namespace, as on another host), the guest fetches the file again with
# its old addresses, ARP entry and receive buffers.
snapshot_net() {
	mkdir -p "$T/www" && head -c 1048576 /dev/urandom >"$T/www/blob"
	blob=$(sha256sum <"$T/www/blob" | cut -d' ' -f1)
	cat >"$T/netns-snap.sh" <<EOF
ip link set lo up
ip tuntap add dev sprig-t0 mode tap 2>/dev/null || tunctl -t sprig-t0 >/dev/null || exit 97
ip link set sprig-t0 address 02:00:00:00:0a:01 && ip addr add 10.0.2.1/24 dev sprig-t0 && ip link set sprig-t0 up || exit 98
busybox httpd -f -p 10.0.2.1:8080 -h "$T/www" &
web=\$!
timeout -s KILL 170 "\$@"
status=\$?
kill \$web 2>/dev/null
exit \$status
EOF
	rm -rf "$T/nsnap" "$T/c3.sock"
	typist "$T/keys3" "sprig-init: shell" "$T/out" \
		'ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && sleep 1 && echo "net-before $(wget -q -O - http://10.0.2.1:8080/blob | sha256sum)"' \
		'echo snap-$((40 + 3))'
	timeout -s KILL 200 unshare -n sh "$T/netns-snap.sh" "$SPRIG" --kernel "$K/minimal.bz" --initrd "$K/initramfs.gz" \
		--mem $MEM --cmdline "$CMDLINE sprig.shell" --net.tap sprig-t0 --control "$T/c3.sock" \
		>"$T/out" 2>"$T/err" <"$T/keys3" &
	vm=$!
	wait_for 150 grep -q "^snap-43" "$T/out"
	"$SPRIG" snapshot --control "$T/c3.sock" "$T/nsnap" --quit >"$T/snap.err" 2>&1
	snap_status=$?
	wait $vm
	kill "$typist_pid" 2>/dev/null
	before=$(tr -d '\r' <"$T/out" | sed -n 's/^net-before \([0-9a-f]\{64\}\) .*/\1/p')
	typist "$T/keys4" "." "$T/nsnap/state" 'echo "net-after $(wget -q -O - http://10.0.2.1:8080/blob | sha256sum)"' \
		'echo done-$((2 + 1))' 'poweroff -f'
	timeout -s KILL 200 unshare -n sh "$T/netns-snap.sh" "$SPRIG" restore "$T/nsnap" --net.tap sprig-t0 \
		>"$T/out" 2>"$T/err" <"$T/keys4" &
	vm=$!
	# The guest powers off; a signal to the wrapper would not reach sprig
	# behind the namespace's shell, which later tests would find running.
	wait_for 120 grep -q "reboot: Power down" "$T/out"
	sleep 1
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "restore $T/nsnap" && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	wait $vm
	kill "$typist_pid" 2>/dev/null
	after=$(tr -d '\r' <"$T/out" | sed -n 's/^net-after \([0-9a-f]\{64\}\) .*/\1/p')
	if [ "$snap_status" = 0 ] && [ "$before" = "$blob" ] && [ "$after" = "$blob" ]; then
		pass "Linux snapshot with virtio-net: the file fetched over eth0 before, and again after restore onto a new tap"
	else
		fail "Linux snapshot with virtio-net" "snapshot $snap_status, served $blob, before '$before', after '$after'; $(cat "$T/snap.err" "$T/err" | head -c 300)"
	fi
	rm -rf "$T/www"
}
if [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null || ! busybox httpd --help >/dev/null 2>&1; then
	echo "SKIP $LABEL: Linux snapshot with virtio-net: needs /dev/net/tun, unshare -n and busybox httpd here"
else
	snapshot_net
fi

# Without ACPI the vCPUs and the IOAPIC come from the MP table (Debian's
# kernel has no MP-table parser; the minimal one has).
CPUS_FROM="the MP table"
boot minimal-mptable-4 minimal.bz 4 "acpi=off reboot=k sprig.reboot sprig.hwrng" --rng
unset CPUS_FROM
# No DSDT: sprig puts the window on the command line instead.
if has_out "virtio_mmio.device=4K@0xd0001000:5"; then
	pass "acpi=off: the virtio-rng window is on the kernel command line"
else
	fail "acpi=off: virtio_mmio.device= on the command line" "$(grep -a 'Command line' "$T/out")"
fi
hwrng_read minimal-mptable-4 "found through the command line (acpi=off)"
if grep -q "MPTABLE: OEM ID: SPRIG" "$T/minimal-mptable-4.out" &&
	grep -q "IOAPIC\[0\]: apic_id 0, version 17, address 0xfec00000, GSI 0-23" "$T/minimal-mptable-4.out" &&
	grep -q "ttyS0 at I/O 0x3f8 (irq = 4" "$T/minimal-mptable-4.out"; then
	pass "acpi=off: Linux reads sprig's MP table (4 CPUs, the IOAPIC, COM1 on IRQ 4)"
else
	fail "acpi=off: the MP table" "$(grep -a 'MPTABLE\|IOAPIC\|ttyS0 at' "$T/minimal-mptable-4.out" | tr '\n' ' ')"
fi

# 5 GiB: RAM below the MMIO gap at 3 GiB and the rest above 4 GiB, as the
# e820 map says and Linux counts.
linux_boot --kernel "$K/minimal.bz" --initrd "$K/initramfs.gz" \
	--mem 5G --cpus 2 --cmdline "$CMDLINE"
total=$(memtotal)
if [ "$status" = 0 ] && has_out "BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable" &&
	has_out "BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable" &&
	[ -n "$total" ] && [ "$total" -gt 4900000 ] && [ "$total" -le 5242880 ]; then
	pass "5 GiB of RAM: e820 below 3 GiB and from 4 GiB, MemTotal $total kB, sprig exits 0"
else
	fail "5 GiB of RAM" "status $status, MemTotal '${total:-none}' kB; $(grep -a 'BIOS-e820' "$T/out" | tr '\n' ' ')"
fi

# The CPU model reaches Linux: a feature removed from the model is gone
# from /proc/cpuinfo, one kept is there.
flags() { sed -n 's/^sprig-init: flags //p' "$T/$1.out"; }
if ! flags debian-bz-2 | grep -qw cx16; then
	echo "SKIP $LABEL: --cpu host,-cx16 in Linux: this host's KVM offers no cx16"
elif flags debian-pvh-2 | grep -qw cx16; then
	fail "--cpu host,-cx16 reaches Linux" "cx16 still in /proc/cpuinfo"
elif flags debian-pvh-2 | grep -qw sse2; then
	pass "--cpu host,-cx16 reaches Linux: cx16 gone from /proc/cpuinfo (there with host), sse2 kept"
else
	fail "--cpu host,-cx16 reaches Linux" "flags: $(flags debian-pvh-2)"
fi

# Ctrl-Alt-Del from the host (QMP send-key, the i8042): the kernel signals
# init (/init sets kernel.ctrl-alt-del = 0, as sysvinit does), whose trap
# reboots by the kernel's default method.
. "$here/qmp_lib.sh"
ctrl_alt_del() {
	start_vm --kernel "$K/debian.bz" --initrd "$K/initramfs.gz" --mem $MEM --cmdline "$CMDLINE sprig.wait"
	wait_for 120 console_has "sprig-init: waiting"
	qmp "$CAPS" '{"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "ctrl"}, {"type": "qcode", "data": "alt"}, {"type": "qcode", "data": "delete"}]}}'
	wait_for 120 gone "$pid"
	until_gone
	[ "$status" = 0 ]
}
if "$SOCAT" -V >/dev/null 2>&1; then
	ctrl_alt_del
	if [ "$status" = 0 ] && console_has "input: AT Translated Set 2 keyboard" &&
		console_has "sprig-init: ctrl-alt-del, reboot" && console_has "reboot: Restarting system" &&
		! grep -q "terminating on" "$T/err"; then
		pass "Ctrl-Alt-Del (QMP send-key) through the i8042: atkbd takes it, the guest reboots, sprig exits 0"
	else
		fail "Ctrl-Alt-Del through the i8042" "status $status; $(grep -a 'i8042\|input:\|reboot\|sprig-init' "$T/console" | tr '\n' ' ') $(cat "$T/err")"
	fi
else
	fail "Ctrl-Alt-Del through the i8042" "socat not staged"
fi

# memtest86+ (Debian's; a bzImage with a 64-bit entry that is not Linux):
# its own ACPI parser and INIT/SIPI bring up both vCPUs, it sizes RAM from
# our e820 and tests it on all cores, on the serial console. It runs until
# stopped: SIGTERM ends it, status 0.
memtest_runs() {
	start_vm --kernel "$K/memtest.bin" --mem $MEM --cpus 2 --cmdline "console=ttyS0,115200"
	wait_for 120 console_has "Moving inversions"
	kill -TERM "$pid" 2>/dev/null
	until_gone
	[ "$status" = 0 ] && console_has "Moving inversions"
}
memtest_runs
if [ "$status" = 0 ] && console_has "Memtest86+ v" && console_has "SMP: 2T" && console_has "Using: All Cores" &&
	grep -qE "Memory +: +256MB" "$T/console" && console_has "Errors: 0" && ! grep -qE "Errors: +[1-9]" "$T/console" &&
	grep -q "terminating on SIGTERM" "$T/err"; then
	pass "memtest86+ (bzImage, 2 vCPUs): finds 2 CPUs (SMP: 2T) and 256 MB, tests on all cores, no errors; SIGTERM ends it, status 0"
else
	fail "memtest86+" "status $status; $(tr -c '[:print:]' ' ' <"$T/console" | tr -s ' ' | tail -c 600) $(cat "$T/err")"
fi

# A shell typed into: commands on stdin, answers on the console.
type_into_shell() {
	rm -f "$T/keys" && mkfifo "$T/keys"
	(sleep_until() { wait_for 120 grep -q "$1" "$T/out"; }
	 sleep_until "sprig-init: shell"; sleep 2
	 printf 'echo answer-$((6 * 7))\n'; sleep 2; printf 'exit\n'; sleep 60) >"$T/keys" &
	feeder=$!
	LIMIT=150 sprig_with_input "$T/keys" --kernel "$K/minimal.bz" --initrd "$K/initramfs.gz" --mem $MEM \
		--cmdline "$CMDLINE sprig.shell"
	kill "$feeder" 2>/dev/null
	[ "$status" = 0 ]
}
type_into_shell
expect "a command typed into the guest shell is answered (console input, IRQ 4)" 0 \
	"out:answer-42" "out:sprig-init: shell exited"

# The same as a person does it: sprig in a terminal (tmux), a command
# typed into the guest's shell, its answer on the screen, `exit` powers
# off, the terminal is as it was.
. "$here/tmux_lib.sh"
if tmux_available; then
	abs_sprig=$(cd "$(dirname "$SPRIG")" && pwd)/$(basename "$SPRIG")
	abs_k=$(cd "$K" && pwd)
	# sprig's stderr and the console are both the pane; $status is sprig's
	# if it already ended.
	shell_in_terminal() {
		in_terminal 120 "sprig-init: shell" "$abs_sprig --kernel $abs_k/minimal.bz --initrd $abs_k/initramfs.gz \
--mem $MEM --cmdline '$CMDLINE sprig.shell'" && return 0
		status=$(cat "$T/status" 2>/dev/null)
		tm capture-pane -p -S -200 >"$T/pane" 2>&1
		return 1
	}
	if shell_in_terminal; then
		sleep 2
		tm send-keys 'echo typed-$((6 * 7))' Enter
		if wait_for 30 pane_has "typed-42"; then
			pass "keys typed in a terminal (tmux) reach the Linux shell and its answer comes back"
		else
			echo "FAIL $LABEL: keys typed in a terminal reach the Linux shell: no answer"
			tm capture-pane -p | tail -n 10 | sed 's/^/    | /'
		fi
		tm send-keys 'exit' Enter
		restored "exit in the Linux shell powers off: sprig exits 0, terminal restored" 0 60
	else
		echo "FAIL $LABEL: Linux shell in a terminal (tmux): no shell prompt; the pane:"
		tm capture-pane -p 2>&1 | tail -n 10 | sed 's/^/    | /'
	fi
else
	echo "SKIP $LABEL: Linux shell in a terminal: no tmux here or staged next to linux.sh"
fi

# QEMU microvm on the same kernel and initramfs: the reference for what
# the kernel should say. Where QEMU is staged (the nested VM: under KVM).
if [ -x "$QEMU" ]; then
	for kernel in debian.bz minimal.bz; do
		name=qemu-${kernel%.bz}
		# 15-30 s in the nested VM; a limit, so a hang is a FAIL, not a stall.
		qemu_boot 90 "$name.out" "$kernel" ""
		if ! grep -q "sprig-init: poweroff" "$T/$name.out"; then
			echo "FAIL $LABEL: $kernel under QEMU microvm, the reference: did not reach init's poweroff; its last lines:"
			tail -n 5 "$T/$name.out" | sed 's/^/    | /'
			continue
		fi
		ours=$T/${kernel%.bz}-bz-2.out
		same=1
		# Timestamps differ; the console's CRs (ONLCR) are not the kernel's.
		for pattern in 'Linux version ' 'Command line: ' 'smp: Brought up' \
			'sprig-init: cpus ' 'sprig-init: cmdline '; do
			a=$(tr -d '\r' <"$ours" | grep -a -m 1 -F "$pattern" | sed 's/^.*\] //')
			b=$(tr -d '\r' <"$T/$name.out" | grep -a -m 1 -F "$pattern" | sed 's/^.*\] //')
			[ -n "$a" ] && [ "$a" = "$b" ] || { same=0; echo "    | sprig: $a"; echo "    | qemu:  $b"; }
		done
		if [ $same = 1 ]; then
			pass "$kernel, 2 vCPUs: version, command line, CPUs from the MADT and init's view equal QEMU microvm's"
		else
			echo "FAIL $LABEL: $kernel, 2 vCPUs, against QEMU microvm: lines differ (above); QEMU's last lines:"
			tail -n 5 "$T/$name.out" | sed 's/^/    | /'
		fi
	done
else
	echo "SKIP $LABEL: Linux against QEMU microvm: no qemu-system-x86_64 staged next to linux.sh"
fi
