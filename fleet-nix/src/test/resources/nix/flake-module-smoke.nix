# Evaluates fleet-nix's flake-parts module with a stand-in for the few nixpkgs lib functions it
# calls (nixpkgs is not reachable here), checking what it outputs for a seed-shaped configuration.
{ fleetDir }:
let
  fleetLib = import (fleetDir + "/src/main/nix/lib.nix");
  flakeModule = import (fleetDir + "/src/main/nix/flake-module.nix") { inherit fleetLib; };
  lib = {
    mkOption = attrs: attrs;
    types = {
      lazyAttrsOf = t: t;
      deferredModule = "deferredModule";
    };
    mapAttrs = builtins.mapAttrs;
  };
  result = flakeModule {
    inherit lib;
    inputs = { };
    self = /nonexistent-flake-root;
    config.fleetConfigurations.default = {
      imports = [ { hosts.b.tags = [ "from-import" ]; } ];
      hosts.a = { system = "aarch64-linux"; };
      sharedSecrets.s = { expectedOwners = [ "a" "b" ]; generator = { mkPassword }: mkPassword { }; };
    };
  };
  fc = result.config.flake.fleetConfigurations.default;
in
{
  optionType = result.options.fleetConfigurations.type;
  hosts = builtins.mapAttrs (n: h: { inherit (h) system tags; }) fc.hosts;
  sharedSecretOwners = fc.sharedSecrets.s.owners;
  generatorKind = fc.sharedSecrets.s.generator.kind;
}
