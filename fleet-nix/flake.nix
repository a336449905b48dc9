{
  description = "Fleet for Java: fleet configurations evaluated by io.fleet.nix.NixEvaluator, and the NixOS modules for secrets and rollback";

  # No inputs: the fleet library needs only builtins; NixOS systems use the caller's nixpkgs.
  outputs =
    { self }:
    let
      fleetLib = import ./src/main/nix/lib.nix;
    in
    {
      # fleet.lib.fleetConfiguration { modules = [ ... ]; nixpkgs = inputs.nixpkgs; }
      lib = fleetLib;

      # For flake-parts: imports = [ inputs.fleet.flakeModules.default ];
      flakeModules.default = import ./src/main/nix/flake-module.nix { inherit fleetLib; };

      nixosModules = {
        secrets = ./src/main/nix/nixos/secrets.nix;
        rollback-watchdog = ./src/main/nix/nixos/rollback-watchdog.nix;
        default = ./src/main/nix/nixos/default.nix;
      };
    };
}
