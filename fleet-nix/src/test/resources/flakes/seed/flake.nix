{
  # The test writes fleet-nix's flake to a temporary directory and fills in its path.
  inputs.fleet.url = "path:@FLEET@";
  outputs = { self, fleet }: {
    fleetConfigurations.default = fleet.lib.fleetConfiguration {
      mkSystem = fleet.lib.shellSystem;
      modules = [ {
        nixos = { services.motd = "managed by fleet"; testRun = "@NONCE@"; };
        imports = [
          ./wireguard
          (import ./kubernetes { hosts = [ "cp-1" "cp-2" ]; cluster = "a"; })
          (import ./kubernetes { hosts = [ "worker-1" "worker-2" ]; cluster = "b"; })
        ];
        hosts.cp-1 = {
          system = "x86_64-linux";
          tags = [ "cp" ];
          deployTarget = "root@10.0.0.1:2222";
          nixos = {
            imports = [ ./cp-1/configuration.nix ];
            services.ray = { gpus = 4; cpus = 128; };
          };
        };
        hosts.cp-2 = {
          tags = [ "cp" ];
          deployTarget = { user = "deploy"; address = "10.0.0.2"; };
          # Run by the shell system's switch-to-configuration (switch, boot, test).
          nixos.activationScript = "echo activated-by-$1";
        };
        hosts.worker-1 = { };
        hosts.worker-2 = { };
        sharedSecrets."ca.pem" = {
          regenerateOnOwnerAdded = false;
          expectedOwners = [ "cp-1" "cp-2" "worker-1" "worker-2" ];
          generator = { mkX509Ca }: mkX509Ca { commonName = "kubernetes-ca"; impureOn = "cp-1"; };
        };
        sharedSecrets."kube-apiserver.pem" = {
          regenerateOnOwnerAdded = true;
          regenerateOnOwnerRemoved = false;
          expectedOwners = [ "cp-1" "cp-2" ];
          dependsOn = [ "ca.pem" ];
          expectedGenerationData = { sans = [ "10.0.0.1" "10.0.0.2" ]; };
          generator = { mkX509Leaf }: mkX509Leaf { ca = "ca.pem"; commonName = "kubernetes"; sans = [ "10.0.0.1" "10.0.0.2" ]; };
        };
      } ];
    };
  };
}
