#!/bin/sh
# Installs one stored part of a fleet secret; run by secrets.nix at activation, as root.
# Usage: install-secret-part.sh SECRETS_DIR IDENTITY NAME PART RAW_FILE OWNER GROUP MODE
#   RAW_FILE holds the part's `raw` value from fleet.nix: <ENCRYPTED><BASE64-ENCODED> (an age file,
#   decrypted with IDENTITY, the host's SSH key), <BASE64-ENCODED>, <PLAINTEXT-NL> or <PLAINTEXT>.
# Writes SECRETS_DIR/NAME/PART, never half written and never readable by anyone else before its
# owner and mode are set.
#
# The owner is often a service user and must not be able to redirect root's writes. So:
# - SECRETS_DIR and SECRETS_DIR/NAME belong to the installing user (root) and no one else can
#   write in them; the secret's group may list NAME when MODE gives the group read access, others
#   may only pass through to a part whose own mode lets them read it.
# - The part is staged in SECRETS_DIR/NAME (mktemp: a new file, mode 0600), where only root can
#   create, remove or rename entries, so nobody can put a link in its place; its owner and mode are
#   set there (chown -h never follows a link) and it is renamed over PART with mv -T, which
#   replaces whatever entry is there instead of following it.
# - An entry fleet did not make (a link, a file where the directory belongs, a directory someone
#   else owns or can write, a directory where a part belongs) is refused, never used.
# Needs base64, head, tail, tr, mktemp, id, stat, chgrp, chown, chmod, mv and age on PATH.
set -u
root=$1 identity=$2 name=$3 part=$4 raw=$5 owner=$6 group=$7 mode=$8
refuse() {
  echo "fleet: cannot install secret $name part $part: $*" >&2
  exit 1
}
case "$mode" in
  [0-7][0-7][0-7] | 0[0-7][0-7][0-7]) ;;
  *) echo "fleet: secret $name: mode $mode is not an octal mode such as 0400" >&2; exit 2 ;;
esac
# The rules of io.fleet.api.Names: no '/', no leading '.', so never '..' or a path elsewhere.
case "$name" in
  "" | [!A-Za-z0-9_]* | *[!A-Za-z0-9._+@-]*)
    echo "fleet: '$name' is not a valid secret name (letters, digits, . _ + @ -, no leading .)" >&2
    exit 2 ;;
esac
case "$part" in
  "" | [!A-Za-z0-9_]* | *[!A-Za-z0-9._-]*)
    echo "fleet: secret $name: '$part' is not a valid part name (letters, digits, . _ -)" >&2
    exit 2 ;;
esac
case "$owner$group" in
  -*) echo "fleet: secret $name: owner '$owner' or group '$group' starts with '-'" >&2; exit 2 ;;
esac
me=$(id -u) || exit 1

# Whether $1 is a directory, not a link, owned by the installing user and writable by no one else.
ours() {
  [ -d "$1" ] && [ ! -L "$1" ] || return 1
  set -- $(stat -c '%u %a' -- "$1") || return 1
  [ "$1" = "$me" ] && [ $((0$2 & 022)) = 0 ]
}

[ -e "$root" ] || [ -L "$root" ] || mkdir -p -m 0751 -- "$root" || exit 1
ours "$root" || refuse "$root is not a directory owned by user $me that no one else can write"
dir="$root/$name"
if [ -e "$dir" ] || [ -L "$dir" ]; then
  ours "$dir" || refuse "$dir was not made by fleet (it must be a directory owned by user $me that no one else can write); remove it and activate again"
else
  # Without -p: if anything appeared there meanwhile, this fails rather than reusing it.
  mkdir -m 0700 -- "$dir" || exit 1
fi
# Group listing where the part's mode gives the group read access, passing through for others.
case "$mode" in
  *[4567][0-7]) dirmode=0751 ;;
  *) dirmode=0711 ;;
esac
chgrp -h -- "$group" "$dir" && chmod -- "$dirmode" "$dir" || exit 1
target="$dir/$part"
if [ -L "$target" ] || { [ -e "$target" ] && [ ! -f "$target" ]; }; then
  refuse "$target is not a regular file fleet made; remove it and activate again"
fi

umask 077
tmp=$(mktemp -- "$dir/.$part.XXXXXX") || exit 1
header=$(head -n 1 -- "$raw")
# The body after the marker line as bytes; fleet.nix may leave out base64's '=' padding.
unbase64() {
  tail -n +2 -- "$raw" | tr -d ' \t\r\n' | {
    IFS= read -r s || true
    case $((${#s} % 4)) in 2) s="$s==" ;; 3) s="$s=" ;; esac
    printf '%s' "$s"
  } | base64 -d
}
ok=1
case "$header" in
  "<ENCRYPTED><BASE64-ENCODED>")
    unbase64 | age -d -i "$identity" > "$tmp" || ok=0 ;;
  "<BASE64-ENCODED>")
    unbase64 > "$tmp" || ok=0 ;;
  "<PLAINTEXT-NL>")
    tail -n +2 -- "$raw" > "$tmp" || ok=0 ;;
  "<PLAINTEXT>"*)
    tail -c +12 -- "$raw" > "$tmp" || ok=0 ;;
  *)
    echo "fleet: secret $name part $part has an encoding this host cannot install; re-encode it with fleet" >&2
    ok=0 ;;
esac
if [ "$ok" = 1 ] && chown -h -- "$owner:$group" "$tmp" && chmod -- "$mode" "$tmp" \
  && mv -fT -- "$tmp" "$target"; then
  exit 0
fi
echo "fleet: cannot install secret $name part $part (is it encrypted to this host's key?)" >&2
rm -f -- "$tmp"
exit 1
