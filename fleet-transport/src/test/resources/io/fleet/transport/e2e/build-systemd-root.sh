#!/bin/sh
# Builds the root tree of the systemd test hosts (SystemdHost): Debian 12 (bookworm) with systemd
# as PID 1, OpenSSH, sudo and Debian's nix 2.8, made with debootstrap. Usage: build-systemd-root.sh
# DIR MIRROR. Builds into DIR.partial and renames it to DIR only when complete, so a tree that is
# there is whole (a killed build leaves only DIR.partial, removed by the next run). The caller holds
# a lock so that two JVMs never build at once. Host-specific state (host key, port, authorized keys,
# profile) is not here: each host adds it in its own writable layer.
set -eu
dir=$1
mirror=$2
tmp=$dir.partial
rm -rf "$tmp"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,openssh-server,dbus,sudo,procps \
  bookworm "$tmp" "$mirror"
# Packages beyond debootstrap's: the nix CLI (the host's store, nix-env, nix-store --import).
systemd-nspawn -q --register=no --keep-unit -D "$tmp" /bin/sh -c \
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nix-bin >/dev/null && apt-get clean'
mkdir -p "$tmp/etc/nix"
printf 'build-users-group =\nsandbox = false\nexperimental-features = nix-command flakes\n' \
  > "$tmp/etc/nix/nix.conf"
# Each host gets its own host key in its layer; none is shared through the tree.
rm -f "$tmp"/etc/ssh/ssh_host_*
# Quiet, fast boots: nothing periodic, no gettys on a console nobody reads.
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  fstrim.timer e2scrub_reap.service getty@tty1.service console-getty.service \
  systemd-networkd.service systemd-resolved.service systemd-timesyncd.service; do
  ln -sfn /dev/null "$tmp/etc/systemd/system/$u"
done
rm -f "$tmp/etc/systemd/system/getty.target.wants/getty@tty1.service" \
  "$tmp/etc/systemd/system/timers.target.wants/"*
# The non-root deploy user: no password ("*": not locked, so sshd lets its key in), and sudo
# without a password, as a deployment through sudo needs.
systemd-nspawn -q --register=no --keep-unit -D "$tmp" /bin/sh -c \
  'useradd --create-home --shell /bin/sh deploy && usermod -p "*" deploy'
echo 'deploy ALL=(ALL) NOPASSWD: ALL' > "$tmp/etc/sudoers.d/deploy"
chmod 0440 "$tmp/etc/sudoers.d/deploy"
# At boot, /run/current-system is the profile's system, as NixOS's boot activation makes it.
cat > "$tmp/etc/systemd/system/fleet-test-current-system.service" <<'UNIT'
[Unit]
Description=Point /run/current-system at the system profile (as a NixOS boot does)
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target
ConditionPathExists=/nix/var/nix/profiles/system

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'ln -sfn "$$(readlink -f /nix/var/nix/profiles/system)" /run/current-system'

[Install]
WantedBy=sysinit.target
UNIT
ln -sfn ../fleet-test-current-system.service \
  "$tmp/etc/systemd/system/sysinit.target.wants/fleet-test-current-system.service"
echo complete > "$tmp/.fleet-test-root"
mv "$tmp" "$dir"
