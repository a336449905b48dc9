{
  description = "Fleet for Java: fleet configurations evaluated by io.fleet.nix.NixEvaluator, and the NixOS modules for secrets and rollback";

  # The fleet configuration is evaluated with nixpkgs' module system (lib.evalModules) from this
  # input, as flake-parts names it: `inputs.fleet.inputs.nixpkgs-lib.follows = "nixpkgs";` makes it
  # the user's nixpkgs. NixOS systems are built with the fleet's `nixpkgs.buildUsing`.
  inputs.nixpkgs-lib.url = "github:nix-community/nixpkgs.lib";

  outputs =
    { self, nixpkgs-lib }:
    let
      fleetLib = import ./src/main/nix/lib.nix { lib = nixpkgs-lib.lib; };
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
