# The options of a fleet configuration, for nixpkgs' lib.evalModules: those of the original fleet
# (hosts, a fleet-wide `nixos`, nixpkgs.buildUsing/overlays, sharedSecrets, assertions, warnings)
# and this project's additions (deployTarget, renewBefore, dependsOn, secretGenerators, settings).
#
# `hosts.<name>.nixos` is declared as a NixOS module; its value after evaluation is the host's
# evaluated system (for NixOS, the `nixosSystem` result), so a fleet module can read another
# host's NixOS configuration as `config.hosts.<peer>.nixos.config`.
{
  # { name, system, modules, specialArgs, nixpkgs } -> a nixosSystem-like value, or null: NixOS.
  mkSystem,
  # The nixpkgs whose lib.nixosSystem builds hosts unless `nixpkgs.buildUsing` says otherwise.
  defaultNixpkgs,
  # The fleet data (`import ./fleet.nix`) or null.
  data,
  # Extra arguments given to NixOS modules (inputs, self, ...).
  specialArgs,
  fleetLib,
  systems,
}:
{
  config,
  lib,
  ...
}:
let
  inherit (lib) mkOption types;
  fleetConfig = config;

  secretOptions = shared: {
    options =
      import ./secret-generation-options.nix lib
      // {
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
      }
      // lib.optionalAttrs shared {
        expectedOwners = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "The hosts that can decrypt the secret.";
        };
      };
  };

  hostOptions =
    { name, config, ... }:
    let
      host = config;
      hostName = name;
    in
    {
      options = {
        system = mkOption {
          type = types.str;
          default = "x86_64-linux";
          description = "The host's system, e.g. x86_64-linux.";
        };
        tags = mkOption {
          type = types.listOf types.str;
          default = [ ];
          apply = tags: lib.unique ([ "all" ] ++ tags);
          description = "The host's tags; every host also has `all`.";
        };
        network = {
          internalIps = mkOption {
            type = types.listOf types.str;
            default = [ ];
            description = "Addresses of the host inside the cluster.";
          };
          externalIps = mkOption {
            type = types.listOf types.str;
            default = [ ];
            description = "Addresses of the host reachable from outside.";
          };
        };
        deployTarget = mkOption {
          type = types.nullOr (types.either types.str (types.attrsOf types.anything));
          default = null;
          description = "Where to deploy: \"[user@]address[:port]\" or { address; user; port; jumpHost; } (fleet for Java).";
        };
        secrets = mkOption {
          type = types.attrsOf (types.submodule (secretOptions false));
          default = { };
          description = "Secrets of this host declared at fleet level (NixOS-level `secrets` are the usual place).";
        };
        nixos = mkOption {
          type = lib.mkOptionType {
            name = "nixosConfiguration";
            description = "NixOS module of the host (evaluated: the host's nixosSystem)";
            check = x: builtins.isAttrs x || builtins.isFunction x || builtins.isPath x;
            merge =
              loc: defs:
              buildHost hostName host (
                map (d: lib.setDefaultModuleLocation "${d.file}, via option ${lib.showOption loc}" d.value) defs
              );
          };
          default = { };
          description = "The host's NixOS configuration; after evaluation, its nixosSystem.";
        };
      };
    };

  # The stored secrets (fleet.nix data) a host can decrypt: its own and the shared ones it owns.
  secretsDataFor =
    name:
    if data == null then
      {
        hostSecrets = { };
        sharedSecrets = { };
      }
    else
      {
        hostSecrets = (data.hostSecrets or { }).${name} or { };
        sharedSecrets = lib.filterAttrs (n: s: builtins.elem name (s.owners or [ ])) (data.sharedSecrets or { });
      };

  buildHost =
    name: host: hostModules:
    let
      nixpkgs = fleetConfig.nixpkgs.buildUsing;
      hostInfo = {
        _file = "<fleet host info of ${name}>";
        fleet = {
          hostName = name;
          inherit (host) tags;
          hosts = builtins.attrNames fleetConfig.hosts;
          secretsData = secretsDataFor name;
          sharedSecretFiles = lib.mapAttrs (n: s: { inherit (s) owner group mode; }) (
            lib.filterAttrs (n: s: builtins.elem name s.expectedOwners) fleetConfig.sharedSecrets
          );
        };
      };
      builder =
        if mkSystem != null then
          mkSystem
        else if nixpkgs != null then
          systems.nixosSystem nixpkgs
        else
          throw "fleet configuration: host ${name} needs a system builder: set nixpkgs.buildUsing, give the flake a `nixpkgs` input, or pass `mkSystem` (e.g. fleet.lib.shellSystem) to fleetConfiguration";
    in
    builder {
      inherit name;
      inherit (host) system;
      overlays = fleetConfig.nixpkgs.overlays;
      modules = [
        {
          _file = "<fleet-wide nixos of the fleet configuration>";
          imports = [ fleetConfig.nixos ];
        }
      ]
      ++ hostModules
      ++ [ hostInfo ];
      specialArgs = {
        inherit fleetLib host;
        hosts = fleetConfig.hosts;
        fleetHosts = fleetConfig.hosts;
        nixosHosts = lib.mapAttrs (n: h: h.nixos) fleetConfig.hosts;
        inputs = specialArgs.inputs or { };
        self = specialArgs.self or null;
      }
      // specialArgs;
    };
in
{
  options = {
    hosts = mkOption {
      type = types.attrsOf (types.submodule hostOptions);
      default = { };
      description = "The hosts of the fleet.";
    };
    nixos = mkOption {
      type = types.deferredModule;
      default = { };
      description = "A NixOS module applied to every host.";
    };
    nixpkgs = {
      buildUsing = mkOption {
        type = types.nullOr types.raw;
        default = defaultNixpkgs;
        defaultText = lib.literalExpression "inputs.nixpkgs";
        description = "The nixpkgs whose lib.nixosSystem builds the hosts.";
      };
      overlays = mkOption {
        type = types.listOf types.unspecified;
        default = [ ];
        description = "nixpkgs overlays applied on every host.";
      };
    };
    sharedSecrets = mkOption {
      type = types.attrsOf (types.submodule (secretOptions true));
      default = { };
      description = "Secrets shared by several hosts (their expectedOwners).";
    };
    assertions = mkOption {
      type = types.listOf (
        types.submodule {
          options = {
            assertion = mkOption {
              type = types.bool;
              description = "Must be true.";
            };
            message = mkOption {
              type = types.str;
              description = "Shown when the assertion is false.";
            };
          };
        }
      );
      default = [ ];
      description = "Fleet-level assertions, checked before any host is evaluated.";
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Fleet-level warnings, printed during evaluation.";
    };
    secretGenerators = mkOption {
      type = types.attrsOf types.unspecified;
      default = { };
      description = "Generator constructors of this fleet, available to `generator = { name }: ...` (fleet for Java).";
    };
    settings = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      description = "Settings for the Java library, passed through as JSON (fleet for Java).";
    };
  };
}
