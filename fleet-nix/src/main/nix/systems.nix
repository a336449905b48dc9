# System builders: turn a host's NixOS modules into { toplevel; config; secrets; }.
let
  modulesLib = import ./modules.nix;
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
    }:
    let
      evaluated = modulesLib.evalModules {
        modules = modules;
        args = {
          lib = modulesLib;
          inherit name;
          pkgs = null;
        }
        // specialArgs;
        root = "<nixos configuration of ${name}>";
      };
      config = evaluated.config;
      toplevel = builtins.derivation {
        name = "fleet-system-${name}";
        inherit system;
        builder = "/bin/sh";
        PATH = "/usr/bin:/bin";
        hostName = name;
        configJSON = toJSON (jsonable config);
        inherit switchScript;
        activationScript = config.activationScript or "";
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
    {
      inherit toplevel config;
      secrets = config.secrets or { };
    };

  # A real NixOS system from nixpkgs, with this project's NixOS modules (secrets, rollback watchdog).
  nixosSystem =
    nixpkgs:
    {
      name,
      system,
      modules ? [ ],
      specialArgs ? { },
    }:
    let
      sys = nixpkgs.lib.nixosSystem {
        inherit system specialArgs;
        modules = [
          ./nixos/default.nix
          { networking.hostName = nixpkgs.lib.mkDefault name; }
        ]
        ++ modules;
      };
    in
    {
      toplevel = sys.config.system.build.toplevel;
      config = sys.config;
      secrets = sys.config.secrets;
      nixos = sys;
    };
}
