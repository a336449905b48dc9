{
  inputs.fleet.url = "path:@FLEET@";
  outputs = { self, fleet }:
    let
      # One host's system fails to build; the others build normally.
      mkSystem = args:
        if args.name == "bad-build" then {
          toplevel = builtins.derivation {
            name = "fleet-system-bad-build";
            system = args.system;
            builder = "/bin/sh";
            nonce = "@NONCE@";
            args = [ "-c" "echo the-builder-says-boom >&2; exit 9" ];
          };
        } else fleet.lib.shellSystem args;
    in {
      fleetConfigurations.evalError = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [ {
          hosts.good = { };
          # A type error (not a `throw`), which builtins.tryEval could not catch.
          hosts.bad-eval.nixos = { port = 1 + "x"; };
        } ];
      };
      fleetConfigurations.buildError = fleet.lib.fleetConfiguration {
        inherit mkSystem;
        modules = [ { hosts.ok = { }; hosts.bad-build = { }; } ];
      };
      fleetConfigurations.notAFleet = { hosts = { }; };
      fleetConfigurations.conflict = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [ { hosts.a.system = "x86_64-linux"; } { hosts.a.system = "aarch64-linux"; } ];
      };
      # Errors of nixpkgs' module system at fleet level.
      fleetConfigurations.wrongType = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [ { hosts.good = { }; hosts.typo.tags = "web"; } ];
      };
      fleetConfigurations.undeclared = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [ { hosts.good = { }; hosts.typo.colour = "red"; } ];
      };
      fleetConfigurations.failedAssertion = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [
          ({ config, ... }: {
            hosts.a = { };
            assertions = [ { assertion = config.hosts ? b; message = "the fleet needs a host b"; } ];
          })
        ];
      };
      fleetConfigurations.unknownGenerator = fleet.lib.fleetConfiguration {
        mkSystem = fleet.lib.shellSystem;
        modules = [ {
          hosts.a = { };
          sharedSecrets.token = { expectedOwners = [ "a" ]; generator = { mkNope }: mkNope { }; };
        } ];
      };
    };
}
