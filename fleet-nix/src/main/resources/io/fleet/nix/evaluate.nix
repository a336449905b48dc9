# Applied by io.fleet.nix.NixEvaluator to `<flake>#fleetConfigurations.<name>` (nix eval --json
# --apply): everything the library needs about every host, in one evaluation. Each host and each
# shared secret is forced inside its own error context, so a failure names where it happened.
configuration:
let
  inherit (builtins) addErrorContext deepSeq mapAttrs;
  forced = context: value: addErrorContext context (deepSeq value value);
in
if !(builtins.isAttrs configuration) || (configuration._type or null) != "fleet-configuration" then
  throw "this fleetConfigurations entry is not a fleet configuration: make it with fleet.lib.fleetConfiguration { ... } or the flake module fleet.flakeModules.default (fleet-nix/flake.nix)"
else
  # Fleet-level assertions and warnings first: they belong to no host.
  builtins.seq (addErrorContext "while checking the fleet configuration's assertions" (configuration.checked or true))
  {
    format = 1;
    nixVersion = builtins.nixVersion;
    modules = configuration.moduleFiles or [ ];
    settings = configuration.settings or { };
    hosts = mapAttrs (
      name: host:
      forced "while evaluating fleet host \"${name}\"" (
        # hostSummary (fleet-nix >= 0.2) evaluates each host apart, so its memory can be reclaimed.
        if configuration ? hostSummary then
          configuration.hostSummary name
        else
          {
            inherit (host) system tags deployTarget secrets;
            drvPath = host.toplevel.drvPath;
            outputPath = host.toplevel.outPath;
          }
      )
    ) configuration.hosts;
    sharedSecrets = mapAttrs (
      name: secret: forced "while evaluating fleet shared secret \"${name}\"" secret
    ) configuration.sharedSecrets;
  }
