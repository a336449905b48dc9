# Evaluates fleet-nix's NixOS rollback module with a stand-in for the nixpkgs lib functions and
# packages it uses (nixpkgs is not reachable here); returns the units it defines.
{ fleetDir }:
let
  lib = {
    mkOption = o: o;
    mkIf = cond: content: if cond then content else { };
    types = {
      bool = "bool";
      ints.positive = "positive";
    };
  };
  pkgs = {
    writeScript = name: text: builtins.toFile name text;
    coreutils = "/coreutils";
    gnused = "/gnused";
    util-linux = "/util-linux";
  };
  module = import (fleetDir + "/src/main/nix/nixos/rollback-watchdog.nix");
  config = {
    fleet.rollback = {
      enable = true;
      bootWindow = 600;
    };
    nix.package = "/nix-package";
    systemd.package = "/systemd";
  };
  evaluated = module { inherit config lib pkgs; };
  service = evaluated.config.systemd.services.fleet-rollback-boot;
in
{
  inherit (evaluated.config.systemd) tmpfiles timers;
  service = removeAttrs service [ "serviceConfig" ];
  execStart = builtins.readFile service.serviceConfig.ExecStart;
  execCondition = builtins.readFile service.serviceConfig.ExecCondition;
  defaultWindow = evaluated.options.fleet.rollback.bootWindow.default;
}
