#!/bin/sh
# CPU model tests: usage cpu.sh SPRIG GUEST_DIR [LABEL], like run.sh.
# The core check: what the cpuid guest sees on every vCPU equals what
# `sprig cpu show` promises for that vCPU, leaf by leaf and MSR by MSR.
. "$(dirname "$0")/lib.sh"
CPUID_GUEST=$GUESTS/cpuid.elf
CPUID_DIFF=$(dirname "$0")/cpuid_diff

# compare_vcpus NAME SPEC FLAGS... : boot the cpuid guest, then check
# each vCPU's lines against `sprig cpu show SPEC FLAGS --vcpu i`.
compare_vcpus() {
	name=$1 spec=$2
	shift 2
	sprig --kernel "$CPUID_GUEST" --cpu "$spec" "$@"
	if [ "$status" != 0 ]; then
		fail "$name" "exit status $status"
		return
	fi
	cp "$T/out" "$T/guest" && cp "$T/err" "$T/guest.err"
	cpus=$(grep -c '^apic [0-9]*: cpuid 0x00000000\.00' "$T/guest")
	want=1
	for f in "$@"; do case $prev in --cpus) want=$f ;; esac; prev=$f; done
	prev=
	if [ "$cpus" != "$want" ]; then
		fail "$name" "$cpus of $want vCPUs printed their CPUID"
		return
	fi
	i=0
	while [ $i -lt "$cpus" ]; do
		timeout 60 "$SPRIG" cpu show "$spec" "$@" --vcpu $i >"$T/show" 2>"$T/show.err"
		if [ $? != 0 ]; then
			cp "$T/show.err" "$T/err"
			fail "$name" "sprig cpu show failed for vCPU $i"
			return
		fi
		apic=$(sed -n 's/^#.* APIC id \([0-9]*\)$/\1/p' "$T/show")
		grep -E '^(cpuid|msr) ' "$T/show" >"$T/expected"
		sed -n "s/^apic $apic: //p" "$T/guest" >"$T/seen"
		if ! "$CPUID_DIFF" compare "$T/expected" "$T/seen" "$T/forced" >"$T/out" 2>&1; then
			: >"$T/err"
			fail "$name" "vCPU $i (APIC id $apic): guest's CPUID differs from cpu show"
			return
		fi
		uncompared=$(sed -n 's/^not compared: //p' "$T/out")
		i=$((i + 1))
	done
	if ! cmp -s "$T/guest.err" "$T/show.err"; then
		cp "$T/guest.err" "$T/out" && cp "$T/show.err" "$T/err"
		fail "$name" "the VM and cpu show warned differently"
		return
	fi
	pass "$name ($cpus vCPUs, $(grep -c '^cpuid' "$T/expected") leaves each${uncompared:+; not compared: $uncompared})"
}

# Some hosts' KVM answers part of CPUID itself whatever sprig set
# (kvm-pvm: leaves 1, 7 and 0xd, docs/host-notes.md). Learn which bits
# from the models that differ most from each other, base and max,
# accepting a difference only where the guest saw the host CPU's own
# value, or the same value under both models though sprig set it
# differently.
learn_forced_bits() {
	"$CPUID_DIFF" native >"$T/native"
	: >"$T/forced"
	learn_args=
	for model in base max; do
		sprig --kernel "$CPUID_GUEST" --cpu "$model"
		[ "$status" = 0 ] || fail "cpu $model: the cpuid guest runs" "exit status $status"
		timeout 60 "$SPRIG" cpu show "$model" --vcpu 0 2>/dev/null | grep -E '^(cpuid|msr) ' >"$T/expected-$model"
		sed -n "s/^apic 0: //p" "$T/out" >"$T/seen-$model"
		learn_args="$learn_args $T/expected-$model $T/seen-$model"
	done
	# shellcheck disable=SC2086
	if ! "$CPUID_DIFF" learn "$T/native" $learn_args >"$T/forced" 2>"$T/err"; then
		: >"$T/out"
		fail "cpu base and max: what the guest sees differs from cpu show only by the host KVM's bits" \
			"the guest saw bits neither sprig nor this host set"
	fi
	if [ -s "$T/forced" ]; then
		echo "SKIP $LABEL: cpu models: $(grep -c '^mask' "$T/forced") registers' bits and" \
			"$(grep -c '^leaf' "$T/forced") whole leaves are this host KVM's own (kvm-pvm)," \
			"whatever sprig sets: not compared ($(tr '\n' ';' <"$T/forced"))"
	fi
}
learn_forced_bits

# forced_bit LEAF.SUB REG BIT: is that bit the host KVM's, not sprig's?
forced_bit() {
	leaf=${1%%.*}
	grep -q "^leaf $leaf\$" "$T/forced" && return 0
	for mask in $(sed -n "s/^mask $1 $2 \([0-9a-f]*\) .*/\1/p" "$T/forced"); do
		[ $(((0x$mask >> $3) & 1)) = 1 ] && return 0
	done
	return 1
}

# Bit N of register REG (eax..edx) of LEAF.SUB as vCPU with APIC id 0 saw it.
guest_bit() {
	line=$(grep "^apic 0: cpuid $1 " "$T/guest")
	value=$(echo "$line" | sed "s/.* $2=\([0-9a-f]*\).*/\1/")
	echo $(((0x$value >> $3) & 1))
}

timeout 60 "$SPRIG" cpu list >"$T/out" 2>"$T/err"
status=$?
expect "cpu list" 0 "out:host " "out:max " "out:base " "out:x86-64-v2 " "out:x86-64-v3 " \
	"out:x86-64-v4 " "out:microvm " "out:pvm-safe "
MODELS=$(cut -d' ' -f1 "$T/out")

for model in $MODELS; do
	compare_vcpus "cpu $model: guest sees what cpu show says" "$model"
done
compare_vcpus "cpu host, 4 vCPUs: per-vCPU APIC ids" host --cpus 4
compare_vcpus "cpu x86-64-v2, 2 threads per core" x86-64-v2 --cpus 4 --threads-per-core 2
compare_vcpus "cpu host, 2 packages of 3 cores (sparse APIC ids)" host --cpus 6 --cores 3
compare_vcpus "cpu x86-64-v1 with -pae... changes" "x86-64-v1,-mtrr,+pmu,kvm-pv-eoi=off" --cpus 2
compare_vcpus "cpu microvm,+pmu" "microvm,+pmu"

# -feat disappears: a feature this host's KVM offers, taken away.
timeout 60 "$SPRIG" cpu show host >"$T/host" 2>/dev/null
HOST_FEATURES=$(sed -n 's/^features: //p' "$T/host")
has_feature() { case " $HOST_FEATURES " in *" $1 "*) return 0 ;; esac; return 1; }
if forced_bit 0x00000001.00 ecx 13; then
	echo "SKIP $LABEL: cpu host,-cx16: this host's KVM reports the host's cx16 whatever sprig sets"
elif has_feature cx16; then
	sprig --kernel "$CPUID_GUEST" --cpu host
	before=$(cp "$T/out" "$T/guest"; guest_bit 0x00000001.00 ecx 13)
	sprig --kernel "$CPUID_GUEST" --cpu host,-cx16
	after=$(cp "$T/out" "$T/guest"; guest_bit 0x00000001.00 ecx 13)
	if [ "$before" = 1 ] && [ "$after" = 0 ] && [ "$status" = 0 ]; then
		pass "cpu host,-cx16: cx16 gone from the guest's leaf 1"
	else
		fail "cpu host,-cx16: cx16 gone from the guest's leaf 1" "bit was $before, now $after"
	fi
else
	echo "SKIP $LABEL: cpu host,-cx16: this host's KVM does not offer cx16"
fi

# +feat the host lacks: warned about and removed; an error under enforce.
missing=
for f in avx512f amx_tile avx512_fp16 sgx; do
	has_feature $f || { missing=$f; break; }
done
if [ -n "$missing" ]; then
	sprig --kernel "$CPUID_GUEST" --cpu "host,+$missing"
	expect "cpu host,+$missing (not offered): warns, boots without it" 0 \
		"err:warning: cpu host: $missing is not offered by this host's KVM; removed" \
		"out:cpuid: 1 of 1 vCPUs printed"
	sprig --kernel "$CPUID_GUEST" --cpu "host,+$missing" --cpu-check enforce
	expect "cpu host,+$missing under cpu-check = enforce: exit 1" 1 \
		"err:cpu host (cpu-check = enforce): $missing is not offered"
	timeout 60 "$SPRIG" cpu show "host,+$missing" --cpu-check enforce >"$T/out" 2>"$T/err"
	status=$?
	expect "cpu show host,+$missing under enforce: exit 1" 1 "err:$missing is not offered"
else
	echo "SKIP $LABEL: cpu +feature the host lacks: this host's KVM offers every candidate"
fi

# A dependency: without xsave, avx and the rest of the XSAVE family go
# too (x86-64-v3 asks for them), and leaf 0xd claims no state. It stays
# below the maximum leaf as zeros, as QEMU shows a model without xsave:
# KVM answers a leaf it has no entry for with zeros, and Linux reads an
# all-zero leaf 0xd as "no XSAVE" (docs/cpu-models.md).
timeout 60 "$SPRIG" cpu show x86-64-v3,-xsave >"$T/out" 2>"$T/err"
status=$?
name="cpu x86-64-v3,-xsave: no XSAVE family, leaf 0xd all zero"
left=
for f in xsave avx avx2 fma f16c xsaveopt xsavec xgetbv1 xsaves; do
	case " $(sed -n 's/^features: //p' "$T/out") " in *" $f "*) left="$left $f" ;; esac
done
claims=$(grep '^cpuid 0x0000000d' "$T/out" | grep -v 'eax=00000000 ebx=00000000 ecx=00000000 edx=00000000')
if [ "$status" != 0 ] || ! grep -q '^features: ' "$T/out"; then
	fail "$name" "cpu show: exit status $status"
elif [ -n "$left" ]; then
	fail "$name" "still offered:$left"
elif [ -n "$claims" ]; then
	fail "$name" "leaf 0xd claims state: $claims"
elif has_feature avx && ! grep -q "avx needs xsave" "$T/err"; then
	fail "$name" "avx was offered and went without a warning"
else
	pass "$name"
fi
# The guest's view of the same model, leaf 0xd included where this host's
# KVM lets sprig decide it.
if grep -q '^leaf 0x0000000d$' "$T/forced"; then
	echo "SKIP $LABEL: cpu x86-64-v3,-xsave: the guest's leaf 0xd is this host KVM's whatever sprig sets (kvm-pvm)"
fi
compare_vcpus "cpu x86-64-v3,-xsave: guest sees what cpu show says" "x86-64-v3,-xsave"

# Malformed model strings: exit 1 and one clear line.
sprig --cpu nosuchmodel
expect "cpu: unknown model" 1 "err:--cpu: cpu: unknown model 'nosuchmodel'"
sprig --cpu host,+nosuchfeature
expect "cpu: unknown feature" 1 "err:unknown feature 'nosuchfeature'"
sprig --cpu host,avx2
expect "cpu: feature without + or -" 1 "err:'avx2': write +feature, -feature"
sprig --cpu host,,+sse
expect "cpu: empty feature" 1 "err:empty feature after ','"
sprig --cpu ,+sse
expect "cpu: no model name" 1 "err:no model name"
sprig --cpu host,+sse2,-sse2
expect "cpu: a feature both added and removed" 1 "err:sse2 is both added and removed"
sprig --cpu-check strict
expect "cpu-check: bad value" 1 "err:expected warn or enforce"
printf 'mem = 64M\ncpu = x86-64-v9\n' >"$T/cpu.conf"
sprig run "$T/cpu.conf"
expect "cpu: error in a config file names file:line" 1 "err:cpu.conf:2: cpu: unknown model"
sprig --cpus 5 --cores 2
expect "topology that does not add up" 1 "err:cpus = 5 is not a whole number of packages"
timeout 60 "$SPRIG" cpu show host --vcpu 3 >"$T/out" 2>"$T/err"
status=$?
expect "cpu show --vcpu beyond the last vCPU" 1 "err:--vcpu: beyond the last vCPU"
timeout 60 "$SPRIG" cpu frobnicate >"$T/out" 2>"$T/err"
status=$?
expect "cpu: unknown subcommand" 1 "err:usage: sprig cpu list"

# Instructions some hosts' emulators refuse (docs/host-notes.md): run
# them where CPUID offers them; a host that cannot is a skip with the
# reason, and pvm-safe must not offer them at all.
for insn in cx16 xsave; do
	case $insn in cx16) ok="cmpxchg16b ok" ;; *) ok="xsave/xrstor ok, osxsave 1" ;; esac
	sprig --kernel "$TESTGUEST" --cpu host --cmdline "action=$insn"
	if [ "$status" = 0 ] && has_out "testguest: $ok"; then
		pass "cpu host: $insn runs in the guest"
	elif [ "$status" = 0 ] && has_out "testguest: $insn not offered"; then
		echo "SKIP $LABEL: cpu host: $insn runs in the guest: this host's KVM does not offer $insn"
	elif has_err "emulation failure" || has_err "KVM_EXIT_INTERNAL_ERROR"; then
		echo "SKIP $LABEL: cpu host: $insn runs in the guest: this host's KVM cannot emulate it (use cpu = pvm-safe)"
	else
		fail "cpu host: $insn runs in the guest" "exit status $status"
	fi
	case $insn in cx16) bit=13 ;; *) bit=26 ;; esac
	if forced_bit 0x00000001.00 ecx $bit; then
		echo "SKIP $LABEL: cpu pvm-safe: $insn not offered: this host's KVM reports the host's $insn in CPUID whatever sprig sets"
		continue
	fi
	sprig --kernel "$TESTGUEST" --cpu pvm-safe --cmdline "action=$insn"
	expect "cpu pvm-safe: $insn not offered" 0 "out:testguest: $insn not offered"
done
