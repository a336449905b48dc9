# A fleet module with options of its own: every host joins the mesh on `wireguard.port`, and each
# host's NixOS configuration lists its peers by the host name their own NixOS configuration has.
{
  config,
  lib,
  ...
}: let
  fleet = config;
  cfg = config.wireguard;
in {
  options.wireguard = {
    port = lib.mkOption {
      type = lib.types.port;
      default = 51820;
      description = "UDP port of the mesh.";
    };
    extraPeers = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [];
      description = "Peers outside the fleet.";
    };
  };
  config = {
    wireguard.port = 51999;
    # Overlays of the fleet apply to every host's pkgs.
    nixpkgs.overlays = [(final: prev: {fleetTestMarker = "from-the-fleet-overlay";})];
    # A fleet-level assertion (it holds).
    assertions = [
      {
        assertion = cfg.port > 1024;
        message = "wireguard.port must be above 1024";
      }
    ];
    nixos = {
      config,
      pkgs,
      hosts,
      ...
    }: {
      environment.etc."overlay".text = pkgs.fleetTestMarker;
      networking.firewall.allowedUDPPorts = [cfg.port];
      secrets.wg-key = {generator = {mkWireguard}: mkWireguard {};};
      environment.etc."wireguard/private-key-path".text = config.secrets.wg-key.secret.path;
      # Another host's NixOS configuration, read through the fleet configuration.
      environment.etc."wireguard/peers".text = lib.concatStringsSep "," (
        map (p: fleet.hosts.${p}.nixos.config.networking.hostName)
        (lib.filter (p: p != config.fleet.hostName) (builtins.attrNames hosts))
        ++ cfg.extraPeers
      );
    };
  };
}
