# A small module system for fleet configurations, written with builtins only (nixpkgs is not
# needed to evaluate a fleet).
#
# A module is an attribute set, a function returning one (called with `config`, `lib`, ... and the
# caller's special arguments), or a path to a file containing either. `imports` lists further
# modules; a path imported twice counts once, while anonymous modules (such as two calls of
# `import ./kubernetes { hosts = [ ... ]; }`) are separate instances.
#
# Definitions merge without declared options: attribute sets merge recursively, lists concatenate,
# equal values are accepted, anything else is a conflict reported with the files involved. At the
# positions listed in `modulePositions` (NixOS modules) definitions are collected into a list
# instead. The property values of nixpkgs' lib (mkIf, mkMerge, mkOverride/mkDefault/mkForce) are
# understood; this file offers the same constructors for configurations evaluated without nixpkgs.
let
  inherit (builtins)
    all
    any
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elemAt
    filter
    foldl'
    genList
    genericClosure
    head
    isAttrs
    isBool
    isFunction
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    removeAttrs
    toJSON
    typeOf
    zipAttrsWith
    ;

  imap = f: list: genList (i: f i (elemAt list i)) (length list);
  filterAttrs = pred: set:
    listToAttrs (concatMap (n: if pred n set.${n} then [ { name = n; value = set.${n}; } ] else [ ]) (attrNames set));

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  defaultPriority = 100;

  isType = t: v: isAttrs v && (v._type or null) == t;
  isDerivation = v: isAttrs v && (v.type or null) == "derivation";
  isPlainAttrs = v: isAttrs v && !(v ? _type) && !(isDerivation v);

  showPath = path: if path == [ ] then "<fleet configuration>" else concatStringsSep "." path;

  # mkMerge contents become separate definitions; mkIf/mkOverride around them are kept on each.
  flatten = wrap: v:
    if isType "merge" v then
      concatMap (flatten wrap) v.contents
    else if isType "if" v then
      flatten (x: wrap (mkIf v.condition x)) v.content
    else if isType "override" v then
      flatten (x: wrap (mkOverride v.priority x)) v.content
    else
      [ (wrap v) ];

  # The value under the properties, without evaluating any condition.
  core = v: if isType "if" v || isType "override" v then core v.content else v;

  # Moves properties into the attributes of an attribute set: mkIf c { a = 1; } -> { a = mkIf c 1; }.
  pushDown = v:
    if isType "if" v then
      mapAttrs (n: x: mkIf v.condition x) (pushDown v.content)
    else if isType "override" v then
      mapAttrs (n: x: mkOverride v.priority x) (pushDown v.content)
    else
      v;

  # Evaluates conditions: [ ] when disabled, otherwise [ { priority; value; } ].
  discharge = path: v:
    if isType "if" v then
      (
        if !(isBool v.condition) then
          throw "fleet configuration: the mkIf condition of ${showPath path} is a ${typeOf v.condition}, not a boolean"
        else if v.condition then
          discharge path v.content
        else
          [ ]
      )
    else if isType "override" v then
      map (d: d // { priority = v.priority; }) (discharge path v.content)
    else if isType "merge" v then
      concatMap (discharge path) v.contents
    else
      [ { priority = defaultPriority; value = v; } ];

  describe = v:
    if isString v || isBool v || builtins.isInt v || builtins.isFloat v || v == null then toJSON v else "a ${typeOf v}";

  hasDefinition = path: defs: any (d: discharge path d.value != [ ]) defs;

  # A list of NixOS modules, each tagged with the file that defined it.
  collectModules = path: defs:
    concatMap (
      d:
      concatMap (
        x: map (m: { _file = d.file; imports = [ m ]; }) (if isList x.value then x.value else [ x.value ])
      ) (discharge path d.value)
    ) defs;

  mergeDefsWith = modulePositions: path: defs:
    let
      flat = concatMap (d: map (v: { inherit (d) file; value = v; }) (flatten (x: x) d.value)) defs;
    in
    if modulePositions path then
      collectModules path flat
    else if flat != [ ] && all (d: isPlainAttrs (core d.value)) flat then
      mergeAttrsWith modulePositions path flat
    else
      mergeLeafWith modulePositions path flat;

  # The recursion of mergeAttrs/mergeLeaf goes back through mergeDefsWith with the same positions.
  mergeAttrsWith = modulePositions: path: defs:
    let
      byName = zipAttrsWith (name: list: list) (
        map (d: mapAttrs (n: v: { inherit (d) file; value = v; }) (pushDown d.value)) defs
      );
    in
    # Top-level names do not depend on conditions (as declared options would not), so a module
    # may read config.x in the mkIf of another top-level attribute without infinite recursion.
    mapAttrs (name: defs': mergeDefsWith modulePositions (path ++ [ name ]) defs') (
      if path == [ ] then byName else filterAttrs (name: defs': hasDefinition (path ++ [ name ]) defs') byName
    );

  mergeLeafWith = modulePositions: path: defs:
    let
      values = concatMap (d: map (x: x // { inherit (d) file; }) (discharge path d.value)) defs;
      best = foldl' (m: d: if d.priority < m then d.priority else m) 1000000 values;
      winners = filter (d: d.priority == best) values;
      vs = map (d: d.value) winners;
      first = head vs;
    in
    if values == [ ] then
      throw "fleet configuration: ${showPath path} is used but every definition of it is disabled by mkIf"
    else if all isList vs then
      concatLists vs
    else if length vs == 1 then
      first
    else if all isPlainAttrs vs then
      mergeAttrsWith modulePositions path (map (d: { inherit (d) file value; }) winners)
    else if all (v: !(isFunction v) && v == first) vs then
      first
    else
      throw (
        "fleet configuration: conflicting definitions of ${showPath path}: "
        + concatStringsSep ", " (map (d: "${describe d.value} in ${d.file}") winners)
        + " (use mkForce/mkDefault to choose one)"
      );

  # One module occurrence: { key; file; imports; config; }.
  load = args: parentKey: index: m:
    let
      isFile = isPath m || isString m;
      key = if isFile then toString m else "${parentKey}:anon-${toString index}";
      file = if isFile then toString m else (if isAttrs m && m ? _file then toString m._file else parentKey);
      raw = if isFile then import m else m;
      value = if isFunction raw then raw args else raw;
      shorthand = !(value ? config) || any (n: n != "imports" && n != "config" && n != "_file" && n != "key") (attrNames value);
    in
    if !(isAttrs value) then
      throw "fleet module ${key} is a ${typeOf value}; a module is an attribute set, a function returning one, or a path to a file with either"
    else
      {
        inherit key file;
        imports = value.imports or [ ];
        config = if shorthand then removeAttrs value [ "imports" "_file" "key" ] else value.config;
      };

  # Evaluates modules into their merged configuration. `args` must not be strict in `config`.
  evalModules =
    {
      modules,
      args ? { },
      modulePositions ? (path: false),
      root ? "<fleet configuration>",
    }:
    let
      collected = genericClosure {
        startSet = imap (i: m: load allArgs root i m) modules;
        operator = item: imap (i: m: load allArgs item.key i m) item.imports;
      };
      allArgs = args // { inherit config; };
      config = mergeDefsWith modulePositions [ ] (map (m: { inherit (m) file; value = m.config; }) collected);
    in
    {
      inherit config;
      files = map (m: m.file) collected;
    };
in
{
  inherit
    evalModules
    mkIf
    mkMerge
    mkOverride
    mkDefault
    mkForce
    filterAttrs
    imap
    ;
  genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  optionalAttrs = cond: set: if cond then set else { };
}
