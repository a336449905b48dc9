# Real NixOS hosts (the test points `nixpkgs` at the shared 2020 tree) whose configurations the
# real module system refuses, and fleet data with names that would escape /run/secrets.
{
  inputs.nixpkgs.url = "github:nixos/nixpkgs";
  inputs.fleet.url = "github:CertainLach/fleet";
  outputs = { self, nixpkgs, fleet }:
    let
      hardware = {
        fileSystems."/" = { device = "/dev/vda1"; fsType = "ext4"; };
        boot.loader.grub.device = "/dev/vda";
        environment.etc."fleet-test-run".text = "@NONCE@";
      };
      raw = "<ENCRYPTED><BASE64-ENCODED>\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCg\n";
    in {
      fleetConfigurations.undeclared = fleet.lib.fleetConfiguration {
        inherit nixpkgs;
        modules = [ { hosts.web.nixos = { imports = [ hardware ]; services.doesNotExist.enable = true; }; } ];
      };
      fleetConfigurations.wrongType = fleet.lib.fleetConfiguration {
        inherit nixpkgs;
        modules = [ { hosts.web.nixos = { imports = [ hardware ]; networking.firewall.allowedTCPPorts = [ "http" ]; }; } ];
      };
      fleetConfigurations.conflict = fleet.lib.fleetConfiguration {
        inherit nixpkgs;
        modules = [
          { hosts.web.nixos = { imports = [ hardware ]; time.timeZone = "UTC"; }; }
          { hosts.web.nixos.time.timeZone = "Europe/Berlin"; }
        ];
      };
      # A hand-edited fleet.nix: a secret and a part whose names are paths.
      # (Built with nixpkgs.buildUsing rather than the nixpkgs argument.)
      fleetConfigurations.badNames = fleet.lib.fleetConfiguration {
        data = {
          hostSecrets.web = {
            "../../etc/cron.d" = { secret.raw = raw; };
            wg-key = { "../x" = { raw = raw; }; secret.raw = raw; };
            good-one = { secret.raw = raw; };
          };
          sharedSecrets.mesh = { owners = [ "web" "../evil" ]; secret.raw = raw; };
        };
        modules = [ { nixpkgs.buildUsing = nixpkgs; hosts.web.nixos = hardware; } ];
      };
    };
}
