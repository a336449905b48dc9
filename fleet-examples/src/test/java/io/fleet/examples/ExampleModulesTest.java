package io.fleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleModulesTest {

  @Test
  void theDesignDocumentsExampleWithTheWireguardMesh() {
    Fleet fleet =
        Fleet.builder()
            .host("cp-1", h -> h.system("x86_64-linux").tags("cp").target("root@10.0.0.1"))
            .host("worker-1", h -> h.system("aarch64-linux"))
            .module(new WireguardMesh("wg0", "cp-1", "worker-1"))
            .sharedSecret(
                "ca.pem",
                s ->
                    s.expectedOwners("cp-1", "worker-1")
                        .regenerateOnOwnerAdded(false)
                        .generator(Generators.x509Ca("kubernetes-ca", Duration.ofDays(365))))
            .build()
            .validate();
    assertThat(fleet.host("worker-1").tags()).containsExactly("all", "wg-wg0");
    assertThat(fleet.host("cp-1").secrets().get("wireguard-wg0").fileOwner())
        .isEqualTo("systemd-network");
  }

  @Test
  void twoMeshesOnOneHostGiveItTwoKeys() {
    Fleet fleet =
        Fleet.builder()
            .module(new WireguardMesh("wg0", "a", "b"))
            .module(new WireguardMesh("wg1", "b", "c"))
            .build()
            .validate();
    assertThat(fleet.host("b").secrets()).containsOnlyKeys("wireguard-wg0", "wireguard-wg1");
    assertThat(fleet.host("a").secrets()).containsOnlyKeys("wireguard-wg0");
    assertThat(fleet.host("c").tags()).containsExactly("all", "wg-wg1");
  }

  @Test
  void aClusterDeclaredBeforeItsHostsConfiguresThem() {
    Fleet fleet =
        Fleet.builder()
            .module(new KubernetesCluster("x", List.of("n1", "n2", "n3")))
            .host("n1", h -> h.system("aarch64-linux"))
            .host("n2", h -> h.tags("gpu"))
            .build()
            .validate();
    assertThat(fleet.host("n1").system()).isEqualTo("aarch64-linux");
    assertThat(fleet.host("n1").tags()).contains("k8s-cp");
    assertThat(fleet.host("n2").tags()).containsExactly("all", "gpu", "k8s", "k8s-worker", "k8s-x");
    assertThat(fleet.host("n3").tags()).contains("k8s-worker");
    assertThat(fleet.sharedSecret("x-ca.pem").orElseThrow().owners())
        .containsExactly("n1", "n2", "n3");
    assertThat(fleet.sharedSecret("x-apiserver.pem").orElseThrow().renewBefore())
        .contains(Duration.ofDays(30));
  }
}
