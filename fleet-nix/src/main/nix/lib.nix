# fleet-nix's Nix library: `fleetConfiguration` evaluates a fleet configuration (the seed's
# `fleetConfigurations.<name>` shape) into hosts with buildable systems and declared secrets.
let
  modulesLib = import ./modules.nix;
  generators = import ./generators.nix;
  systems = import ./systems.nix;
  inherit (builtins)
    attrNames
    concatMap
    elem
    filter
    functionArgs
    intersectAttrs
    isAttrs
    isFunction
    isInt
    isList
    isString
    mapAttrs
    sort
    toJSON
    ;

  unique = list: attrNames (builtins.listToAttrs (map (x: { name = x; value = null; }) list));

  # Fleet-level positions whose definitions are NixOS modules (collected, not merged).
  modulePositions = path:
    path == [ "nixos" ]
    || (builtins.length path == 3 && builtins.elemAt path 0 == "hosts" && builtins.elemAt path 2 == "nixos");

  defaults = {
    _file = "<fleet defaults>";
    hosts = { };
    sharedSecrets = { };
    nixos = [ ];
    secretGenerators = { };
    settings = { };
  };

  checkBool = where: v: if builtins.isBool v then v else throw "${where} must be true or false, not ${toJSON v}";
  checkStrings = where: v:
    if isList v && builtins.all isString v then v else throw "${where} must be a list of strings";

  # A generator value, or the seed's form: a function taking generator constructors by name.
  normalizeGenerator = scope: where: g:
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

  normalizeSecret = scope: where: shared: s:
    let
      owners = s.expectedOwners or (s.owners or [ ]);
    in
    {
      owners = if shared then unique (checkStrings "${where}: expectedOwners" owners) else [ ];
      regenerateOnOwnerAdded = checkBool "${where}: regenerateOnOwnerAdded" (s.regenerateOnOwnerAdded or true);
      regenerateOnOwnerRemoved =
        let
          v = s.regenerateOnOwnerRemoved or null;
        in
        if v == null then null else checkBool "${where}: regenerateOnOwnerRemoved" v;
      generator = normalizeGenerator scope where (s.generator or null);
      expectedGenerationData = s.expectedGenerationData or null;
      renewBeforeSeconds =
        let
          v = s.renewBefore or null;
        in
        if v == null || isInt v then v else throw "${where}: renewBefore must be a number of seconds";
      dependsOn = checkStrings "${where}: dependsOn" (s.dependsOn or [ ]);
      owner = s.owner or "root";
      group = s.group or "root";
      mode = s.mode or "0400";
    };

  # The stored secrets (fleet.nix data) a host can decrypt: its own and the shared ones it owns.
  secretsDataFor = data: name:
    if data == null then
      { hostSecrets = { }; sharedSecrets = { }; }
    else
      {
        hostSecrets = (data.hostSecrets or { }).${name} or { };
        sharedSecrets = modulesLib.filterAttrs (n: s: elem name (s.owners or [ ])) (data.sharedSecrets or { });
      };

  fleetConfiguration =
    {
      # Fleet modules: the seed's `fleetConfigurations.<name>` value is one.
      modules ? [ ],
      # nixpkgs (a flake input): hosts become NixOS systems. Without it, give `mkSystem`.
      nixpkgs ? null,
      # { name, system, modules, specialArgs } -> { toplevel; secrets; ... }; default: NixOS.
      mkSystem ? null,
      # Extra arguments for fleet and NixOS modules (e.g. { inherit inputs; }).
      specialArgs ? { },
      # The fleet data (`import ./fleet.nix`): stored secrets installed on the hosts.
      data ? null,
    }:
    let
      lib = if nixpkgs != null then nixpkgs.lib else modulesLib;
      evaluated = modulesLib.evalModules {
        modules = [ defaults ] ++ modules;
        args = { inherit lib fleetLib; } // specialArgs;
        inherit modulePositions;
      };
      config = evaluated.config;
      builder =
        if mkSystem != null then
          mkSystem
        else if nixpkgs != null then
          systems.nixosSystem nixpkgs
        else
          throw "fleet configuration: hosts need a system builder: pass `nixpkgs` (NixOS) or `mkSystem` (e.g. fleet.lib.shellSystem) to fleetConfiguration";
      scope = generators // config.secretGenerators;
      hostNames = attrNames config.hosts;
      sharedSecrets = mapAttrs (n: s: normalizeSecret scope "shared secret ${n}" true s) config.sharedSecrets;

      host = name: h:
        let
          system = h.system or "x86_64-linux";
          fleetInfo = {
            hostName = name;
            tags = tags;
            hosts = hostNames;
            secretsData = secretsDataFor data name;
            sharedSecretFiles = mapAttrs (n: s: { inherit (s) owner group mode; }) (
              modulesLib.filterAttrs (n: s: elem name s.owners) sharedSecrets
            );
          };
          tags = unique ([ "all" ] ++ checkStrings "host ${name}: tags" (h.tags or [ ]));
          built = builder {
            inherit name system;
            modules = config.nixos ++ (h.nixos or [ ]) ++ [ { _file = "<fleet host info>"; fleet = fleetInfo; } ];
            specialArgs = { fleetHosts = config.hosts; } // specialArgs;
          };
          declared = (h.secrets or { }) // (built.secrets or { });
        in
        {
          inherit name system tags;
          deployTarget = h.deployTarget or null;
          secrets = mapAttrs (n: s: normalizeSecret scope "host ${name} secret ${n}" false s) declared;
          toplevel = built.toplevel;
          # What the system builder returned (for NixOS: toplevel, config and the nixosSystem).
          built = built;
        };
    in
    {
      _type = "fleet-configuration";
      inherit config;
      hosts = mapAttrs host config.hosts;
      inherit sharedSecrets;
      settings = config.settings;
      # The files of the fleet modules that were imported (anonymous modules have none).
      moduleFiles = filter (f: builtins.substring 0 1 f == "/") (unique evaluated.files);
    };

  fleetLib = {
    inherit fleetConfiguration generators;
    inherit (modulesLib)
      mkIf
      mkMerge
      mkOverride
      mkDefault
      mkForce
      genAttrs
      ;
    inherit (systems) shellSystem nixosSystem;
    evalModules = modulesLib.evalModules;
  }
  // generators;
in
fleetLib
