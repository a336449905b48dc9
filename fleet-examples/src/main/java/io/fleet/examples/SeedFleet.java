package io.fleet.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.Host;
import java.util.List;

/**
 * The fleet of the original project's README ({@code seed/fleet-README.adoc}), written with the
 * Java DSL: its flake example (hosts, the {@code nixos} module every host imports, the {@code
 * ./wireguard} module and {@code (import ./kubernetes {hosts = …;})} twice with different hosts)
 * and its secret examples (the GitLab host secrets and the shared Kubernetes certificates with
 * {@code expectedOwners} and {@code regenerateOnOwnerAdded}).
 *
 * <p>The README censors the host its impure generators run on; here that is {@code controlplane-1},
 * which also holds the HSM PIN those generators read.
 */
public final class SeedFleet {
  /** The host the impure generators run on (the README's {@code impureOn = "[CENSORED]"}). */
  public static final String IMPURE_HOST = "controlplane-1";

  private SeedFleet() {}

  /**
   * The fleet-wide {@code nixos} option: the NixOS module every host's system imports, as a fleet
   * setting (the evaluator reads it from the flake; here it documents the same configuration).
   */
  public static ObjectNode nixosModule() {
    JsonNodeFactory json = JsonNodeFactory.instance;
    ObjectNode nixos = json.objectNode();
    nixos.putArray("imports").add("inputs.lanzaboote.nixosModules.lanzaboote");
    ObjectNode registry = nixos.putObject("nix").putObject("registry").putObject("nixpkgs");
    registry.putObject("from").put("id", "nixpkgs").put("type", "indirect");
    registry.put("flake", "inputs.nixpkgs");
    registry.put("exact", false);
    return nixos;
  }

  /** The seed's fleet, not yet validated. */
  public static Fleet build() {
    return builder().build();
  }

  /** The seed's fleet as a builder, for tests and examples that add to it. */
  public static Fleet.Builder builder() {
    return Fleet.builder()
        .name("default")
        .setting("nixos", nixosModule())
        .module(
            new WireguardMesh("wg0", "controlplane-1", "controlplane-2", "worker-1", "worker-2"))
        // Multi-instance modules: the same module, twice, on different hosts.
        .module(new KubernetesCluster("ab", List.of("a", "b")))
        .module(new KubernetesCluster("cd", List.of("c", "d")))
        .host(
            "controlplane-1",
            h ->
                h.system("x86_64-linux")
                    .tags("cp")
                    .target("root@controlplane-1.example")
                    .secret("hsm-pin", s -> s.fileMode("0400")))
        .host("controlplane-2", h -> h.system("x86_64-linux").tags("cp"))
        .host("worker-1", h -> h.system("aarch64-linux").tags("worker"))
        .host("worker-2", h -> h.system("aarch64-linux").tags("worker"))
        .host("cluster-admin", h -> h.tags("admin"))
        .host("a", h -> h.system("x86_64-linux"))
        .host("b", h -> h.system("x86_64-linux"))
        .host("c", h -> h.system("x86_64-linux"))
        .host("d", h -> h.system("x86_64-linux"))
        .host("controlplane-1", SeedFleet::gitlab)
        .sharedSecret(
            "ca.pem",
            s ->
                // Just the public certificate: no need to regenerate it when an owner is added.
                s.regenerateOnOwnerAdded(false)
                    .expectedOwners("controlplane-1", "controlplane-2", "worker-1", "worker-2")
                    .generator(
                        Generators.script(
                                "cd ~/ca\n"
                                    + "cert=kubernetes-intermediateCA.crt\n"
                                    + "openssl x509 -in $cert -noout -enddate | cut -d= -f2"
                                    + " | xargs -I{} date -u -d {} +%Y-%m-%dT%H:%M:%S.%NZ"
                                    + " | tr -d '\\n' > $out/expires_at\n"
                                    + "cat $cert > $out/public\n")
                            .onHost(IMPURE_HOST)))
        .sharedSecret(
            "kube-admin.pem",
            s ->
                s.regenerateOnOwnerAdded(false)
                    .expectedOwners("cluster-admin")
                    .generator(kubernetesCert("/CN=admin/O=system:masters", List.of())))
        .sharedSecret(
            "kube-apiserver.pem",
            s ->
                // Regenerated when an owner changes, so a removed API server cannot pose as one.
                s.regenerateOnOwnerAdded(true)
                    .expectedOwners("controlplane-1", "controlplane-2")
                    .expectedGenerationData(
                        JsonNodeFactory.instance
                            .objectNode()
                            .set(
                                "sans",
                                JsonNodeFactory.instance
                                    .arrayNode()
                                    .add("DNS:controlplane-1")
                                    .add("DNS:controlplane-2")))
                    .generator(
                        kubernetesCert(
                            "/CN=kubernetes",
                            List.of("DNS:controlplane-1", "DNS:controlplane-2"))));
  }

  /** The README's "quickly run securely setup gitlab" module: its five host secrets. */
  private static void gitlab(Host.Builder host) {
    for (String name : List.of("gitlab-initial-root", "gitlab-secret", "gitlab-otp", "gitlab-db")) {
      host.secret(
          name, s -> s.generator(Generators.password()).fileOwner("gitlab").fileGroup("gitlab"));
    }
    host.secret(
        "gitlab-jws",
        s -> s.generator(Generators.rsa(2048)).fileOwner("gitlab").fileGroup("gitlab"));
  }

  /** The README's {@code mkKubernetesCert}: a key and a certificate signed on the HSM host. */
  private static io.fleet.api.GeneratorSpec kubernetesCert(String subject, List<String> sans) {
    String addext =
        sans.isEmpty() ? "" : " -addext \"subjectAltName = " + String.join(",", sans) + "\"";
    return Generators.script(
            "cd ~/ca\n"
                + "params=$(sudo mktemp); csr=$(sudo mktemp); cert=$(sudo mktemp)\n"
                + "sudo openssl ecparam -genkey -name secp384r1 -out $params\n"
                + "sudo openssl req -new -key $params -subj \""
                + subject
                + "\""
                + addext
                + " -out $csr\n"
                + "sudo hsms x509 -req -days 365 -in $csr -CA kubernetes-intermediateCA.crt"
                + " -CAcreateserial -copy_extensions copy -out $cert\n"
                + "sudo cat $params | encrypt > $out/secret\n"
                + "sudo cat $cert > $out/public\n")
        .onHost(IMPURE_HOST);
  }
}
