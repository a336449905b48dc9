# Test systems for the fleet end-to-end tests (SystemFlake). Each "system" is a store path with
# bin/switch-to-configuration, like a NixOS system, built with nothing but /bin/sh so no nixpkgs
# is needed. Activation records itself in /var/lib/fleet-test/activations, points
# /run/current-system at the system (switch, test), (re)starts sshd as a NixOS switch does, and can
# be told to fail, hang or stop sshd (see switchScript and SystemdHost).
{
  outputs = { self }:
    let
      mk = system:
        let
          # Shared by every version: copied once, then never again.
          base = builtins.derivation {
            name = "fleet-test-base";
            inherit system;
            builder = "/bin/sh";
            args = [ "-c" "/bin/mkdir -p $out && /bin/dd if=/dev/urandom of=$out/blob bs=65536 count=16 2>/dev/null" ];
          };
          version = v: kib:
            let
              payload = builtins.derivation {
                name = "fleet-test-payload-${v}";
                inherit system;
                builder = "/bin/sh";
                args = [ "-c" "/bin/mkdir -p $out && /bin/dd if=/dev/urandom of=$out/blob bs=1024 count=${toString kib} 2>/dev/null" ];
              };
            in
            builtins.derivation {
              name = "fleet-test-system-${v}";
              inherit system;
              builder = "/bin/sh";
              args = [ "-c" ''
                /bin/mkdir -p $out/bin
                echo ${v} > $out/version
                /bin/ln -s ${base} $out/base
                /bin/ln -s ${payload} $out/payload
                printf '%s\n' "$switchScript" > $out/bin/switch-to-configuration
                /bin/chmod +x $out/bin/switch-to-configuration
              '' ];
              switchScript = ''
                #!/bin/sh
                # Behaves as the test needs, told by the control files in /var/lib/fleet-test
                # (SystemdHost.CONTROL): each holds store paths, one per line, of the systems
                # the behaviour applies to.
                sys=${builtins.placeholder "out"}
                action=$1
                c=/var/lib/fleet-test
                applies() { [ -f "$c/$1" ] && grep -qxF "$sys" "$c/$1"; }
                mkdir -p $c
                echo "$action $sys" >> $c/activations
                echo "activating $sys ($action)"
                if applies hang-activation; then
                  touch $c/activation-hanging
                  sleep "$(cat $c/hang-seconds 2>/dev/null || echo 5)"
                fi
                case "$action" in
                  switch|test) ln -sfn "$sys" /run/current-system ;;
                esac
                if applies cut-ssh; then
                  # The new system has no sshd: nothing can log in until a rollback restarts it.
                  echo "stopping ssh.service"
                  systemctl stop ssh.socket ssh.service
                  pkill -KILL -x sshd
                  exit 0
                fi
                # Like NixOS, a system that is switched to (re)starts its sshd.
                case "$action" in
                  switch|test)
                    if [ -d /run/systemd/system ]; then systemctl start ssh.service; fi ;;
                esac
                if applies fail-activation; then
                  echo "starting the following units: broken.service"
                  echo "switch-to-configuration: activating $sys failed (test)" >&2
                  exit 4
                fi
                exit 0
              '';
            };
        in
        {
          v1 = version "v1" 256;
          v2 = version "v2" 512;
          v3 = version "v3" 768;
        };
    in
    {
      systems = builtins.listToAttrs (map (s: { name = s; value = mk s; })
        [ "x86_64-linux" "aarch64-linux" ]);
    };
}
