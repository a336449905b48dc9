# A real NixOS system (nixos/lib/eval-config.nix of the given nixpkgs) with fleet-nix's NixOS
# modules, for host `host` of the fleet data file `dataFile`, installing into `secretsDir` with
# key `hostKey`; returns what the test checks, read from the evaluated configuration.
{
  nixpkgs,
  fleetDir,
  dataFile,
  host,
  secretsDir,
  hostKey,
  owner,
  group,
}:
let
  data = import dataFile;
  secretsData = {
    hostSecrets = (data.hostSecrets or { }).${host} or { };
    sharedSecrets = builtins.listToAttrs (
      builtins.concatMap (
        n: if builtins.elem host data.sharedSecrets.${n}.owners then [ { name = n; value = data.sharedSecrets.${n}; } ] else [ ]
      ) (builtins.attrNames (data.sharedSecrets or { }))
    );
  };
  sys = import (nixpkgs + "/nixos/lib/eval-config.nix") {
    system = "x86_64-linux";
    modules = [
      (fleetDir + "/src/main/nix/nixos/default.nix")
      {
        fileSystems."/" = {
          device = "/dev/vda1";
          fsType = "ext4";
        };
        boot.loader.grub.device = "/dev/vda";
        fleet = {
          hostName = host;
          inherit secretsDir hostKey secretsData;
          sharedSecretFiles = builtins.mapAttrs (n: s: {
            inherit owner group;
            mode = "0440";
          }) secretsData.sharedSecrets;
        };
        secrets.own = {
          owner = owner;
        };
      }
    ];
  };
  c = sys.config;
  timer = c.systemd.timers.fleet-rollback-boot;
  service = c.systemd.services.fleet-rollback-boot;
in
{
  drvPath = c.system.build.toplevel.drvPath;
  runtimeShell = sys.pkgs.runtimeShell;
  timer = {
    inherit (timer) wantedBy timerConfig unitConfig;
  };
  service = {
    inherit (service) restartIfChanged stopIfChanged unitConfig serviceConfig;
    inherit (service) path;
  };
  # The unit files NixOS generates from them.
  timerUnit = c.systemd.units."fleet-rollback-boot.timer".text;
  serviceUnit = c.systemd.units."fleet-rollback-boot.service".text;
  tmpfiles = c.systemd.tmpfiles.rules;
  install = c.fleet.secretsInstallScript;
  activation = c.system.activationScripts.script;
  secrets = builtins.mapAttrs (n: s: {
    inherit (s) owner group mode shared secretPath;
    secret = { inherit (s.secret) path stablePath hash; };
    public = { inherit (s.public) path data; };
  }) c.secrets;
}
