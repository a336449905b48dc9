# A flake-parts module: declares `fleetConfigurations.<name>` (each a fleet module, as in the seed)
# and outputs `flake.fleetConfigurations.<name>` evaluated with fleet-nix's library (nixpkgs'
# lib.evalModules). NixOS systems are built with the fleet's `nixpkgs.buildUsing`, by default the
# flake's `nixpkgs` input; the fleet data is read from `fleet.nix` beside flake.nix.
{ fleetLib }:
{
  lib,
  config,
  inputs,
  self,
  ...
}:
{
  options.fleetConfigurations = lib.mkOption {
    type = lib.types.lazyAttrsOf lib.types.deferredModule;
    default = { };
    description = "Fleet configurations: hosts, fleet-wide nixos modules, multi-host imports and shared secrets.";
  };
  config.flake.fleetConfigurations = lib.mapAttrs (
    name: module:
    fleetLib.fleetConfiguration {
      modules = [ module ];
      nixpkgs = inputs.nixpkgs or null;
      specialArgs = { inherit inputs self; };
      data = if builtins.pathExists (self + "/fleet.nix") then import (self + "/fleet.nix") else null;
    }
  ) config.fleetConfigurations;
}
