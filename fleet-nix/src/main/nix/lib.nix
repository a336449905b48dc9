# fleet-nix's Nix library: `fleetConfiguration` evaluates a fleet configuration (the seed's
# `fleetConfigurations.<name>` shape) with nixpkgs' module system into hosts with buildable
# systems and declared secrets. `lib` is nixpkgs' lib (the fleet flake's `nixpkgs-lib` input).
{ lib }:
let
  generators = import ./generators.nix;
  systems = import ./systems.nix { inherit lib; };
  inherit (builtins)
    attrNames
    filter
    functionArgs
    intersectAttrs
    isAttrs
    isFunction
    mapAttrs
    toJSON
    ;

  # A generator value, or the seed's form: a function taking generator constructors by name.
  normalizeGenerator =
    scope: where: g:
    if g == null then
      null
    else if isFunction g then
      let
        wanted = functionArgs g;
        missing = filter (n: !(wanted.${n}) && !(scope ? ${n})) (attrNames wanted);
      in
      if missing != [ ] then
        throw "${where}: its generator asks for ${toJSON missing}, which are not known generators; known: ${toJSON (attrNames scope)} (add your own under secretGenerators)"
      else
        normalizeGenerator scope where (g (intersectAttrs wanted scope))
    else if isAttrs g && (g._type or null) == "fleet-generator" then
      {
        inherit (g) kind;
        parameters = g.parameters or { };
        runOn = g.runOn or null;
      }
    else
      throw "${where}: generator must be a function such as {mkPassword}: mkPassword {} or a value of fleet.lib.generators";

  # A declared secret (fleet or NixOS level) as the Java library reads it.
  normalizeSecret = scope: where: shared: s: {
    owners = if shared then lib.unique s.expectedOwners else [ ];
    inherit (s)
      regenerateOnOwnerAdded
      regenerateOnOwnerRemoved
      expectedGenerationData
      dependsOn
      owner
      group
      mode
      ;
    generator = normalizeGenerator scope where s.generator;
    renewBeforeSeconds = s.renewBefore;
  };

  # The secret options a NixOS module declared, without its installed parts.
  declaredSecret = s: {
    inherit (s)
      generator
      expectedGenerationData
      regenerateOnOwnerAdded
      regenerateOnOwnerRemoved
      dependsOn
      renewBefore
      owner
      group
      mode
      ;
  };

  # `lib` must have types.deferredModule (nixpkgs >= 22.11); the given nixpkgs' lib is used when it
  # has, the fleet flake's nixpkgs-lib otherwise.
  libOf = nixpkgs: if nixpkgs != null && (nixpkgs.lib.types or { }) ? deferredModule then nixpkgs.lib else lib;

  # A host as the Java library reads it (what evaluate.nix prints).
  summaryOf = host: {
    inherit (host)
      system
      tags
      deployTarget
      secrets
      ;
    drvPath = host.toplevel.drvPath;
    outputPath = host.toplevel.outPath;
  };

  # `hostSummary name` evaluates the fleet afresh for one host, so nothing of that host's NixOS
  # evaluation stays reachable from the configuration once its summary is printed: nix's garbage
  # collector can reclaim it before the next host (evaluating every host of one configuration
  # value keeps all of them alive, about three times the memory at 10 hosts and more).
  fleetConfiguration =
    args:
    evaluateFleet args
    // {
      hostSummary = name: summaryOf (evaluateFleet args).hosts.${name};
    };

  evaluateFleet =
    {
      # Fleet modules: the seed's `fleetConfigurations.<name>` value is one.
      modules ? [ ],
      # nixpkgs (a flake input): the default of `nixpkgs.buildUsing`, whose lib.nixosSystem builds
      # the hosts. Without it, set nixpkgs.buildUsing or give `mkSystem`.
      nixpkgs ? null,
      # { name, system, modules, specialArgs, overlays } -> a nixosSystem-like value; default: NixOS.
      mkSystem ? null,
      # Extra arguments for NixOS modules (e.g. { inherit inputs self; }); fleet modules get them too.
      specialArgs ? { },
      # The fleet data (`import ./fleet.nix`): stored secrets installed on the hosts.
      data ? null,
    }:
    let
      mlib = libOf nixpkgs;
      evaluated = mlib.evalModules {
        modules = [
          (import ./fleet-options.nix {
            inherit
              mkSystem
              data
              specialArgs
              fleetLib
              systems
              ;
            defaultNixpkgs = nixpkgs;
          })
        ]
        # Inline modules have no file; name their place in `modules` for the module system's messages.
        ++ lib.imap1 (
          i: m:
          if builtins.isPath m || builtins.isString m then
            m
          else
            {
              _file = "<fleetConfiguration modules, element ${toString i}>";
              imports = [ m ];
            }
        ) modules;
        specialArgs = {
          inherit fleetLib;
        }
        // specialArgs;
      };
      config = evaluated.config;
      failedAssertions = map (a: a.message) (filter (a: !a.assertion) config.assertions);
      # Fleet-level assertions fail (and warnings print) before any host is evaluated.
      checked =
        v:
        if failedAssertions != [ ] then
          throw "fleet configuration: failed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failedAssertions}"
        else
          lib.foldr (w: x: builtins.trace "warning: fleet configuration: ${w}" x) v config.warnings;
      scope = generators // config.secretGenerators;

      host =
        name: h:
        let
          built = h.nixos;
          # The host's own secrets (the shared ones it owns are in there too, as shared = true).
          nixosSecrets = lib.filterAttrs (n: s: !(s.shared or false)) ((built.config or { }).secrets or { });
          declared = h.secrets // mapAttrs (n: declaredSecret) nixosSecrets;
        in
        checked {
          inherit name;
          inherit (h) system tags deployTarget;
          secrets = mapAttrs (n: s: normalizeSecret scope "host ${name} secret ${n}" false s) declared;
          toplevel = built.toplevel or built.config.system.build.toplevel;
          # The host's evaluated system (for NixOS: the nixosSystem).
          inherit built;
        };
    in
    {
      _type = "fleet-configuration";
      # true, or the failure of the fleet-level assertions (forced before any host by evaluate.nix).
      checked = checked true;
      # The evaluated fleet configuration: config.hosts.<h>.nixos.config is a host's NixOS config.
      inherit config;
      inherit (evaluated) options;
      hosts = mapAttrs host config.hosts;
      sharedSecrets = checked (mapAttrs (n: s: normalizeSecret scope "shared secret ${n}" true s) config.sharedSecrets);
      settings = config.settings;
      # The files of the fleet modules that were imported (anonymous modules have none).
      moduleFiles = lib.unique (
        filter (f: builtins.substring 0 1 f == "/") (
          lib.concatMap (d: d.files or [ ]) [ evaluated.options.hosts evaluated.options.nixos evaluated.options.sharedSecrets ]
        )
      );
    };

  fleetLib = {
    inherit fleetConfiguration generators;
    inherit (lib)
      mkIf
      mkMerge
      mkOverride
      mkDefault
      mkForce
      genAttrs
      ;
    inherit (systems) shellSystem nixosSystem;
  }
  // generators;
in
fleetLib
