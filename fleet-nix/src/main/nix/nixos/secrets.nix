# Installs the host's secrets at activation: each stored part of every secret the host may read
# (its own, and the shared secrets it owns) goes to /run/secrets/<name>/<part> (fleet.secretsDir)
# with the declared
# owner, group and mode. Encrypted parts (<ENCRYPTED><BASE64-ENCODED>, an age file) are decrypted
# with the host's SSH key, /etc/ssh/ssh_host_ed25519_key; only ciphertext and public parts are
# ever in the Nix store. /run is a tmpfs, so plaintext never reaches a disk.
#
# Declared secrets (`secrets.<name>`) are read by fleet-nix's evaluator; the stored data comes from
# the fleet data file (fleet.nix) through `fleet.secretsData`, set by fleet.lib.fleetConfiguration.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  dir = config.fleet.secretsDir;

  secretOptions =
    { name, ... }:
    {
      options = {
        generator = mkOption {
          type = types.nullOr types.unspecified;
          default = null;
          description = "How to generate the secret, e.g. {mkPassword}: mkPassword {}.";
        };
        expectedGenerationData = mkOption {
          type = types.nullOr types.anything;
          default = null;
          description = "Generation data the stored secret must have; a difference regenerates it.";
        };
        regenerateOnOwnerAdded = mkOption {
          type = types.bool;
          default = true;
          description = "Regenerate (rather than re-encrypt) when an owner is added.";
        };
        regenerateOnOwnerRemoved = mkOption {
          type = types.nullOr types.bool;
          default = null;
          description = "Regenerate when an owner is removed; null: as regenerateOnOwnerAdded.";
        };
        dependsOn = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "Secrets this one is derived from.";
        };
        renewBefore = mkOption {
          type = types.nullOr types.ints.unsigned;
          default = null;
          description = "Seconds before expiry at which the secret is regenerated.";
        };
        owner = mkOption {
          type = types.str;
          default = "root";
          description = "Owner of the installed files.";
        };
        group = mkOption {
          type = types.str;
          default = "root";
          description = "Group of the installed files.";
        };
        mode = mkOption {
          type = types.strMatching "0?[0-7]{3}";
          default = "0400";
          description = "Mode of the installed files.";
        };
        path = mkOption {
          type = types.str;
          readOnly = true;
          default = "${dir}/${name}";
          description = "Directory holding the secret's parts.";
        };
        secretPath = mkOption {
          type = types.str;
          readOnly = true;
          default = "${dir}/${name}/secret";
          description = "The private part.";
        };
        publicPath = mkOption {
          type = types.str;
          readOnly = true;
          default = "${dir}/${name}/public";
          description = "The public part, where the generator makes one.";
        };
      };
    };

  data = config.fleet.secretsData;
  stored = (data.sharedSecrets or { }) // (data.hostSecrets or { });
  storedNames = pkgs.writeText "fleet-secret-names" (lib.concatMapStrings (n: n + "\n") (builtins.attrNames stored));
  partsOf = s: lib.filterAttrs (n: v: builtins.isAttrs v && v ? raw) s;

  # File ownership: from the host's declaration, or the fleet's shared secret declaration.
  fileSpec =
    name:
    if config.secrets ? ${name} then
      config.secrets.${name}
    else
      config.fleet.sharedSecretFiles.${name} or {
        owner = "root";
        group = "root";
        mode = "0400";
      };

  installLines = lib.concatLists (
    lib.mapAttrsToList (
      name: secret:
      let
        spec = fileSpec name;
      in
      lib.mapAttrsToList (
        part: value:
        lib.escapeShellArgs [
          "fleet_install_part"
          name
          part
          "${pkgs.writeText "fleet-secret-part" value.raw}"
          spec.owner
          spec.group
          spec.mode
        ]
      ) (partsOf secret)
    ) stored
  );

  installPart = pkgs.writeScript "fleet-install-secret-part" (builtins.readFile ./install-secret-part.sh);

  installScript = ''
    fleet_secrets_failed=0
    fleet_install_part() {
      PATH=${pkgs.coreutils}/bin:${pkgs.age}/bin:$PATH ${installPart} \
        ${lib.escapeShellArg dir} ${lib.escapeShellArg config.fleet.hostKey} "$@" \
        || fleet_secrets_failed=1
    }
    mkdir -p ${lib.escapeShellArg dir}
    chmod 0751 ${lib.escapeShellArg dir}
    # Secrets no longer stored for this host disappear.
    for d in ${lib.escapeShellArg dir}/*; do
      [ -e "$d" ] || continue
      grep -Fxq -- "$(basename "$d")" ${storedNames} || rm -rf "$d"
    done
    ${lib.concatStringsSep "\n" installLines}
    if [ "$fleet_secrets_failed" != 0 ]; then
      echo "fleet: some secrets could not be installed" >&2
    fi
  '';
in
{
  options = {
    secrets = mkOption {
      type = types.attrsOf (types.submodule secretOptions);
      default = { };
      description = "The host's own secrets, generated and stored by fleet, installed in /run/secrets.";
    };
    fleet = {
      secretsDir = mkOption {
        type = types.str;
        default = "/run/secrets";
        description = "Where secrets are installed (keep it on a tmpfs).";
      };
      hostKey = mkOption {
        type = types.str;
        default = "/etc/ssh/ssh_host_ed25519_key";
        description = "The host's SSH key, the age identity that decrypts its secrets.";
      };
      hostName = mkOption {
        type = types.str;
        description = "The host's name in the fleet.";
      };
      tags = mkOption {
        type = types.listOf types.str;
        default = [ "all" ];
        description = "The host's tags.";
      };
      hosts = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Every host of the fleet.";
      };
      secretsData = mkOption {
        type = types.attrs;
        default = {
          hostSecrets = { };
          sharedSecrets = { };
        };
        description = "The stored secrets this host can read (from fleet.nix), set by fleet-nix.";
      };
      sharedSecretFiles = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
        description = "Owner, group and mode of the shared secrets this host owns, set by fleet-nix.";
      };
    };
  };

  config = {
    system.activationScripts.fleet-secrets = {
      deps = [
        "users"
        "groups"
      ];
      text = installScript;
    };
  };
}
