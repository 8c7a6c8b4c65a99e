# What container engines expect of the machine, made only where missing:
# shared by the tests (lib.sh sources it) and bench/oci-measure, which runs
# staged on its own. POSIX sh, sourced; no side effects until called.

# cgroup2_here: /sys/fs/cgroup is cgroup v2, mounted first when nothing is
# there (the nested VM's initramfs mounts none). Else says what is there in
# $cgroup_what for a skip line.
cgroup2_here() {
	cgroup_what=$(awk '$2 == "/sys/fs/cgroup" { t = $3 } END { print t }' /proc/mounts)
	if [ -z "$cgroup_what" ]; then
		mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
		cgroup_what=$(awk '$2 == "/sys/fs/cgroup" { t = $3 } END { print t }' /proc/mounts)
	fi
	[ "$cgroup_what" = cgroup2 ]
}

# What podman and containerd expect of the machine: the nested VM has none
# of it, a Debian host with podman all.
podman_host_ready() {
	[ -d /var/tmp ] || { mkdir -p /var/tmp && chmod 1777 /var/tmp; }
	grep -q " /dev/shm " /proc/mounts || { mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm; }
	cgroup2_here
	[ -f /etc/containers/policy.json ] ||
		{ mkdir -p /etc/containers && echo '{"default": [{"type": "insecureAcceptAnything"}]}' >/etc/containers/policy.json; }
}
