# The seed's flake example (fleet-README.adoc), as an existing fleet repository has it: the
# inputs keep their github URLs and the test points them at the shared trees with
# --override-input. Left out: the lanzaboote input and module (not available offline).
{
  description = "My cluster configuration";
  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs";
    fleet = {
      url = "github:CertainLach/fleet";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    flake-parts.url = "github:hercules-ci/flake-parts";
  };
  outputs = inputs:
    inputs.flake-parts.lib.mkFlake {inherit inputs;} {
      imports = [inputs.fleet.flakeModules.default];
      systems = ["x86_64-linux"];

      perSystem = {
        inputs',
        pkgs,
        system,
        ...
      }: {
        formatter = pkgs.alejandra;
        devShells.default =
          pkgs.mkShell {packages = [inputs'.fleet.packages.fleet];};
      };

      # Single flake may contain multiple fleet configurations, default one is called... `default`
      fleetConfigurations.default = {
        # nixos option section of fleet config declares module, which is used for all configured nixos hosts.
        nixos = {
          # Make `nix shell nixpkgs#thing` use the same nixpkgs, as used to build the system.
          nix.registry.nixpkgs = {
            from = {
              id = "nixpkgs";
              type = "indirect";
            };
            flake = inputs.nixpkgs;
            exact = false;
          };
          environment.etc."fleet-test-run".text = "@NONCE@";
        };

        imports = [
          ./wireguard
          # Multi-instancible modules example
          (import ./kubernetes {hosts = ["a" "b"];})
          (import ./kubernetes {hosts = ["c" "d"];})
        ];

        hosts.controlplane-1 = {
          system = "x86_64-linux";
          nixos = {
            imports = [
              ./controlplane-1/hardware-configuration.nix
              ./controlplane-1/configuration.nix
            ];
            # Configuration may also be specified inline, as in any nixos config.
            services.ray = {
              gpus = 4;
              cpus = 128;
            };
          };
        };

        sharedSecrets.cluster-token = {
          expectedOwners = ["controlplane-1" "a" "c"];
          regenerateOnOwnerAdded = false;
          generator = {mkPassword}: mkPassword {length = 40;};
        };

      };
    };
}
