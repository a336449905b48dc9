# Applied by io.fleet.nix.NixEvaluator to `<flake>#fleetConfigurations.<name>` (nix eval --json
# --apply), called first with its arguments:
# - { inlineUpTo = N; }: the fleet-level data (assertions forced first, settings, modules, shared
#   secrets) and the host names; every host too when there are at most N of them (one process
#   for a small fleet), none otherwise (inlineUpTo = null: always every host).
# - { only = [ names ]; }: those hosts only (one chunk of a pool of nix processes).
# - traceResults = true (with either): each host's result is also traced as soon as it is done
#   ("fleet-evaluated-host:<name> <json>"), so a process stopped half way (past a memory limit)
#   loses none of the hosts it finished.
# Each host and each shared secret is forced inside its own error context, so a failure names
# where it happened; the host count and each host done are traced ("fleet-host-count:<n>",
# "fleet-evaluated-host:<name>") for progress.
{
  inlineUpTo ? null,
  only ? null,
  traceResults ? false,
}:
configuration:
let
  inherit (builtins)
    addErrorContext
    attrNames
    deepSeq
    length
    listToAttrs
    mapAttrs
    trace
    ;
  forced = context: value: addErrorContext context (deepSeq value value);
  summary =
    name:
    let
      value = forced "while evaluating fleet host \"${name}\"" (
        # hostSummary (fleet-nix >= 0.2) evaluates each host apart, so its memory can be reclaimed.
        if configuration ? hostSummary then
          configuration.hostSummary name
        else
          let
            host = configuration.hosts.${name};
          in
          {
            inherit (host) system tags deployTarget secrets;
            drvPath = host.toplevel.drvPath;
            outputPath = host.toplevel.outPath;
          }
      );
    in
    deepSeq value (
      trace (
        "fleet-evaluated-host:${name}" + (if traceResults then " " + builtins.toJSON value else "")
      ) value
    );
  hostNames = attrNames configuration.hosts;
in
if !(builtins.isAttrs configuration) || (configuration._type or null) != "fleet-configuration" then
  throw "this fleetConfigurations entry is not a fleet configuration: make it with fleet.lib.fleetConfiguration { ... } or the flake module fleet.flakeModules.default (fleet-nix/flake.nix)"
else if only != null then
  {
    format = 1;
    nixVersion = builtins.nixVersion;
    hosts = listToAttrs (
      map (name: {
        inherit name;
        value = summary name;
      }) only
    );
  }
else
  # Fleet-level assertions and warnings first: they belong to no host.
  builtins.seq
    (addErrorContext "while checking the fleet configuration's assertions" (
      configuration.checked or true
    ))
    (trace "fleet-host-count:${toString (length hostNames)}" (
      {
        format = 1;
        nixVersion = builtins.nixVersion;
        modules = configuration.moduleFiles or [ ];
        settings = configuration.settings or { };
        inherit hostNames;
        sharedSecrets = mapAttrs (
          name: secret: forced "while evaluating fleet shared secret \"${name}\"" secret
        ) configuration.sharedSecrets;
      }
      // (
        if inlineUpTo == null || length hostNames <= inlineUpTo then
          { hosts = mapAttrs (name: _: summary name) configuration.hosts; }
        else
          { }
      )
    ))
