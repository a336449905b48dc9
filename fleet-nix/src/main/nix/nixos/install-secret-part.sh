#!/bin/sh
# Installs one stored part of a fleet secret; run by secrets.nix at activation.
# Usage: install-secret-part.sh SECRETS_DIR IDENTITY NAME PART RAW_FILE OWNER GROUP MODE
#   RAW_FILE holds the part's `raw` value from fleet.nix: <ENCRYPTED><BASE64-ENCODED> (an age file,
#   decrypted with IDENTITY, the host's SSH key), <BASE64-ENCODED>, <PLAINTEXT-NL> or <PLAINTEXT>.
# Writes SECRETS_DIR/NAME/PART through a temporary file in the same directory, so the part is
# never half written and never readable by anyone else before its owner and mode are set.
# Needs base64, head, tail, tr, mktemp, chown, chmod, mv and age on PATH.
set -u
root=$1 identity=$2 name=$3 part=$4 raw=$5 owner=$6 group=$7 mode=$8
case "$mode" in
  [0-7][0-7][0-7] | 0[0-7][0-7][0-7]) ;;
  *) echo "fleet: secret $name: mode $mode is not an octal mode such as 0400" >&2; exit 2 ;;
esac
dir="$root/$name"
mkdir -p "$dir" && chown "$owner:$group" "$dir" && chmod 0750 "$dir" || exit 1
umask 077
tmp=$(mktemp "$dir/.$part.XXXXXX") || exit 1
header=$(head -n 1 "$raw")
# The body after the marker line as bytes; fleet.nix may leave out base64's '=' padding.
unbase64() {
  tail -n +2 "$raw" | tr -d ' \t\r\n' | {
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
    tail -n +2 "$raw" > "$tmp" || ok=0 ;;
  "<PLAINTEXT>"*)
    tail -c +12 "$raw" > "$tmp" || ok=0 ;;
  *)
    echo "fleet: secret $name part $part has an encoding this host cannot install; re-encode it with fleet" >&2
    ok=0 ;;
esac
if [ "$ok" = 1 ] && chown "$owner:$group" "$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$dir/$part"; then
  exit 0
fi
echo "fleet: cannot install secret $name part $part (is it encrypted to this host's key?)" >&2
rm -f "$tmp"
exit 1
