{
  inputs.fleet.url = "path:@FLEET@";
  outputs = { self, fleet }: {
    fleetConfigurations.default = fleet.lib.fleetConfiguration {
      mkSystem = fleet.lib.shellSystem;
      modules = [
        {
          nixos = { testRun = "@NONCE@"; };
          hosts = builtins.listToAttrs (builtins.genList (i: {
            name = "host-${toString i}";
            value = { tags = [ (if i < 50 then "first-half" else "second-half") ]; };
          }) @COUNT@);
        }
      ];
    };
  };
}
