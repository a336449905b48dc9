PATH=/run/current-system/sw/bin:/nix/var/nix/profiles/default/bin:$PATH
p=/nix/var/nix/profiles/system
d=/var/lib/fleet
m=$d/rollback-marker
by=${2:-boot-watchdog}
mkdir -p "$d"
exec 9>"$d/rollback.lock"
flock 9
[ -f "$m" ] || exit 0
id=$(sed -n 3p "$m")
if [ -n "${1-}" ] && [ "$id" != "$1" ]; then
  echo "fleet: $m belongs to deployment $id, not $1: nothing to roll back" >&2
  exit 0
fi
n=$(sed -n 1p "$m")
case "$n" in ''|*[!0-9]*) echo "fleet: damaged rollback marker $m" >&2; exit 1;; esac
u=$(cat "$d/activation.unit" 2>/dev/null)
if [ -n "$u" ]; then systemctl stop "$u.service" 2>/dev/null; fi
: > "$d/rollback.log"
if ! nix-env --profile "$p" --switch-generation "$n" >>"$d/rollback.log" 2>&1; then
  cat "$d/rollback.log" >&2
  exit 1
fi
"$p/bin/switch-to-configuration" switch </dev/null >>"$d/rollback.log" 2>&1
r=$?
if [ "$r" != 0 ]; then echo "fleet: activation of generation $n failed (exit $r)" >&2; fi
printf '%s\n%s\n%s\n' "${id:-unknown}" "$r" "$by" > "$d/.rollback.result"
mv -f "$d/.rollback.result" "$d/rollback.result"
rm -f "$m"
sync
systemctl stop fleet-rollback-watchdog.timer fleet-rollback-boot.timer 2>/dev/null || true
exit 0
