# The options of fleet secrets on a host (`secrets.<name>`, `fleet.*`) and the assertions on the
# names that come from the fleet data; no packages needed. Imported by secrets.nix (NixOS) and by
# fleet.lib.shellSystem. Written for the nixpkgs lib of NixOS 20.09 and later (no freeformType,
# types.anything or deferredModule).
#
# Each secret has its parts `secret` and `public` (and every stored part under `parts.<part>`):
# `path` is /run/secrets/<name>/<sha1 of raw>-<part> (a changed secret gets a new path),
# `stablePath` /run/secrets/<name>/<part>, `raw` the stored value, `hash` its sha1 and `data` the
# text of a plaintext (public) part. `secretPath` and `publicPath` are `secret.path` and
# `public.path`.
{
  config,
  lib,
  ...
}:
let
  inherit (lib) mkOption types;
  top = config;
  dir = config.fleet.secretsDir;
  data = config.fleet.secretsData;
  stored = (data.sharedSecrets or { }) // (data.hostSecrets or { });
  partsOf = s: lib.filterAttrs (n: v: builtins.isAttrs v && v ? raw) s;

  # The patterns of io.fleet.api.Names (HOST, SECRET, PART), as POSIX extended regexes.
  namePatterns = {
    host = "[A-Za-z0-9][A-Za-z0-9_-]{0,62}";
    secret = "[A-Za-z0-9_][A-Za-z0-9._+@-]{0,254}";
    part = "[A-Za-z0-9_][A-Za-z0-9._-]{0,127}";
  };
  validName = kind: n: builtins.isString n && builtins.match namePatterns.${kind} n != null;

  # The text of a stored part in one of the plaintext encodings; null for the others.
  plaintextOf =
    raw:
    if raw == null then
      null
    else if lib.hasPrefix "<PLAINTEXT-NL>\n" raw then
      builtins.substring 15 (-1) raw
    else if lib.hasPrefix "<PLAINTEXT>" raw then
      builtins.substring 11 (-1) raw
    else
      null;

  partOptions = secretName: partName: {
    options = {
      raw = mkOption {
        type = types.nullOr types.str;
        default = ((stored.${secretName} or { }).${partName} or { }).raw or null;
        description = "The stored part as in fleet.nix (<ENCRYPTED><BASE64-ENCODED>..., <PLAINTEXT>...); null before it is generated.";
      };
      hash = mkOption {
        type = types.nullOr types.str;
        default =
          let
            raw = ((stored.${secretName} or { }).${partName} or { }).raw or null;
          in
          if raw == null then null else builtins.hashString "sha1" raw;
        description = "sha1 of raw.";
      };
      stablePath = mkOption {
        type = types.str;
        default = "${dir}/${secretName}/${partName}";
        description = "Where the part is installed, the same for every version of the secret.";
      };
      path = mkOption {
        type = types.str;
        default =
          let
            raw = ((stored.${secretName} or { }).${partName} or { }).raw or null;
          in
          if raw == null then
            "${dir}/${secretName}/${partName}"
          else
            "${dir}/${secretName}/${builtins.hashString "sha1" raw}-${partName}";
        description = "Where this version of the part is installed (changes with the secret, restarting its users).";
      };
      data = mkOption {
        type = types.nullOr types.str;
        default = plaintextOf (((stored.${secretName} or { }).${partName} or { }).raw or null);
        description = "The text of a plaintext (public) part; null otherwise.";
      };
    };
  };

  secretOptions =
    { name, config, ... }:
    let
      secretName = name;
    in
    {
      options = import ../secret-generation-options.nix lib // {
        shared = mkOption {
          type = types.bool;
          default = false;
          description = "Whether this is a fleet-level shared secret the host owns (set by fleet-nix).";
        };
        group = mkOption {
          type = types.str;
          default = ((top.users or { }).users or { }).${config.owner}.group or "root";
          description = "Group of the installed files; default: the owner's primary group.";
        };
        mode = mkOption {
          type = types.strMatching "0?[0-7]{3}";
          default = "0440";
          description = "Mode of the installed files.";
        };
        secret = mkOption {
          type = types.submodule (partOptions name "secret");
          default = { };
          description = "The private part.";
        };
        public = mkOption {
          type = types.submodule (partOptions name "public");
          default = { };
          description = "The public part, where the generator makes one.";
        };
        parts = mkOption {
          type = types.attrsOf (types.submodule ({ name, ... }: partOptions secretName name));
          default = lib.mapAttrs (n: v: { }) (partsOf (stored.${name} or { }));
          description = "Every stored part of the secret.";
        };
        path = mkOption {
          type = types.str;
          default = "${dir}/${name}";
          description = "Directory holding the secret's parts.";
        };
        secretPath = mkOption {
          type = types.str;
          default = config.secret.path;
          description = "Alias of secret.path.";
        };
        publicPath = mkOption {
          type = types.str;
          default = config.public.path;
          description = "Alias of public.path.";
        };
      };
    };

  invalid =
    kind: what: names:
    lib.concatMap (
      n:
      lib.optional (!(validName kind n)) {
        assertion = false;
        message = "fleet: ${what} ${builtins.toJSON n} is not a valid ${kind} name (it must match ${namePatterns.${kind}}); correct the fleet data (fleet.nix) or the configuration";
      }
    ) names;
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

  # Names from the fleet data become paths under /run/secrets in root's activation: refuse any
  # that is not a plain name, so a hand-edited fleet.nix cannot make the installer write elsewhere.
  # The shared secrets this host owns are secrets of the host too (shared = true).
  config.secrets = lib.mapAttrs (n: f: {
    shared = true;
    owner = lib.mkDefault f.owner;
    group = lib.mkDefault f.group;
    mode = lib.mkDefault f.mode;
  }) config.fleet.sharedSecretFiles;

  config.assertions =
    invalid "secret" "stored secret" (builtins.attrNames stored)
    ++ invalid "secret" "declared secret" (builtins.attrNames config.secrets)
    ++ lib.concatLists (
      lib.mapAttrsToList (
        n: s: if validName "secret" n then invalid "part" "part of secret ${builtins.toJSON n}" (builtins.attrNames (partsOf s)) else [ ]
      ) stored
    )
    ++ invalid "host" "host" ([ config.fleet.hostName ] ++ config.fleet.hosts)
    ++ lib.concatLists (
      lib.mapAttrsToList (n: s: invalid "host" "owner of secret ${builtins.toJSON n}" (s.owners or [ ])) (data.sharedSecrets or { })
    );
}
