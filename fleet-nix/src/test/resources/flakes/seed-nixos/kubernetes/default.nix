# Multi-instance: `import ./kubernetes {hosts = [...];}` once per cluster.
{hosts}: {lib, ...}: let
  cluster = lib.concatStrings hosts;
in {
  hosts = lib.genAttrs hosts (h: {
    tags = ["k8s-${cluster}"];
    nixos = {
      imports = [../vm-hardware.nix];
      networking.firewall.allowedTCPPorts = [6443];
    };
  });
  sharedSecrets."k8s-${cluster}-token" = {
    expectedOwners = hosts;
    generator = {mkPassword}: mkPassword {length = 48;};
  };
}
