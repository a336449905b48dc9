{
  # Hosts whose evaluation allocates: each builds a list of @SIZE@ thunks (about 32 bytes each in
  # nix 2.8, never freed before nix's first garbage collection), and host "glutton" one of
  # @GLUTTON@.
  inputs.fleet.url = "path:@FLEET@";
  outputs = { self, fleet }:
    let
      hungry = n: "t" + toString (builtins.length (builtins.genList (x: x) n));
    in {
      fleetConfigurations.default = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [
          {
            nixos = { testRun = "@NONCE@"; };
            hosts = builtins.listToAttrs (builtins.genList (i: {
              name = "host-${toString i}";
              value = { tags = [ (hungry @SIZE@) ]; };
            }) @COUNT@);
          }
        ];
      };
      fleetConfigurations.glutton = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [
          {
            nixos = { testRun = "@NONCE@"; };
            hosts = {
              small = { tags = [ "small" ]; };
              glutton = { tags = [ (hungry @GLUTTON@) ]; };
            };
          }
        ];
      };
    };
}
