package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import java.util.List;

/** The fleet of the original project's README, written with the Java DSL. */
public final class SeedFleet {
  private SeedFleet() {}

  /** The seed's fleet: a control plane, four hosts in two Kubernetes clusters, shared secrets. */
  public static Fleet build() {
    return Fleet.builder()
        .host(
            "controlplane-1",
            h -> h.system("x86_64-linux").tags("cp").target("root@controlplane-1.example"))
        .host("controlplane-2", h -> h.system("x86_64-linux").tags("cp"))
        .host("worker-1", h -> h.system("aarch64-linux").tags("worker"))
        .host("worker-2", h -> h.system("aarch64-linux").tags("worker"))
        .host("cluster-admin", h -> h.tags("admin"))
        .host("a", h -> h.system("x86_64-linux"))
        .host("b", h -> h.system("x86_64-linux"))
        .host("c", h -> h.system("x86_64-linux"))
        .host("d", h -> h.system("x86_64-linux"))
        .module(
            new WireguardMesh("wg0", "controlplane-1", "controlplane-2", "worker-1", "worker-2"))
        .module(new KubernetesCluster("ab", List.of("a", "b")))
        .module(new KubernetesCluster("cd", List.of("c", "d")))
        .host(
            "controlplane-1",
            h ->
                h.secret(
                    "gitlab-initial-root",
                    s ->
                        s.generator(Generators.password()).fileOwner("gitlab").fileGroup("gitlab")))
        .sharedSecret(
            "ca.pem",
            s ->
                s.expectedOwners("controlplane-1", "controlplane-2", "worker-1", "worker-2")
                    .regenerateOnOwnerAdded(false)
                    .generator(
                        Generators.script("cat ~/ca/kubernetes-intermediateCA.crt > $out/public")
                            .onHost("controlplane-1")))
        .sharedSecret(
            "kube-admin.pem",
            s ->
                s.expectedOwners("cluster-admin")
                    .regenerateOnOwnerAdded(false)
                    .generator(Generators.ed25519()))
        .sharedSecret(
            "kube-apiserver.pem",
            s ->
                s.expectedOwners("controlplane-1", "controlplane-2")
                    .regenerateOnOwnerAdded(true)
                    .generator(Generators.rsa(2048)))
        .build();
  }
}
