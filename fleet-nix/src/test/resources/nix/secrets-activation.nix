# Evaluates fleet-nix's NixOS secrets module with a stand-in for the nixpkgs lib functions and
# packages it uses (nixpkgs is not reachable here) and returns its activation script, for host
# `host` of the fleet data file `dataFile`, installing into `secretsDir` with key `hostKey`.
{
  fleetDir,
  dataFile,
  host,
  secretsDir,
  hostKey,
  owner,
  group,
}:
let
  lib = rec {
    mkOption = o: o;
    types = {
      attrsOf = t: t;
      submodule = m: m;
      nullOr = t: t;
      listOf = t: t;
      strMatching = r: r;
      unspecified = "unspecified";
      anything = "anything";
      bool = "bool";
      str = "str";
      attrs = "attrs";
      ints.unsigned = "unsigned";
    };
    filterAttrs = pred: set:
      builtins.listToAttrs (
        builtins.concatMap (n: if pred n set.${n} then [ { name = n; value = set.${n}; } ] else [ ]) (
          builtins.attrNames set
        )
      );
    concatLists = builtins.concatLists;
    mapAttrsToList = f: set: map (n: f n set.${n}) (builtins.attrNames set);
    escapeShellArg = a: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString a) + "'";
    escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
    concatStringsSep = builtins.concatStringsSep;
    concatMapStrings = f: l: builtins.concatStringsSep "" (map f l);
  };
  pkgs = {
    writeText = name: text: builtins.toFile name text;
    # toFile cannot make an executable file; run the script with sh instead.
    writeScript = name: text: "/bin/sh " + builtins.toFile name text;
    coreutils = "/usr";
    age = "/usr";
  };
  data = import dataFile;
  secretsData = {
    hostSecrets = (data.hostSecrets or { }).${host} or { };
    sharedSecrets = lib.filterAttrs (n: s: builtins.elem host s.owners) (data.sharedSecrets or { });
  };
  module = import (fleetDir + "/src/main/nix/nixos/secrets.nix");
  config = {
    # The module's own declarations with their defaults, as the module system would give them.
    secrets = { };
    fleet = {
      inherit secretsDir hostKey secretsData;
      sharedSecretFiles = builtins.mapAttrs (n: s: { inherit owner group; mode = "0440"; }) secretsData.sharedSecrets;
    };
  };
  evaluated = module { inherit config lib pkgs; };
in
{
  activation = evaluated.config.system.activationScripts.fleet-secrets.text;
  deps = evaluated.config.system.activationScripts.fleet-secrets.deps;
  secretPathDefault = (evaluated.options.secrets.type { name = "x"; }).options.secretPath.default;
}
