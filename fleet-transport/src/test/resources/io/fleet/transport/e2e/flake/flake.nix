# Test systems for the fleet end-to-end tests (SystemFlake). Each "system" is a store path with
# bin/switch-to-configuration, like a NixOS system, built with nothing but /bin/sh so no nixpkgs
# is needed. Activation records itself in /run/fleet-test/activations, points /run/current-system
# at the system (switch, test), and can be told to fail or hang for one system path through
# /run/fleet-test/fail-activation and /run/fleet-test/hang-activation (see SshdHost).
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
                sys=${builtins.placeholder "out"}
                action=$1
                c=/run/fleet-test
                echo "$action $sys" >> $c/activations
                if [ -f $c/hang-activation ] && [ "$(sed -n 1p $c/hang-activation)" = "$sys" ]; then
                  touch $c/activation-hanging
                  sleep "$(sed -n 2p $c/hang-activation)"
                fi
                if [ -f $c/fail-activation ] && [ "$(cat $c/fail-activation)" = "$sys" ]; then
                  echo "switch-to-configuration: activating $sys failed (test)" >&2
                  exit 1
                fi
                case "$action" in
                  switch|test) ln -sfn "$sys" /run/current-system ;;
                esac
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
