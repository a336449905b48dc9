# System builders: turn a host's NixOS modules into a nixosSystem-like value ({ config; ... },
# with config.system.build.toplevel).
{ lib }:
let
  inherit (builtins)
    isAttrs
    isFunction
    isList
    mapAttrs
    toJSON
    ;

  # Functions cannot be written as JSON; keep a placeholder so the shape stays visible.
  jsonable = v:
    if isFunction v then
      "<function>"
    else if isAttrs v && (v.type or null) == "derivation" then
      v
    else if isAttrs v then
      mapAttrs (n: jsonable) (removeAttrs v [ "_module" ])
    else if isList v then
      map jsonable v
    else
      v;

  switchScript = ''
    #!/bin/sh
    # switch-to-configuration of a fleet shell system (no NixOS): records the activation.
    set -e
    case "$1" in
      switch|boot|test|dry-activate) ;;
      *) echo "usage: $0 switch|boot|test|dry-activate" >&2; exit 1 ;;
    esac
    here=$(cd "$(dirname "$0")/.." && pwd)
    echo "fleet shell system $(cat "$here/host-name"): $1"
    if [ "$1" != dry-activate ] && [ -x "$here/activate" ]; then
      exec "$here/activate" "$1"
    fi
  '';
in
{
  # A host system built without nixpkgs: a derivation made with builtins.derivation and /bin/sh,
  # holding bin/switch-to-configuration, the merged configuration as config.json and, when the
  # configuration sets `activationScript`, an `activate` script run on switch/boot/test.
  # For tests, examples and fake hosts; real hosts use `nixosSystem`.
  shellSystem =
    {
      name,
      system,
      modules ? [ ],
      specialArgs ? { },
      overlays ? [ ],
    }:
    let
      inherit (lib) mkOption types;
      # What the shell system itself declares; everything else is free-form (merged as JSON-like
      # values), so test configurations may set options NixOS would have.
      base =
        { config, ... }:
        {
          _file = "<fleet shell system>";
          imports = [ ./nixos/secret-options.nix ];
          freeformType = types.lazyAttrsOf types.anything;
          options = {
            networking.hostName = mkOption {
              type = types.str;
              default = name;
              description = "The host's name.";
            };
            activationScript = mkOption {
              type = types.lines;
              default = "";
              description = "Run by switch-to-configuration on switch, boot and test.";
            };
            assertions = mkOption {
              type = types.listOf types.unspecified;
              default = [ ];
              description = "As NixOS' assertions.";
            };
            warnings = mkOption {
              type = types.listOf types.str;
              default = [ ];
              description = "As NixOS' warnings.";
            };
            system.build = mkOption {
              type = types.lazyAttrsOf types.unspecified;
              default = { };
              description = "Build results; toplevel is the system.";
            };
          };
          config.system.build.toplevel = toplevel config;
        };
      evaluated = lib.evalModules {
        modules = [ base ] ++ modules;
        specialArgs = {
          inherit name;
          pkgs = null;
        }
        // specialArgs;
      };
      failed = map (a: a.message) (builtins.filter (a: !a.assertion) evaluated.config.assertions);
      toplevel =
        config:
        if failed != [ ] then
          throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
        else
          builtins.derivation {
            name = "fleet-system-${name}";
            inherit system;
            builder = "/bin/sh";
            PATH = "/usr/bin:/bin";
            hostName = name;
            configJSON = toJSON (jsonable (removeAttrs config [ "system" ]));
            inherit switchScript;
            inherit (config) activationScript;
            args = [
              "-c"
              ''
                set -e
                mkdir -p "$out/bin"
                printf '%s' "$configJSON" > "$out/config.json"
                printf '%s\n' "$hostName" > "$out/host-name"
                printf '%s' "$switchScript" > "$out/bin/switch-to-configuration"
                chmod 555 "$out/bin/switch-to-configuration"
                if [ -n "$activationScript" ]; then
                  printf '#!/bin/sh\n%s\n' "$activationScript" > "$out/activate"
                  chmod 555 "$out/activate"
                fi
              ''
            ];
          };
    in
    evaluated // { toplevel = evaluated.config.system.build.toplevel; };

  # A real NixOS system from nixpkgs (its lib.nixosSystem, i.e. nixos/lib/eval-config.nix), with
  # this project's NixOS modules (secrets, rollback watchdog); networking.hostName defaults to the
  # host's name.
  nixosSystem =
    nixpkgs:
    {
      name,
      system,
      modules ? [ ],
      specialArgs ? { },
      overlays ? [ ],
    }:
    nixpkgs.lib.nixosSystem {
      inherit system specialArgs;
      modules = [
        ./nixos/default.nix
        {
          _file = "<fleet defaults of host ${name}>";
          networking.hostName = nixpkgs.lib.mkDefault name;
          nixpkgs.overlays = overlays;
        }
      ]
      ++ modules;
    };
}
