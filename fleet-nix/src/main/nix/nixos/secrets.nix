# Installs the host's secrets at activation: each stored part of every secret the host may read
# (its own, and the shared secrets it owns) goes to /run/secrets/<name>/<part> (fleet.secretsDir)
# and, for this version of the secret, /run/secrets/<name>/<sha1 of raw>-<part>, with the declared
# owner, group and mode. Encrypted parts (<ENCRYPTED><BASE64-ENCODED>, an age file) are decrypted
# with the host's SSH key, /etc/ssh/ssh_host_ed25519_key; only ciphertext and public parts are
# ever in the Nix store. /run is a tmpfs, so plaintext never reaches a disk.
#
# The options (secret-options.nix) are read by fleet-nix's evaluator; the stored data comes from
# the fleet data file (fleet.nix) through `fleet.secretsData`, set by fleet.lib.fleetConfiguration.
# Works on NixOS 20.09 and later.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  dir = config.fleet.secretsDir;
  data = config.fleet.secretsData;
  stored = (data.sharedSecrets or { }) // (data.hostSecrets or { });
  partsOf = s: lib.filterAttrs (n: v: builtins.isAttrs v && v ? raw) s;
  # Names are checked by the assertions of secret-options.nix; an invalid one is never installed.
  validName = re: n: builtins.match re n != null;
  installable = lib.filterAttrs (n: s: validName "[A-Za-z0-9_][A-Za-z0-9._+@-]{0,254}" n) stored;
  installableParts = s: lib.filterAttrs (n: v: validName "[A-Za-z0-9_][A-Za-z0-9._-]{0,127}" n) (partsOf s);

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

  # Every file the installed secrets consist of, as <name>/<file>: the stable and the versioned
  # path of each part. Anything else under the secrets directory is removed.
  filesOf =
    name: secret:
    lib.concatLists (
      lib.mapAttrsToList (part: value: [
        "${name}/${part}"
        "${name}/${builtins.hashString "sha1" value.raw}-${part}"
      ]) (installableParts secret)
    );
  expected = builtins.toFile "fleet-secret-files" (
    lib.concatMapStrings (f: f + "\n") (lib.concatLists (lib.mapAttrsToList filesOf installable))
  );

  installLines = lib.concatLists (
    lib.mapAttrsToList (
      name: secret:
      let
        spec = fileSpec name;
      in
      lib.concatLists (
        lib.mapAttrsToList (
          part: value:
          let
            # The stored value is ciphertext or a public part: it may be in the store.
            raw = builtins.toFile "fleet-secret-part" value.raw;
            line =
              file:
              lib.escapeShellArgs [
                "fleet_install_part"
                name
                file
                "${raw}"
                spec.owner
                spec.group
                spec.mode
              ];
          in
          [
            (line part)
            (line "${builtins.hashString "sha1" value.raw}-${part}")
          ]
        ) (installableParts secret)
      )
    ) installable
  );

  installPart = builtins.toFile "fleet-install-secret-part" (builtins.readFile ./install-secret-part.sh);

  installScript = ''
    fleet_secrets_failed=0
    fleet_install_part() {
      PATH=${pkgs.coreutils}/bin:${pkgs.age}/bin:$PATH ${pkgs.runtimeShell} ${installPart} \
        ${lib.escapeShellArg dir} ${lib.escapeShellArg config.fleet.hostKey} "$@" \
        || fleet_secrets_failed=1
    }
    mkdir -p ${lib.escapeShellArg dir}
    chmod 0751 ${lib.escapeShellArg dir}
    # Secrets (and versions of them) no longer stored for this host disappear.
    for d in ${lib.escapeShellArg dir}/*; do
      [ -e "$d" ] || continue
      cut -d/ -f1 ${expected} | grep -Fxq -- "$(basename "$d")" || { rm -rf "$d"; continue; }
      for f in "$d"/*; do
        [ -e "$f" ] || continue
        grep -Fxq -- "$(basename "$d")/$(basename "$f")" ${expected} || rm -rf "$f"
      done
    done
    ${lib.concatStringsSep "\n" installLines}
    if [ "$fleet_secrets_failed" != 0 ]; then
      echo "fleet: some secrets could not be installed" >&2
    fi
  '';
in
{
  imports = [ ./secret-options.nix ];

  options.fleet.secretsInstallScript = lib.mkOption {
    type = lib.types.str;
    readOnly = true;
    internal = true;
    description = "The activation snippet that installs the secrets (system.activationScripts.fleet-secrets).";
  };

  config = {
    fleet.secretsInstallScript = installScript;
    system.activationScripts.fleet-secrets = {
      deps = [
        "users"
        "groups"
      ];
      text = config.fleet.secretsInstallScript;
    };
  };
}
