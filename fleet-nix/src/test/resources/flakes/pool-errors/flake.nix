{
  inputs.fleet.url = "path:@FLEET@";
  outputs = { self, fleet }: {
    # Six hosts h0..h5; h2 and h4 fail to evaluate (a type error, not a `throw`).
    fleetConfigurations.default = fleet.lib.fleetConfiguration {
      mkSystem = fleet.lib.shellSystem;
      modules = [
        {
          nixos = { testRun = "@NONCE@"; };
          sharedSecrets.token = { expectedOwners = [ "h0" "h1" ]; };
          hosts = builtins.listToAttrs (builtins.genList (i: {
            name = "h${toString i}";
            value = {
              tags = [ "t${toString i}" ];
            } // (if i == 2 || i == 4 then { nixos = { port = i + "x"; }; } else { });
          }) 6);
        }
      ];
    };
  };
}
