# The options a fleet secret has at both levels, the fleet's (fleet-options.nix: sharedSecrets and
# hosts.<h>.secrets) and a host's NixOS configuration (nixos/secret-options.nix): how it is
# generated and renewed, and who owns its installed files. Called with the lib of either level, so
# written for the nixpkgs lib of NixOS 20.09 and later (types.anything where the lib has it).
lib:
let
  inherit (lib) mkOption types;
in
{
  generator = mkOption {
    type = types.nullOr types.unspecified;
    default = null;
    description = "How to generate the secret, e.g. `{mkPassword}: mkPassword {}`.";
  };
  expectedGenerationData = mkOption {
    type = types.nullOr (types.anything or types.unspecified);
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
    description = "Secrets this one is derived from (fleet for Java).";
  };
  renewBefore = mkOption {
    type = types.nullOr types.ints.unsigned;
    default = null;
    description = "Seconds before expiry at which the secret is regenerated (fleet for Java).";
  };
  owner = mkOption {
    type = types.str;
    default = "root";
    description = "Owner of the installed files.";
  };
}
