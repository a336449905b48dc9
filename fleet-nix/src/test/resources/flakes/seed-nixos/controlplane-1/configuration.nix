# controlplane-1's own configuration: the seed's `services.ray` (declared here, since NixOS has no
# such module) and the seed's GitLab secret, whose path another option uses.
{
  config,
  lib,
  host,
  hosts,
  nixosHosts,
  fleetLib,
  inputs,
  self,
  ...
}: {
  options.services.ray = {
    gpus = lib.mkOption {type = lib.types.ints.unsigned;};
    cpus = lib.mkOption {type = lib.types.ints.unsigned;};
  };
  config = {
    networking.hostName = "cp1";
    secrets.gitlab-db = {
      generator = {mkPassword}: mkPassword {};
      owner = "gitlab";
      group = "gitlab";
    };
    environment.etc."gitlab/db-password-file".text = config.secrets.gitlab-db.secretPath;
    environment.etc."ray.json".text = builtins.toJSON config.services.ray;
    # The arguments fleet gives NixOS modules.
    environment.etc."fleet-args.json".text = builtins.toJSON {
      hostSystem = host.system;
      hostTags = host.tags;
      hosts = builtins.attrNames hosts;
      peerHostName = nixosHosts.a.config.networking.hostName;
      fleetLib = fleetLib ? mkPassword;
      inputs = builtins.attrNames inputs;
      self = self ? outPath;
    };
  };
}
