{ hosts, cluster }:
{ lib, ... }: {
  hosts = lib.genAttrs hosts (h: {
    tags = [ "k8s-${cluster}" ];
    nixos.kubernetes.cluster = cluster;
  });
  sharedSecrets."k8s-${cluster}-token" = {
    expectedOwners = hosts;
    generator = { mkPassword }: mkPassword { length = 48; };
  };
}
